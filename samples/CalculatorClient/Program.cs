// Calls the Calculator that CalculatorServer exports, through a proxy of the shared ICalculator interface: results,
// an exception thrown on the server, a call cancelled by the caller, a call that passes its deadline, metadata.
// With --udp, calls over UDP instead (the server's --udp port): 20 (--calls) additions one after the other, an echo and
// the remote exception, printing how many retransmissions each took; --loss P drops P of the client's datagrams each
// way (a seeded fault injector, --seed, default 1), and the calls still succeed.
// Usage: dotnet run --project samples/CalculatorClient -- [--host 127.0.0.1] [--port 7000] [--message "Hello, Ocean"]
//        [--udp [--loss 0.3] [--seed 1] [--calls 20]]
// Exits 0 when every call behaved as expected, 1 with a one-line error otherwise.
using System.Diagnostics;
using System.Net;
using Ocean.Remoting;
using Ocean.Samples;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--message=", "--udp", "--loss=", "--seed=", "--calls=");
    options.Requires("--loss", "--udp");
    options.Requires("--seed", "--loss");
    options.Requires("--calls", "--udp");
    if (options.Flag("--udp"))
    {
        return await UdpCalls.RunAsync(options);
    }

    var port = options.Port(7000);
    EndPoint endPoint = IPAddress.TryParse(options.Host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(options.Host, port);
    var clientOptions = new RemotingClientOptions
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        DefaultDeadline = TimeSpan.FromSeconds(10), // every call is bounded, whatever the server does
    };
    await using var client = await RemotingClient.ConnectAsync(endPoint, clientOptions);
    var calculator = client.GetProxy<ICalculator>("calculator");
    Console.WriteLine($"connected to {endPoint}");
    var unexpected = new List<string>();

    // Plain calls: they look local.
    var sum = await calculator.AddAsync(2, 3);
    Console.WriteLine($"AddAsync(2, 3) = {sum}");
    Expect(sum == 5, "AddAsync(2, 3) should be 5");

    var text = options.Message ?? "Hello, Ocean";
    var echoed = await calculator.EchoAsync(text);
    Console.WriteLine($"EchoAsync(\"{text}\") = \"{echoed}\"");
    Expect(echoed == text, "EchoAsync should return its argument");

    var slow = await calculator.SlowSumAsync(10, CancellationToken.None);
    Console.WriteLine($"SlowSumAsync(10) = {slow}");
    Expect(slow == 55, "SlowSumAsync(10) should be 55");

    // An exception thrown by the method on the server: its type name and message travel back; completion yes (it ran).
    var divide = await FailureOf(() => calculator.DivideAsync(1, 0));
    Report("DivideAsync(1, 0)", divide);
    Expect(divide is { Status: RemotingStatus.ApplicationException, Completion: CompletionStatus.Yes, RemoteTypeName: "System.DivideByZeroException" },
        "DivideAsync(1, 0) should fail with the server's DivideByZeroException");

    // Cancelled by the caller: the token is not marshalled; cancelling it sends a cancel, which cancels the server's token.
    using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
    {
        var watch = Stopwatch.StartNew();
        var cancelled = await FailureOf(() => calculator.SlowSumAsync(1000, cancel.Token));
        Report($"SlowSumAsync(1000), cancelled after 200 ms, ended after {watch.ElapsedMilliseconds} ms", cancelled);
        Expect(cancelled is { Status: RemotingStatus.Cancelled }, "SlowSumAsync should end as Cancelled");
    }

    // A deadline for the calls inside a scope: it travels with the request; the server cancels the method's token when it passes.
    using (RemoteCallScope.WithDeadline(TimeSpan.FromMilliseconds(300)))
    {
        var watch = Stopwatch.StartNew();
        var late = await FailureOf(() => calculator.SlowSumAsync(1000, CancellationToken.None));
        Report($"SlowSumAsync(1000) with a 300 ms deadline, ended after {watch.ElapsedMilliseconds} ms", late);
        Expect(late is { Status: RemotingStatus.DeadlineExceeded }, "SlowSumAsync should end as DeadlineExceeded");
    }

    // Metadata: string headers the server sees in RemoteCallContext (its call log prints this one).
    using (RemoteCallScope.WithMetadata("tenant", "blue"))
    {
        var product = await calculator.AddAsync(40, 2);
        Console.WriteLine($"AddAsync(40, 2) with metadata tenant=blue = {product}");
        Expect(product == 42, "AddAsync(40, 2) should be 42");
    }

    if (unexpected.Count != 0)
    {
        Console.Error.WriteLine($"error: {string.Join("; ", unexpected)}");
        return 1;
    }

    Console.WriteLine("every call behaved as expected");
    return 0;

    void Expect(bool condition, string what)
    {
        if (!condition)
        {
            unexpected.Add(what);
        }
    }
}
catch (Exception ex) when (ex is RemotingException or ArgumentException or System.Net.Sockets.SocketException or Ocean.OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

// The RemotingException a call fails with, or null if it succeeds (which, here, is unexpected).
static async Task<RemotingException?> FailureOf<T>(Func<Task<T>> call)
{
    try
    {
        var result = await call();
        Console.WriteLine($"  unexpectedly returned {result}");
        return null;
    }
    catch (RemotingException ex)
    {
        return ex;
    }
}

static void Report(string call, RemotingException? failure)
{
    if (failure is not null)
    {
        var message = failure.Message;
        var remote = string.Empty;
        if (failure.RemoteTypeName is { } type)
        {
            remote = $", remote type {type}";
            message = message.StartsWith(type + ": ", StringComparison.Ordinal) ? message[(type.Length + 2)..] : message; // said once is enough
        }

        Console.WriteLine($"{call}: status {failure.Status}, completion {failure.Completion}{remote}, message \"{message}\"");
    }
}
