// Exports a Calculator under "calculator" for remote calls (Ocean.Remoting), prints one line per connection and one per
// call, and runs until Ctrl+C or SIGTERM, which stops it gracefully (calls in flight may finish, new ones are refused).
// Usage: dotnet run --project samples/CalculatorServer -- [--host 127.0.0.1] [--port 7000]
using System.Net;
using Ocean.Remoting;
using Ocean.Samples;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=");
    var stop = Shutdown.OnCtrlC();
    var serverOptions = new RemotingServerOptions
    {
        LoggerFactory = new ConnectionLog(),
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    };
    serverOptions.Interceptors.Add(new CallLog());
    await using var server = new RemotingServer(new IPEndPoint(options.ListenAddress, options.Port(7000)), serverOptions);
    server.Export<ICalculator>(new Calculator(), "calculator");
    await server.StartAsync(stop);
    Console.WriteLine($"listening on {server.EndPoint}"); // IPEndPoint writes IPv6 as [::1]:7000
    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine("stopping");
    await server.StopAsync();
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or System.Net.Sockets.SocketException or Ocean.OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
