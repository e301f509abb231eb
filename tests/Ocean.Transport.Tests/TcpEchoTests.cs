using System.Buffers;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class TcpEchoTests
{
    [Fact]
    public async Task Echo_HundredConcurrentClientsOneMebibyteEachInRandomChunks_EveryByteComesBack()
    {
        const int clients = 100;
        const int bytesPerClient = 1024 * 1024;
        await using var server = await TestServer.StartAsync(TestServer.Echo);

        var tasks = Enumerable.Range(0, clients).Select(i => Task.Run(() => EchoOneClientAsync(server, seed: 1000 + i, bytesPerClient)));
        await Task.WhenAll(tasks).WithTimeout(TestTimeouts.Load);

        server.AcceptedConnections.Should().Be(clients);
    }

    private static async Task EchoOneClientAsync(SocketServer server, int seed, int length)
    {
        var random = new Random(seed);
        var payload = new byte[length];
        random.NextBytes(payload);

        await using var connection = await server.ConnectAsync();
        var receive = connection.Transport.Input.ReadExactlyAsync(length);

        var offset = 0;
        while (offset < length)
        {
            var chunk = Math.Min(random.Next(1, 64 * 1024), length - offset);
            await connection.Transport.Output.WriteAsync(payload.AsMemory(offset, chunk));
            offset += chunk;
        }

        var echoed = await receive.WithTimeout(TestTimeouts.Load);
        echoed.Length.Should().Be(length);
        echoed.AsSpan().SequenceEqual(payload).Should().BeTrue($"client {seed} must get back exactly what it sent");
    }

    [Fact]
    public async Task Stream_WriteAndReadThroughStreamAdapter_RoundTrips()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo);
        await using var connection = await server.ConnectAsync();
        var stream = connection.Stream;

        var message = "hello through a stream"u8.ToArray();
        await stream.WriteAsync(message);
        var received = new byte[message.Length];
        await stream.ReadExactlyAsync(received).WithTimeout();

        received.Should().Equal(message);
        stream.CanRead.Should().BeTrue();
        stream.CanWrite.Should().BeTrue();
        stream.CanSeek.Should().BeFalse();
    }

    [Fact]
    public async Task Stream_Disposed_LeavesConnectionOpen()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo);
        await using var connection = await server.ConnectAsync();
        await connection.Stream.DisposeAsync();

        await connection.Transport.Output.WriteAsync(new byte[] { 7, 8, 9 });
        var echoed = await connection.Transport.Input.ReadExactlyAsync(3).WithTimeout();

        echoed.Should().Equal(7, 8, 9);
    }

    [Fact]
    public async Task Echo_LargeWriteSpanningManySegments_ArrivesIntact()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo);
        await using var connection = await server.ConnectAsync();
        var payload = new byte[3 * 1024 * 1024 + 17];
        new Random(42).NextBytes(payload);

        var receive = connection.Transport.Input.ReadExactlyAsync(payload.Length);
        // One flush of many 4 KiB pipe segments exercises the vectored send path.
        var output = connection.Transport.Output;
        for (var offset = 0; offset < payload.Length; offset += 100_000)
        {
            var chunk = payload.AsSpan(offset, Math.Min(100_000, payload.Length - offset));
            output.Write(chunk);
            if (output.UnflushedBytes > 512 * 1024)
            {
                await output.FlushAsync();
            }
        }

        await output.FlushAsync();
        var echoed = await receive.WithTimeout(TestTimeouts.Load);

        echoed.AsSpan().SequenceEqual(payload).Should().BeTrue();
    }
}
