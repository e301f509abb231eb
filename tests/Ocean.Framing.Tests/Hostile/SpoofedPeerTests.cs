using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests.Hostile;

/// <summary>
/// UDP floods from many source addresses (source ports cost an attacker nothing): the datagram server's memory
/// stays within <see cref="MessageServerOptions.MaxQueuedDatagramBytes"/> whatever the peers and their handlers do.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class SpoofedPeerTests
{
    [Fact]
    public async Task ManySpoofedPeers_SlowHandlers_QueuedBytesNeverExceedTheBoundAndDropsAreCounted()
    {
        const int Peers = 100, PerPeer = 3, Size = 32_000; // each held in a 32 KiB pooled buffer
        const long Limit = 1024 * 1024;                     // room for 32 of them
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MessageServerOptions { MaxQueuedDatagramBytes = Limit, IdleTimeout = Timeout.InfiniteTimeSpan };
        options.Datagram.ReceiveBufferSize = 4 * 1024 * 1024;
        await using var server = MessageServer.ForDatagrams(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, stopping) =>
            {
                await connection.ReceiveAsync(stopping); // a slow handler: reads one, then nothing until released
                await release.Task.WaitAsync(stopping);
            },
            options);
        await server.StartAsync();
        var listener = server.DatagramListener!;
        using var dropped = new DroppedDatagramCounter("byte_limit");
        var clients = new List<DatagramSocket>();
        try
        {
            for (var i = 0; i < Peers; i++)
            {
                clients.Add(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
            }

            var payload = new byte[Size];
            var sent = 0;
            for (var round = 0; round < PerPeer; round++)
            {
                foreach (var client in clients)
                {
                    await client.SendAsync(payload);
                    if (++sent % 2 == 0)
                    {
                        // Paced, so the kernel's socket buffer never overflows: every datagram reaches the server.
                        await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == sent, because: "the server should take each datagram");
                    }

                    listener.QueuedBytes.Used.Should().BeLessThanOrEqualTo(Limit);
                }
            }

            await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == sent);
            listener.QueuedBytes.Peak.Should().BeLessThanOrEqualTo(Limit).And.BeGreaterThan(Limit - 32 * 1024, "the budget was filled");
            dropped.Count.Should().Be(Peers * PerPeer - (Limit / 32_768), "every datagram beyond the 32 that fit was dropped and counted");

            // Once the handlers finish, every buffer goes back: the budget is whole again.
            release.SetResult();
            await TestTimeouts.UntilAsync(() => listener.QueuedBytes.Used == 0 && listener.PeerCount == 0, because: "finished peers return their datagrams");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task QueuedBytesBudgetExhausted_HandlerCatchesUp_LaterDatagramsDeliveredAgain()
    {
        const long Limit = 64 * 1024;
        var gate = new SemaphoreSlim(0);
        var delivered = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var options = new MessageServerOptions { MaxQueuedDatagramBytes = Limit, IdleTimeout = Timeout.InfiniteTimeSpan };
        await using var server = MessageServer.ForDatagrams(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, stopping) =>
            {
                while (true)
                {
                    await gate.WaitAsync(stopping);
                    var result = await connection.ReceiveAsync(stopping);
                    if (result.IsCompleted)
                    {
                        return;
                    }

                    delivered.Enqueue(result.Message.FirstSpan[0]);
                }
            },
            options);
        await server.StartAsync();
        var listener = server.DatagramListener!;
        using var client = await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint);
        var payload = new byte[20_000]; // a 32 KiB buffer each: two fit

        for (var i = 0; i < 4; i++)
        {
            payload[0] = (byte)i;
            await client.SendAsync(payload);
            await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == i + 1);
        }

        gate.Release(3); // the handler reads the two that were kept, then waits for a third
        await TestTimeouts.UntilAsync(() => delivered.Count == 2);
        payload[0] = 9;
        await client.SendAsync(payload);

        await TestTimeouts.UntilAsync(() => delivered.Count == 3, because: "with the budget given back, a new datagram is queued again");
        delivered.Should().Equal(0, 1, 9);
    }
}
