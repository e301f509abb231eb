// Exports a Calculator under "calculator" for remote calls (Ocean.Remoting), prints one line per connection and one per
// call, and runs until Ctrl+C or SIGTERM, which stops it gracefully (calls in flight may finish, new ones are refused).
// With --udp it also takes calls over UDP, one request per datagram, on the same address (and port; --port 0 picks a
// free one for each), prints "udp on HOST:PORT", and at the end what its UDP side saw. With --reflection it exports the
// reflection service (ocean.reflection), so `ocean call HOST:PORT` lists what it offers and calls it from the shell.
// Usage: dotnet run --project samples/CalculatorServer -- [--host 127.0.0.1] [--port 7000] [--udp] [--reflection]
using System.Net;
using Ocean.Remoting;
using Ocean.Samples;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--udp", "--reflection");
    var udp = options.Flag("--udp");
    var stop = Shutdown.OnCtrlC();
    var endPoint = new IPEndPoint(options.ListenAddress, options.Port(7000));
    var serverOptions = new RemotingServerOptions
    {
        LoggerFactory = new ConnectionLog(),
        ShutdownTimeout = TimeSpan.FromSeconds(5),
        UdpEndPoint = udp ? endPoint : null, // TCP and UDP port numbers are separate spaces: both can be 7000
        EnableReflection = options.Flag("--reflection"),
    };
    serverOptions.Interceptors.Add(new CallLog()); // runs around UDP calls too
    await using var server = new RemotingServer(endPoint, serverOptions);
    server.Export<ICalculator>(new Calculator(), "calculator");
    await server.StartAsync(stop);
    Console.WriteLine($"listening on {server.EndPoint}"); // IPEndPoint writes IPv6 as [::1]:7000
    if (udp)
    {
        Console.WriteLine($"udp on {server.UdpEndPoint}");
    }

    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine("stopping");
    await server.StopAsync();
    if (udp)
    {
        // Duplicates: copies of a call still running (dropped); replayed: copies of a finished call, answered from the
        // reply cache without running it again. Either way the method ran once per call (at-most-once).
        var s = server.DatagramStatistics;
        Console.WriteLine($"udp: {s.Received} datagrams received; calls run {s.Calls}, duplicates filtered {s.Duplicates}, replies replayed from the cache {s.Replayed}, malformed {s.Malformed}, without a valid token {s.Unvalidated}, busy {s.Busy}");
    }

    return 0;
}
catch (Exception ex) when (ex is ArgumentException or System.Net.Sockets.SocketException or Ocean.OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
