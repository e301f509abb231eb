// The textbook TCPServer: one accept loop, each client served in its own task, every frame echoed until
// the client closes. Frames are Java's writeUTF (2-byte length + modified UTF-8), so the classic Java
// TCPClient talks to it unchanged.
// Usage: dotnet run --project samples/TcpEchoServer -- [--host 127.0.0.1] [--port 7896] [--tls]
// With --tls it serves TLS with a certificate made at start-up and prints its SHA-256 fingerprint,
// which the client pins with --pin.
// It does not speak lines: netcat's "hello\n" reads as a frame of 0x6865 = 26,725 bytes that never comes.
// Talk to it with TcpEchoClient or Java's DataOutputStream.writeUTF; for netcat use LineEchoServer.
using Ocean;
using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--tls");
    var endPoint = new IPEndPoint(options.ListenAddress, options.Port(7896));
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
    Console.WriteLine($"listening on {server.EndPoint}"); // IPEndPoint writes IPv6 as [::1]:7896

    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine("stopping");
    await server.StopAsync();
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or FormatException or System.Net.Sockets.SocketException or OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

static async ValueTask ServeAsync(MessageConnection connection, CancellationToken stopping)
{
    var peer = connection.RemoteEndPoint;
    Console.WriteLine($"{peer}: connected");
    var frames = 0;
    try
    {
        while (true)
        {
            var result = await connection.ReceiveAsync(stopping);
            if (result.IsCompleted)
            {
                break;
            }

            Console.WriteLine($"{peer}: \"{JavaUtfCodec.ReadString(result.Message)}\"");
            await connection.SendAsync(result.Message.ToArray(), stopping); // the frame's bytes, echoed as they came
            frames++;
        }
    }
    catch (Exception ex) when (SampleErrors.EndsConnection(ex, stopping))
    {
        Console.WriteLine($"{peer}: {SampleErrors.Describe(ex, stopping)} after {frames} messages");
        if (ex is FramingException && frames == 0)
        {
            Console.WriteLine($"{peer}: this server speaks Java writeUTF frames (a 2-byte big-endian length, then the text); for lines, as netcat sends, run LineEchoServer");
        }

        return;
    }

    Console.WriteLine($"{peer}: closed after {frames} messages");
}
