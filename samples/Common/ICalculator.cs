namespace Ocean.Samples;

/// <summary>
/// The calculator samples' remote interface: CalculatorServer exports a <c>Calculator</c> through it and
/// CalculatorClient calls it through a proxy. Both sides compile this one file ("the same classes on both sides", as
/// in Java RMI): a method's id comes from its signature, so a client with a different copy would get "unknown method".
/// </summary>
public interface ICalculator
{
    /// <summary>Returns <paramref name="a"/> + <paramref name="b"/>.</summary>
    Task<int> AddAsync(int a, int b);

    /// <summary>Returns <paramref name="a"/> / <paramref name="b"/>; throws <see cref="DivideByZeroException"/> when <paramref name="b"/> is 0.</summary>
    Task<double> DivideAsync(double a, double b);

    /// <summary>Returns <paramref name="text"/>.</summary>
    Task<string> EchoAsync(string text);

    /// <summary>
    /// Sums 1 to <paramref name="count"/>, slowly (10 ms a number), observing <paramref name="cancellationToken"/>:
    /// the token is not marshalled, cancelling it on the client cancels it on the server.
    /// </summary>
    Task<long> SlowSumAsync(int count, CancellationToken cancellationToken);
}
