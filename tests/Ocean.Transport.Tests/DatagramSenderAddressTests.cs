using System.Net;
using System.Net.Sockets;
using Ocean.Testing;

namespace Ocean.Transport.Tests;

/// <summary>
/// A reply to the endpoint a receive returned goes out with the sender's address as received (no conversion per
/// datagram): it must still reach exactly the endpoint the caller names, whatever arrived since and whatever the
/// caller did to the endpoint object.
/// </summary>
public sealed class DatagramSenderAddressTests
{
    [Fact]
    public async Task ReplyToAnEarlierSender_AfterAnotherSenderArrived_ReachesTheEarlierOne()
    {
        await using var server = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var alice = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var bob = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var buffer = new byte[DatagramSocket.MaxIPv6DatagramSize];

        await alice.SendAsync("a"u8.ToArray(), server.LocalEndPoint);
        var fromAlice = (IPEndPoint)(await server.ReceiveAsync(buffer).AsTask().WaitAsync(TestTimeouts.Operation)).RemoteEndPoint;
        await bob.SendAsync("b"u8.ToArray(), server.LocalEndPoint);
        var fromBob = (IPEndPoint)(await server.ReceiveAsync(buffer).AsTask().WaitAsync(TestTimeouts.Operation)).RemoteEndPoint;

        await server.SendAsync("to bob"u8.ToArray(), fromBob); // the last sender
        await server.SendAsync("to alice"u8.ToArray(), fromAlice); // an earlier one

        using (var reply = await bob.ReceiveAsync().AsTask().WaitAsync(TestTimeouts.Operation))
        {
            reply.Payload.ToArray().Should().Equal("to bob"u8.ToArray());
        }

        using (var reply = await alice.ReceiveAsync().AsTask().WaitAsync(TestTimeouts.Operation))
        {
            reply.Payload.ToArray().Should().Equal("to alice"u8.ToArray());
        }
    }

    [Fact]
    public async Task ReplyToTheLastSender_AfterTheCallerChangedItsPort_GoesToTheNewPort()
    {
        await using var server = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var first = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var second = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var buffer = new byte[DatagramSocket.MaxIPv6DatagramSize];

        await first.SendAsync("hello"u8.ToArray(), server.LocalEndPoint);
        var sender = (IPEndPoint)(await server.ReceiveAsync(buffer).AsTask().WaitAsync(TestTimeouts.Operation)).RemoteEndPoint;
        sender.Port = second.LocalEndPoint.Port; // the same object, now naming another socket

        await server.SendAsync("moved"u8.ToArray(), sender);

        using var reply = await second.ReceiveAsync().AsTask().WaitAsync(TestTimeouts.Operation);
        reply.Payload.ToArray().Should().Equal("moved"u8.ToArray());
    }

    [Fact]
    public async Task ReceiveAsync_AfterTheCallerChangedTheLastSendersEndPoint_ReturnsTheRealSender()
    {
        await using var server = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var client = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var buffer = new byte[DatagramSocket.MaxIPv6DatagramSize];

        await client.SendAsync("one"u8.ToArray(), server.LocalEndPoint);
        var first = (IPEndPoint)(await server.ReceiveAsync(buffer).AsTask().WaitAsync(TestTimeouts.Operation)).RemoteEndPoint;
        first.Port = 9;
        await client.SendAsync("two"u8.ToArray(), server.LocalEndPoint);
        var second = (IPEndPoint)(await server.ReceiveAsync(buffer).AsTask().WaitAsync(TestTimeouts.Operation)).RemoteEndPoint;

        second.Should().Be(client.LocalEndPoint);
    }

    [Fact]
    public async Task SendAsync_TooLarge_FailsWhenAwaited_NotWhenCalled()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var tooLarge = new byte[DatagramSocket.MaxIPv4DatagramSize + 1];

        var send = socket.SendAsync(tooLarge, new IPEndPoint(IPAddress.Loopback, 9));

        await FluentActions.Awaiting(() => send.AsTask()).Should().ThrowAsync<ArgumentOutOfRangeException>();
    }
}

/// <summary>Runs alone: the allocation test counts every thread's allocations.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DatagramAllocationCollection
{
    public const string Name = "Datagram allocation (not in parallel)";
}

/// <summary>
/// A <see cref="DatagramSocket"/> echo (receive into a buffer, send back to the sender) allocates nothing per
/// datagram. Counted over the process (<see cref="GC.GetTotalAllocatedBytes(bool)"/>: completions run on the pool's
/// threads) against a raw client that allocates nothing, with a generous bound: it catches an endpoint or a
/// state machine per datagram, not the runtime's own few bytes of warm-up.
/// </summary>
[Collection(DatagramAllocationCollection.Name)]
public sealed class DatagramAllocationTests
{
    [Fact]
    public async Task Echo_ReceiveIntoABufferAndReplyToTheSender_AllocatesNothingPerDatagram()
    {
        await using var server = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource(TestTimeouts.Load);
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[DatagramSocket.MaxIPv6DatagramSize];
            while (!stop.IsCancellationRequested)
            {
                DatagramReceiveResult received;
                try
                {
                    received = await server.ReceiveAsync(buffer, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                await server.SendAsync(buffer.AsMemory(0, received.Length), (IPEndPoint)received.RemoteEndPoint, stop.Token);
            }
        });

        var perDatagram = await Task.Run(() =>
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            client.ReceiveTimeout = (int)TestTimeouts.Operation.TotalMilliseconds;
            var address = server.LocalEndPoint.Serialize();
            var payload = new byte[64];

            void RoundTrips(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    payload[0] = (byte)i;
                    client.SendTo(payload.AsSpan(0, 32), SocketFlags.None, address);
                    var length = client.Receive(payload.AsSpan(), SocketFlags.None); // bounded by ReceiveTimeout
                    if (length != 32 || payload[0] != (byte)i)
                    {
                        throw new InvalidOperationException($"Echo {i} came back wrong ({length} bytes).");
                    }
                }
            }

            RoundTrips(2_000);
            return Allocations.LeastPerOperation(5_000, RoundTrips);
        });
        await stop.CancelAsync();
        await echo.WaitAsync(TestTimeouts.Operation);

        perDatagram.Should().BeLessThan(32);
    }
}
