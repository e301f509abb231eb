// The textbook TCP client: connect, send a message, print the echo, close.
// Usage: dotnet run --project samples/TcpEchoClient -- [--host 127.0.0.1] [--port 7896] [--message "Hello, Ocean"] [--tls [--pin SHA256]]
// Exits 0 when the echo matched what was sent, 1 with a one-line error otherwise.
using System.Buffers;
using System.Text;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--tls", "--pin=");
    var message = options.Message ?? "Hello, Ocean";
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    var connectOptions = new ConnectOptions { Tls = options.Flag("--tls") ? SampleTls.Client(options.Get("--pin")) : null };

    await using var connection = await SocketConnector.ConnectAsync(options.Host, options.Port(7896), connectOptions, timeout.Token);
    Console.WriteLine($"connected to {connection.RemoteEndPoint}" + (connection.TlsProtocol == System.Security.Authentication.SslProtocols.None ? string.Empty : $" over {connection.TlsProtocol}"));

    var sent = Encoding.UTF8.GetBytes(message);
    await connection.Transport.Output.WriteAsync(sent, timeout.Token);
    await connection.Transport.Output.CompleteAsync(); // half-close: the server echoes the rest and closes
    Console.WriteLine($"sent: {message}");

    var reply = new ArrayBufferWriter<byte>();
    while (true)
    {
        var read = await connection.Transport.Input.ReadAsync(timeout.Token);
        foreach (var segment in read.Buffer)
        {
            reply.Write(segment.Span);
        }

        connection.Transport.Input.AdvanceTo(read.Buffer.End);
        if (read.IsCompleted)
        {
            break;
        }
    }

    var text = Encoding.UTF8.GetString(reply.WrittenSpan);
    Console.WriteLine($"received: {text}");
    if (!reply.WrittenSpan.SequenceEqual(sent))
    {
        Console.Error.WriteLine($"error: the echo differs from what was sent ({reply.WrittenCount} bytes back, {sent.Length} sent)");
        return 1;
    }

    return 0;
}
catch (Exception ex) when (ex is OceanException or ArgumentException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
