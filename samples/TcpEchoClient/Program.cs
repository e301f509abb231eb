// The textbook TCPClient: connect, send the message with writeUTF, read the reply with readUTF, close.
// Talks to the classic Java TCPServer unchanged.
// Usage: dotnet run --project samples/TcpEchoClient -- [--host 127.0.0.1] [--port 7896] [--message "Hello, Ocean"] [--tls [--pin SHA256]]
// Exits 0 when the reply matched what was sent, 1 with a one-line error otherwise.
using Ocean;
using System.Buffers;
using Ocean.Framing;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--message=", "--tls", "--pin=");
    options.Requires("--pin", "--tls"); // a pin without TLS would be silently unused, and the exchange in plain text
    var message = options.Message ?? "Hello, Ocean";
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    var connectOptions = new SocketConnectorOptions { Tls = options.Flag("--tls") ? SampleTls.Client(options.Get("--pin")) : null };

    var connection = await SocketConnector.ConnectAsync(options.Host, options.Port(7896), connectOptions, timeout.Token);
    await using var messages = MessageConnection.Create(connection, JavaUtfCodec.Instance);
    Console.WriteLine($"connected to {connection.RemoteEndPoint}" + (connection.TlsProtocol == System.Security.Authentication.SslProtocols.None ? string.Empty : $" over {connection.TlsProtocol}"));

    // writeUTF: the codec adds the 2-byte length around the modified UTF-8 bytes.
    var encoded = new ArrayBufferWriter<byte>();
    JavaUtfCodec.WriteString(message, encoded);
    await messages.SendAsync(encoded.WrittenMemory[2..], timeout.Token);
    Console.WriteLine($"sent: {message}");

    var reply = await messages.ReceiveAsync(timeout.Token);
    if (reply.IsCompleted)
    {
        Console.Error.WriteLine("error: the server closed the connection without replying");
        return 1;
    }

    var text = JavaUtfCodec.ReadString(reply.Message);
    Console.WriteLine($"received: {text}");
    if (text != message)
    {
        Console.Error.WriteLine("error: the reply differs from what was sent");
        return 1;
    }

    return 0;
}
catch (Exception ex) when (ex is OceanException or ArgumentException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
