using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>
/// The UDP server's per-datagram path: a waiting handler is woken without a channel (inline on the listener's
/// thread once its next receive is pending), reads wait without a linked token source, and none of it may change
/// what a handler sees or let one peer's handler hold up the others.
/// </summary>
public sealed class DatagramHotPathTests
{
    [Fact]
    public async Task ServerPeer_ReadsReuseOneToken_ThenAnOldTokenIsCancelled_ALaterReadIsNotWokenByIt()
    {
        var outcome = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var first = new CancellationTokenSource();
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            try
            {
                // Ten reads on one cancellable token, each answered: every read registers on it and must unregister.
                for (var i = 0; i < 10; i++)
                {
                    var result = await connection.ReceiveAsync(first.Token);
                    await connection.SendAsync(result.Message.ToArray(), stopping);
                }

                await first.CancelAsync(); // nobody waits on it now: a late callback must not reach the next read
                using var second = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var next = connection.ReceiveAsync(second.Token);
                await connection.SendAsync("waiting"u8.ToArray(), stopping);
                var message = await next;
                outcome.TrySetResult(System.Text.Encoding.ASCII.GetString(message.Message.ToArray()));
            }
            catch (Exception ex)
            {
                outcome.TrySetResult(ex.GetType().Name);
            }
        });
        await server.StartAsync();
        await using var client = MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));

        for (var i = 0; i < 10; i++)
        {
            var message = new[] { (byte)i, (byte)(i * 7) };
            await client.SendAsync(message).AsTask().WithTimeout();
            (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(message);
        }

        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("waiting"u8.ToArray());
        await client.SendAsync("last"u8.ToArray()).AsTask().WithTimeout();
        (await outcome.Task.WithTimeout()).Should().Be("last");
    }

    [Fact]
    public async Task ServerPeer_PendingReadCancelledByItsToken_Throws_AndTheNextReadGetsTheNextDatagram()
    {
        var cancelled = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            await connection.ReceiveAsync(stopping); // the datagram that started the connection
            using var cts = new CancellationTokenSource();
            var pending = connection.ReceiveAsync(cts.Token).AsTask();
            cancelNow.TrySetResult();
            await cts.CancelAsync();
            try
            {
                await pending;
                cancelled.TrySetResult(null);
            }
            catch (Exception ex)
            {
                cancelled.TrySetResult(ex);
            }

            while (true)
            {
                var result = await connection.ReceiveAsync(stopping);
                if (result.IsCompleted)
                {
                    return;
                }

                await connection.SendAsync(result.Message.ToArray(), stopping);
            }
        });
        await server.StartAsync();
        await using var client = MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await client.SendAsync("start"u8.ToArray()).AsTask().WithTimeout();
        await cancelNow.Task.WithTimeout();

        (await cancelled.Task.WithTimeout()).Should().BeAssignableTo<OperationCanceledException>();
        await client.SendAsync("after"u8.ToArray()).AsTask().WithTimeout();
        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("after"u8.ToArray());
    }

    [Fact]
    public async Task ServerPeer_AHandlerBlockingItsThread_DoesNotHoldUpOtherPeers()
    {
        using var blocked = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            while (true)
            {
                var result = await connection.ReceiveAsync(stopping);
                if (result.IsCompleted)
                {
                    return;
                }

                var message = result.Message.ToArray();
                if (message.AsSpan().SequenceEqual("block"u8))
                {
                    // Work that holds its thread, on whatever thread woke this handler (the listener's, inline).
                    blocked.Set();
                    release.Wait(TestTimeouts.Operation);
                }

                await connection.SendAsync(message, stopping);
            }
        });
        await server.StartAsync();
        var endPoint = (IPEndPoint)server.EndPoint;
        await using var slow = MessageConnection.Create(await DatagramSocket.ConnectAsync(endPoint));
        await using var other = MessageConnection.Create(await DatagramSocket.ConnectAsync(endPoint));

        // The first datagram starts the handler; the second finds it waiting, so it is woken by the listener.
        await slow.SendAsync("one"u8.ToArray()).AsTask().WithTimeout();
        (await slow.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("one"u8.ToArray());
        await slow.SendAsync("block"u8.ToArray()).AsTask().WithTimeout();
        blocked.Wait(TestTimeouts.Operation).Should().BeTrue();

        try
        {
            for (var i = 0; i < 5; i++)
            {
                var message = new[] { (byte)'o', (byte)i };
                await other.SendAsync(message).AsTask().WithTimeout();
                (await other.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(message, "the other peer is served while the first handler holds its thread");
            }
        }
        finally
        {
            release.Set();
        }

        (await slow.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("block"u8.ToArray());
    }

    [Fact]
    public async Task ServerPeer_DatagramsQueuedWhileTheHandlerIsBusy_AllReadInOrder_UpToTheQueueBound()
    {
        // Capacity 4: the ring grows from its initial size to the bound and wraps around.
        var options = new MessageServerOptions { PeerQueueCapacity = 4 };
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new List<byte>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            await connection.ReceiveAsync(stopping); // the first datagram
            await connection.SendAsync("ready"u8.ToArray(), stopping);
            await gate.Task.WaitAsync(stopping);
            for (var round = 0; round < 3; round++)
            {
                for (var i = 0; i < 4; i++)
                {
                    received.Add((await connection.ReceiveAsync(stopping)).Message.FirstSpan[0]);
                }

                await connection.SendAsync(new[] { (byte)round }, stopping);
            }

            done.TrySetResult();
        }, options);
        await server.StartAsync();
        await using var client = MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await client.SendAsync("start"u8.ToArray()).AsTask().WithTimeout();
        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("ready"u8.ToArray());
        var listener = server.DatagramListener!;

        // Six datagrams while the handler is held: four are queued, two dropped as the queue is full.
        var before = listener.DatagramsReceived;
        for (var i = 0; i < 6; i++)
        {
            await client.SendAsync(new[] { (byte)(10 + i) }).AsTask().WithTimeout();
        }

        await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == before + 6);
        gate.TrySetResult();

        // Then two more rounds of four, each sent once the handler answered the round before.
        for (var round = 0; round < 3; round++)
        {
            (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(new[] { (byte)round });
            if (round < 2)
            {
                for (var i = 0; i < 4; i++)
                {
                    await client.SendAsync(new[] { (byte)(20 + (round * 4) + i) }).AsTask().WithTimeout();
                }
            }
        }

        await done.Task.WithTimeout();
        received.Should().Equal(10, 11, 12, 13, 20, 21, 22, 23, 24, 25, 26, 27);
    }
}
