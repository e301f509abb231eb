// The textbook TCP echo server: one accept loop, each client served in its own task, every byte echoed.
// Usage: dotnet run --project samples/TcpEchoServer -- [--host 127.0.0.1] [--port 7896] [--tls]
// With --tls it serves TLS with a certificate made at start-up and prints its SHA-256 fingerprint,
// which the client pins with --pin.
using System.Buffers;
using System.Net;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--tls");
    var endPoint = new IPEndPoint(IPAddress.Parse(options.Host), options.Port(7896));
    var stop = Shutdown.OnCtrlC();
    var serverOptions = new SocketServerOptions();
    if (options.Flag("--tls"))
    {
        var certificate = SampleTls.CreateSelfSigned();
        serverOptions.Tls = new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = certificate };
        Console.WriteLine($"tls certificate sha256 {SampleTls.Fingerprint(certificate)}");
    }

    await using var server = new SocketServer(endPoint, ServeAsync, serverOptions);
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

static async ValueTask ServeAsync(Connection connection, CancellationToken stopping)
{
    Console.WriteLine($"{connection.RemoteEndPoint}: connected");
    long total = 0;
    var input = connection.Transport.Input;
    var output = connection.Transport.Output;
    while (true)
    {
        var read = await input.ReadAsync(stopping);
        foreach (var segment in read.Buffer)
        {
            output.Write(segment.Span);
        }

        total += read.Buffer.Length;
        if (!read.Buffer.IsEmpty)
        {
            Console.WriteLine($"{connection.RemoteEndPoint}: echoed {read.Buffer.Length} bytes");
        }

        input.AdvanceTo(read.Buffer.End);
        await output.FlushAsync(stopping);
        if (read.IsCompleted)
        {
            break;
        }
    }

    Console.WriteLine($"{connection.RemoteEndPoint}: closed after {total} bytes");
}
