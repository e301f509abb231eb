// The remote Transcript of the Pharo OCEAN lecture, server side: exports a TranscriptHub under "transcript". Clients
// register their own transcript objects (passed by reference: the server gets proxies that call back into the
// clients over their connections) and send lines, which the server shows on every registered transcript. Prints a line
// per connection, registration and line; a transcript whose client vanished is dropped with a line saying why. Runs
// until Ctrl+C or SIGTERM, which stops it gracefully.
// Usage: dotnet run --project samples/TranscriptServer -- [--host 127.0.0.1] [--port 7001]
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
    await using var server = new RemotingServer(new IPEndPoint(options.ListenAddress, options.Port(7001)), serverOptions);
    await using var hub = new TranscriptHub(Console.WriteLine, showTimeout: TimeSpan.FromSeconds(5));
    server.Export<ITranscriptServer>(hub, ITranscriptServer.ExportName);
    await server.StartAsync(stop);
    Console.WriteLine($"listening on {server.EndPoint}"); // IPEndPoint writes IPv6 as [::1]:7001
    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine($"stopping ({hub.Count} transcripts registered)");
    await hub.DisposeAsync(); // no more callbacks: the connections they would use are closing
    await server.StopAsync();
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or System.Net.Sockets.SocketException or Ocean.OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
