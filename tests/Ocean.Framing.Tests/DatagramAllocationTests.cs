using System.Net;
using System.Net.Sockets;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>Runs alone: the allocation tests count every thread's allocations, so nothing else may run meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation (not in parallel)";
}

/// <summary>
/// UDP echo in the steady state allocates nothing per message. Counted over the whole process
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, since the work spans the listener's and the pool's threads) with a
/// client that allocates nothing itself (a raw socket with a reused buffer and address), against a generous bound:
/// a few bytes per message from the runtime's own warm-up (tiering, the pool's threads) are not what this catches;
/// a token source, a channel operation or an endpoint per message (hundreds of bytes) is.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class DatagramAllocationTests
{
    private const int WarmUp = 2_000;
    private const int Measured = 5_000;
    private const double MaxBytesPerMessage = 32;

    [Fact]
    public async Task ServerEcho_WithACancellableToken_AllocatesNothingPerMessage()
    {
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            while (true)
            {
                var result = await connection.ReceiveAsync(stopping); // stopping can be cancelled: the costly kind of token
                if (result.IsCompleted)
                {
                    return;
                }

                await connection.SendAsync(result.Message.First, stopping);
            }
        });
        await server.StartAsync();

        var perMessage = await Task.Run(() => EchoBytesPerMessage((IPEndPoint)server.EndPoint));

        perMessage.Should().BeLessThan(MaxBytesPerMessage);
    }

    [Fact]
    public async Task ConnectedConnection_WithIdleTimeoutAndACancellableToken_AllocatesNothingPerMessage()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.ReceiveTimeout = (int)TestTimeouts.Operation.TotalMilliseconds;
        await using var connection = MessageConnection.Create(
            await DatagramSocket.ConnectAsync((IPEndPoint)peer.LocalEndPoint!),
            new MessageConnectionOptions { IdleTimeout = TimeSpan.FromMinutes(5) });
        using var cts = new CancellationTokenSource();
        var peerAddress = ((IPEndPoint)connection.LocalEndPoint!).Serialize();
        var buffer = new byte[64];

        async Task RoundTripsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                // The connection echoes back what its peer sends it: peer -> read -> send -> peer.
                buffer[0] = (byte)i;
                peer.SendTo(buffer.AsSpan(0, 16), SocketFlags.None, peerAddress);
                var result = await connection.ReceiveAsync(cts.Token);
                await connection.SendAsync(result.Message.First, cts.Token);
                var length = peer.Receive(buffer.AsSpan(), SocketFlags.None);
                if (length != 16 || buffer[0] != (byte)i)
                {
                    throw new InvalidOperationException($"Echo {i} came back wrong ({length} bytes, first {buffer[0]}).");
                }
            }
        }

        var perMessage = await Task.Run(async () =>
        {
            await RoundTripsAsync(WarmUp);
            return await Allocations.LeastPerOperationAsync(Measured, RoundTripsAsync);
        });

        perMessage.Should().BeLessThan(MaxBytesPerMessage);
    }

    /// <summary>Ping-pong echoes from a raw socket, which allocates nothing per message; the process's bytes allocated per echo.</summary>
    private static double EchoBytesPerMessage(IPEndPoint server)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.ReceiveTimeout = (int)TestTimeouts.Operation.TotalMilliseconds;
        var address = server.Serialize();
        var buffer = new byte[64];

        void RoundTrips(int count)
        {
            for (var i = 0; i < count; i++)
            {
                buffer[0] = (byte)i;
                buffer[1] = (byte)(i >> 8);
                client.SendTo(buffer.AsSpan(0, 32), SocketFlags.None, address);
                var length = client.Receive(buffer.AsSpan(), SocketFlags.None); // bounded by ReceiveTimeout
                if (length != 32 || buffer[0] != (byte)i || buffer[1] != (byte)(i >> 8))
                {
                    throw new InvalidOperationException($"Echo {i} came back wrong ({length} bytes).");
                }
            }
        }

        RoundTrips(WarmUp);

        return Allocations.LeastPerOperation(Measured, RoundTrips);
    }
}
