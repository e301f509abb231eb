// A tour of Ocean on loopback, on ephemeral ports: each step prints what crosses the wire.
// Usage: dotnet run --project samples/Ocean.Demo
using System.Buffers;
using System.Net;
using System.Text;
using Ocean.Transport;

Console.WriteLine("Ocean demo: everything below runs on 127.0.0.1, on ports the OS picks.");
Console.WriteLine();
await TcpEchoAsync();
Console.WriteLine();
Console.WriteLine("demo finished");
return 0;

static async Task TcpEchoAsync()
{
    Console.WriteLine("== TCP echo: one server, three clients, each served in its own task");
    await using var server = new SocketServer(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(stopping);
            foreach (var segment in read.Buffer)
            {
                connection.Transport.Output.Write(segment.Span);
            }

            input.AdvanceTo(read.Buffer.End);
            await connection.Transport.Output.FlushAsync(stopping);
            if (read.IsCompleted)
            {
                return;
            }
        }
    });
    await server.StartAsync();
    Console.WriteLine($"server: listening on {server.EndPoint}");

    var clients = new[] { "Hello from Pharo", "Hello from Java", "Hello from C#" }.Select(async message =>
    {
        await using var connection = await SocketConnector.ConnectAsync(server.EndPoint);
        await connection.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes(message));
        await connection.Transport.Output.CompleteAsync();
        var reply = new ArrayBufferWriter<byte>();
        while (true)
        {
            var read = await connection.Transport.Input.ReadAsync();
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

        return $"client {connection.LocalEndPoint}: sent \"{message}\", echoed \"{Encoding.UTF8.GetString(reply.WrittenSpan)}\"";
    });

    foreach (var line in await Task.WhenAll(clients))
    {
        Console.WriteLine(line);
    }

    await server.StopAsync();
    Console.WriteLine($"server: stopped after {server.AcceptedConnections} connections");
}
