// The textbook UDPClient: send one datagram, wait (bounded) for the echo, print it.
// Usage: dotnet run --project samples/UdpEchoClient -- [--host 127.0.0.1] [--port 6789] [--message "Hello, Ocean"]
// Exits 0 when the echo matched, 1 with a one-line error otherwise (UDP may lose it: no reply in 5 s is an error).
using Ocean;
using System.Text;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--message=");
    var message = options.Message ?? "Hello, Ocean";
    await using var socket = await DatagramSocket.ConnectAsync(options.Host, options.Port(6789), new DatagramOptions { ReceiveTimeout = TimeSpan.FromSeconds(5) });
    var sent = Encoding.UTF8.GetBytes(message);
    await socket.SendAsync(sent);
    Console.WriteLine($"sent to {socket.RemoteEndPoint}: {message}");

    using var reply = await socket.ReceiveAsync();
    Console.WriteLine($"received: {Encoding.UTF8.GetString(reply.Payload.Span)}");
    if (!reply.Payload.Span.SequenceEqual(sent))
    {
        Console.Error.WriteLine("error: the echo differs from what was sent");
        return 1;
    }

    return 0;
}
catch (Exception ex) when (ex is OceanException or ArgumentException or TimeoutException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
