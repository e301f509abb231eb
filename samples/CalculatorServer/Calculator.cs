namespace Ocean.Samples;

/// <summary>The object CalculatorServer exports (the demo serves it too): runs on the server, called concurrently.</summary>
public sealed class Calculator : ICalculator
{
    /// <inheritdoc/>
    public Task<int> AddAsync(int a, int b) => Task.FromResult(a + b);

    /// <inheritdoc/>
    public Task<double> DivideAsync(double a, double b) =>
        b == 0 // dividing a double by zero gives infinity or NaN, not an exception: refuse it explicitly
            ? throw new DivideByZeroException($"Cannot divide {a} by zero.")
            : Task.FromResult(a / b);

    /// <inheritdoc/>
    public Task<string> EchoAsync(string text) => Task.FromResult(text);

    /// <inheritdoc/>
    public async Task<long> SlowSumAsync(int count, CancellationToken cancellationToken)
    {
        long sum = 0;
        for (var i = 1; i <= count; i++)
        {
            await Task.Delay(10, cancellationToken);
            sum += i;
        }

        return sum;
    }
}
