// The textbook MulticastPeer: join a group, send one message to it, print the next few messages received.
// Usage: dotnet run --project samples/MulticastPeer -- [--host 228.5.6.7] [--port 6789] [--interface lo] [--message "Hello, group"] [--count 3]
// --host is the group. The interface defaults to lo, so nothing leaves the machine unless told otherwise.
// Exits 0 after receiving --count messages (its own included), 1 if none arrives within 10 s.
using Ocean;
using System.Globalization;
using System.Net;
using System.Text;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--interface=", "--message=", "--count=");
    var group = IPAddress.Parse(options.Get("--host") ?? "228.5.6.7");
    var port = options.Port(6789);
    var countText = options.Get("--count") ?? "3";
    var count = int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
        ? parsed
        : throw new ArgumentException($"--count must be a positive number, not '{countText}'.");
    var socketOptions = new DatagramOptions
    {
        MulticastInterface = options.Interface ?? "lo",
        ReuseAddress = true, // several peers on one host share the group's port
        ReceiveTimeout = TimeSpan.FromSeconds(10),
    };
    var any = group.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
    await using var socket = DatagramSocket.Bind(new IPEndPoint(any, port), socketOptions);
    socket.JoinMulticastGroup(group);
    Console.WriteLine($"listening on {new IPEndPoint(group, socket.LocalEndPoint.Port)} (interface {socketOptions.MulticastInterface})"); // IPv6 as [ff02::1]:6789

    var message = options.Message ?? $"Hello, group, from {Environment.ProcessId}";
    await socket.SendAsync(Encoding.UTF8.GetBytes(message), new IPEndPoint(group, socket.LocalEndPoint.Port));
    Console.WriteLine($"sent: {message}");

    for (var i = 0; i < count; i++)
    {
        try
        {
            using var datagram = await socket.ReceiveAsync();
            Console.WriteLine($"received from {datagram.RemoteEndPoint}: {Encoding.UTF8.GetString(datagram.Payload.Span)}");
        }
        catch (TimeoutException) when (i > 0)
        {
            break; // heard at least our own message; the group went quiet
        }
    }

    socket.LeaveMulticastGroup(group);
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or FormatException or TimeoutException or System.Net.Sockets.SocketException or OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
