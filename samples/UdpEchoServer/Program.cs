// The textbook UDPServer: receive a datagram, send it back to whoever sent it, forever.
// Usage: dotnet run --project samples/UdpEchoServer -- [--host 127.0.0.1] [--port 6789]
using Ocean;
using System.Net;
using System.Text;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=");
    var stop = Shutdown.OnCtrlC();
    await using var socket = DatagramSocket.Bind(new IPEndPoint(options.ListenAddress, options.Port(6789)));
    Console.WriteLine($"listening on {socket.LocalEndPoint}"); // IPEndPoint writes IPv6 as [::1]:6789

    while (!stop.IsCancellationRequested)
    {
        Datagram request;
        try
        {
            request = await socket.ReceiveAsync(stop);
        }
        catch (OperationCanceledException)
        {
            break;
        }

        using (request)
        {
            Console.WriteLine($"{request.RemoteEndPoint}: {request.Length} bytes \"{Encoding.UTF8.GetString(request.Payload.Span)}\"");
            await socket.SendAsync(request.Payload, (IPEndPoint)request.RemoteEndPoint, stop);
        }
    }

    Console.WriteLine("stopping");
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or FormatException or System.Net.Sockets.SocketException or OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
