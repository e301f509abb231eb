// The textbook TCPServer: one accept loop, each client served in its own task, every frame echoed until
// the client closes. Frames are Java's writeUTF (2-byte length + modified UTF-8), so the classic Java
// TCPClient talks to it unchanged.
// Usage: dotnet run --project samples/TcpEchoServer -- [--host 127.0.0.1] [--port 7896] [--tls]
// With --tls it serves TLS with a certificate made at start-up and prints its SHA-256 fingerprint,
// which the client pins with --pin.
using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--tls");
    var endPoint = new IPEndPoint(IPAddress.Parse(options.Host), options.Port(7896));
    var stop = Shutdown.OnCtrlC();
    var serverOptions = new MessageServerOptions();
    if (options.Flag("--tls"))
    {
        var certificate = SampleTls.CreateSelfSigned();
        serverOptions.Stream.Tls = new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = certificate };
        Console.WriteLine($"tls certificate sha256 {SampleTls.Fingerprint(certificate)}");
    }

    await using var server = MessageServer.ForStream(endPoint, JavaUtfCodec.Instance, ServeAsync, serverOptions);
    await server.StartAsync(stop);
    var bound = (IPEndPoint)server.EndPoint;
    Console.WriteLine($"listening on {(bound.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bound.Address}]" : bound.Address)}:{bound.Port}");

    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine("stopping");
    await server.StopAsync();
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or FormatException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

static async ValueTask ServeAsync(MessageConnection connection, CancellationToken stopping)
{
    Console.WriteLine($"{connection.RemoteEndPoint}: connected");
    var frames = 0;
    while (true)
    {
        var result = await connection.ReadAsync(stopping);
        if (result.IsCompleted)
        {
            break;
        }

        Console.WriteLine($"{connection.RemoteEndPoint}: \"{JavaUtfCodec.ReadString(result.Message)}\"");
        await connection.SendAsync(result.Message.ToArray(), stopping); // the frame's bytes, echoed as they came
        frames++;
    }

    Console.WriteLine($"{connection.RemoteEndPoint}: closed after {frames} messages");
}
