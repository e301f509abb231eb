using System.Buffers;
using System.Net;
using Ocean.Framing.Internal;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>UDP message connections: one datagram is one message, one message connection per remote peer.</summary>
public sealed class DatagramMessageTests
{
    private static async Task<MessageConnection> ClientAsync(MessageServer server) =>
        MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));

    [Fact]
    public async Task ForDatagrams_EachPeerGetsItsOwnConnection_AndEchoesWork()
    {
        var peersSeen = new System.Collections.Concurrent.ConcurrentBag<EndPoint?>();
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            peersSeen.Add(connection.RemoteEndPoint);
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

        var clients = new List<MessageConnection>();
        for (var c = 0; c < 3; c++)
        {
            clients.Add(await ClientAsync(server));
        }

        for (var i = 0; i < 20; i++)
        {
            foreach (var (client, c) in clients.Select((client, c) => (client, c)))
            {
                var payload = new[] { (byte)c, (byte)i };
                await client.SendAsync(payload);
                (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(payload);
            }
        }

        peersSeen.Should().HaveCount(3).And.OnlyHaveUniqueItems();
        peersSeen.Should().BeEquivalentTo(clients.Select(c => c.LocalEndPoint));
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task IdlePeer_Expires_AndANewDatagramStartsAFreshConnection()
    {
        var clock = new ManualTimeProvider();
        var started = 0;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MessageServerOptions { IdleTimeout = TimeSpan.FromSeconds(30), TimeProvider = clock };
        await using var server = MessageServer.ForDatagrams(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, stopping) =>
            {
                Interlocked.Increment(ref started);
                while (true)
                {
                    var result = await connection.ReceiveAsync(stopping);
                    if (result.IsCompleted)
                    {
                        ended.TrySetResult();
                        return;
                    }

                    await connection.SendAsync(result.Message.ToArray(), stopping);
                }
            },
            options);
        await server.StartAsync();
        await using var client = await ClientAsync(server);

        await client.SendAsync("first"u8.ToArray());
        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("first"u8.ToArray());
        clock.Advance(TimeSpan.FromSeconds(31));

        await ended.Task.WithTimeout();
        await client.SendAsync("again"u8.ToArray());
        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("again"u8.ToArray());
        Volatile.Read(ref started).Should().Be(2, "the expired peer's next datagram opened a new connection");
    }

    [Fact]
    public async Task DatagramArrivingAsItsPeerExpires_DeliveredToAFreshConnection()
    {
        var connections = new System.Collections.Concurrent.ConcurrentQueue<(MessageConnection Connection, byte[] First)>();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MessageServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan };
        await using var server = MessageServer.ForDatagrams(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, stopping) =>
            {
                var first = await connection.ReceiveAsync(stopping);
                connections.Enqueue((connection, first.Message.ToArray()));
                await hold.Task.WaitAsync(stopping); // keeps its place in the peer table, reading nothing more
            },
            options);
        await server.StartAsync();
        await using var client = await ClientAsync(server);
        await client.SendAsync("first"u8.ToArray());
        await TestTimeouts.UntilAsync(() => connections.Count == 1);

        // The receive loop's view of a peer expiring as its datagram arrives: found in the table, its queue ended.
        var listener = server.DatagramListener!;
        listener.FindPeer((IPEndPoint)client.LocalEndPoint!)!.Complete();
        await client.SendAsync("second"u8.ToArray());

        await TestTimeouts.UntilAsync(() => connections.Count == 2, because: "the datagram should open a fresh connection, not be dropped as a full queue");
        var fresh = connections.ToArray()[1];
        fresh.First.Should().Equal("second"u8.ToArray());
        fresh.Connection.Should().NotBeSameAs(connections.ToArray()[0].Connection);
        hold.SetResult();
    }

    [Fact]
    public async Task MaxPeers_DatagramsFromMorePeersAreDropped()
    {
        var options = new MessageServerOptions { MaxPeers = 1 };
        var handlerRuns = 0;
        await using var server = MessageServer.ForDatagrams(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, stopping) =>
            {
                Interlocked.Increment(ref handlerRuns);
                while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
                {
                    await connection.SendAsync("ok"u8.ToArray(), stopping);
                }
            },
            options);
        await server.StartAsync();
        await using var first = await ClientAsync(server);
        await using var second = await ClientAsync(server);

        await first.SendAsync("a"u8.ToArray());
        (await first.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("ok"u8.ToArray());
        await second.SendAsync("b"u8.ToArray());

        // The second peer's datagram is dropped: prove it by the first peer still being served afterwards
        // and only one handler having run.
        await first.SendAsync("c"u8.ToArray());
        (await first.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("ok"u8.ToArray());
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await FluentActions.Awaiting(() => second.ReceiveAsync(quiet.Token).AsTask()).Should().ThrowAsync<OperationCanceledException>();
        Volatile.Read(ref handlerRuns).Should().Be(1);
    }

    [Fact]
    public async Task ClientConnection_IdleTimeout_ThrowsTimeout()
    {
        var clock = new ManualTimeProvider();
        using var peer = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var client = MessageConnection.Create(
            await DatagramSocket.ConnectAsync(peer.LocalEndPoint),
            new MessageConnectionOptions { IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock });

        var read = client.ReceiveAsync().AsTask();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0);
        clock.Advance(TimeSpan.FromSeconds(10));

        await FluentActions.Awaiting(() => read.WithTimeout()).Should().ThrowAsync<TimeoutException>();
    }

    [Fact]
    public async Task Create_UnconnectedSocket_IsRefused()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        FluentActions.Invoking(() => MessageConnection.Create(socket)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void ServerOptions_Defaults_AreTheDocumentedLimits_AndNonPositiveValuesAreRefused()
    {
        var options = new MessageServerOptions();

        options.MaxPeers.Should().Be(1024);
        options.PeerQueueCapacity.Should().Be(64);
        options.IdleTimeout.Should().Be(Timeout.InfiniteTimeSpan, "unset: UDP peers then expire after the documented minute (DatagramServerLifecycleTests)");
        options.MaxQueuedDatagramBytes.Should().Be(32L * 1024 * 1024);
        options.MaxBufferedBytes.Should().Be(256L * 1024 * 1024);
        ((Action)(() => options.MaxQueuedDatagramBytes = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxBufferedBytes = -1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxPeers = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.PeerQueueCapacity = 0)).Should().Throw<ArgumentOutOfRangeException>();
        options.MaxHeldReplyBytes.Should().Be(64 * 1024);
        ((Action)(() => options.MaxHeldReplyBytes = 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void PeerQueue_Full_RefusesAsFull()
    {
        var listener = new DatagramMessageListener(new IPEndPoint(IPAddress.Loopback, 0), static (_, _) => ValueTask.CompletedTask, new MessageServerOptions());
        var peer = new PeerMessageConnection(listener, new IPEndPoint(IPAddress.Loopback, 9), capacity: 2, now: 0);

        peer.TryEnqueue(Queued(1), 1).Should().Be(EnqueueResult.Queued);
        peer.TryEnqueue(Queued(2), 2).Should().Be(EnqueueResult.Queued);
        peer.TryEnqueue(Queued(3), 3).Should().Be(EnqueueResult.Full, "the queue holds two");
        peer.LastActivity.Should().Be(3);
    }

    [Fact]
    public void PeerQueue_Ended_RefusesAsClosedNotFull()
    {
        var listener = new DatagramMessageListener(new IPEndPoint(IPAddress.Loopback, 0), static (_, _) => ValueTask.CompletedTask, new MessageServerOptions());
        var peer = new PeerMessageConnection(listener, new IPEndPoint(IPAddress.Loopback, 9), capacity: 2, now: 0);

        peer.Complete();

        peer.TryEnqueue(Queued(1), 1).Should().Be(EnqueueResult.Closed);
    }

    [Fact]
    public async Task Multicast_MessageConnectionsOnAGroup_EveryMemberReceivesEachMessage()
    {
        // IPv4 multicast on lo: sockets send and join on the loopback interface, so nothing leaves the machine.
        var group = IPAddress.Parse("239.255.43.1");
        DatagramOptions OnLoopback() => new() { MulticastInterface = "lo", ReuseAddress = true };
        var first = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), OnLoopback());
        var port = first.LocalEndPoint.Port;
        var second = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, port), OnLoopback());
        first.JoinMulticastGroup(group);
        second.JoinMulticastGroup(group);
        var destination = new IPEndPoint(group, port);
        await using var alice = MessageConnection.Create(first, destination);
        await using var bob = MessageConnection.Create(second, destination);

        await alice.SendAsync("from alice"u8.ToArray());

        foreach (var member in new[] { alice, bob })
        {
            (await member.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("from alice"u8.ToArray());
        }

        alice.RemoteEndPoint.Should().Be(destination);
    }

    [Fact]
    public async Task ForDatagrams_SocketReceiveTimeoutElapses_ServerKeepsReceiving()
    {
        var clock = new ManualTimeProvider();
        var options = new MessageServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan };
        options.Datagram.ReceiveTimeout = TimeSpan.FromSeconds(1);
        options.TimeProvider = clock;
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
            {
                await connection.SendAsync("ok"u8.ToArray(), stopping);
            }
        }, options);
        await server.StartAsync();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0, because: "the receive timeout should be armed");

        clock.Advance(TimeSpan.FromSeconds(5)); // the shared socket's receive times out: a quiet moment, not an end
        await using var client = await ClientAsync(server);
        await client.SendAsync("hello"u8.ToArray());

        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("ok"u8.ToArray());
    }

    [Fact]
    public async Task Unconnected_TwoSenders_EachMessageNamesItsSender_AndRepliesReachTheRightOne()
    {
        await using var server = MessageConnection.Create(DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), new IPEndPoint(IPAddress.Loopback, 9));
        var serverEndPoint = (IPEndPoint)server.LocalEndPoint!;
        await using var alice = MessageConnection.Create(await DatagramSocket.ConnectAsync(serverEndPoint));
        await using var bob = MessageConnection.Create(await DatagramSocket.ConnectAsync(serverEndPoint));

        await alice.SendAsync("from alice"u8.ToArray());
        await bob.SendAsync("from bob"u8.ToArray());

        var senders = new Dictionary<string, EndPoint?>();
        for (var i = 0; i < 2; i++)
        {
            var result = await server.ReceiveAsync().WithTimeout();
            senders[System.Text.Encoding.ASCII.GetString(result.Message.ToArray())] = result.RemoteEndPoint;
        }

        senders["from alice"].Should().Be(alice.LocalEndPoint);
        senders["from bob"].Should().Be(bob.LocalEndPoint);

        // Reply to each sender, in both SendAsync forms.
        await server.SendAsync("to alice"u8.ToArray(), senders["from alice"]!);
        await server.SendAsync("to bob"u8.ToArray(), static (m, output) => output.Write(m), senders["from bob"]!);
        (await alice.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("to alice"u8.ToArray());
        (await bob.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("to bob"u8.ToArray());
    }

    [Fact]
    public async Task Unconnected_SendToAnEndPoint_OverOneDatagram_ThrowsFrameTooLargeInBothForms()
    {
        await using var socket = MessageConnection.Create(DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), new IPEndPoint(IPAddress.Loopback, 9));
        var to = new IPEndPoint(IPAddress.Loopback, 9);
        var tooLarge = new byte[DatagramSocket.MaxIPv4DatagramSize + 1];

        (await FluentActions.Awaiting(() => socket.SendAsync(tooLarge, to).AsTask()).Should().ThrowAsync<FramingException>()).Which.Error.Should().Be(FramingError.FrameTooLarge);
        (await FluentActions.Awaiting(() => socket.SendAsync(tooLarge, static (m, o) => o.Write(m), to).AsTask()).Should().ThrowAsync<FramingException>()).Which.Error.Should().Be(FramingError.FrameTooLarge);
    }

    [Fact]
    public async Task SendToAnEndPoint_OnAConnectionWithOnePeer_NotSupported()
    {
        var peerSocket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var peer = MessageConnection.Create(peerSocket, new IPEndPoint(IPAddress.Loopback, 9));
        await using var connected = MessageConnection.Create(await DatagramSocket.ConnectAsync(peerSocket.LocalEndPoint));
        var (first, second) = MessageConnection.CreatePair();
        await using var pairFirst = first;
        await using var pairSecond = second;
        var (left, _) = Infrastructure.PipeConnection.CreatePair();
        await using var stream = MessageConnection.Create(left, new LengthPrefixedCodec());

        foreach (var connection in new[] { connected, first, stream })
        {
            await FluentActions.Awaiting(() => connection.SendAsync("x"u8.ToArray(), peerSocket.LocalEndPoint).AsTask()).Should().ThrowAsync<NotSupportedException>();
            await FluentActions.Awaiting(() => connection.SendAsync(0, static (_, o) => o.Write("x"u8), peerSocket.LocalEndPoint).AsTask()).Should().ThrowAsync<NotSupportedException>();
        }
    }

    [Fact]
    public async Task Multicast_EachMessageNamesItsSender()
    {
        var group = IPAddress.Parse("239.255.43.2");
        DatagramOptions OnLoopback() => new() { MulticastInterface = "lo", ReuseAddress = true };
        var first = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), OnLoopback());
        var port = first.LocalEndPoint.Port;
        var second = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, port), OnLoopback());
        first.JoinMulticastGroup(group);
        second.JoinMulticastGroup(group);
        var destination = new IPEndPoint(group, port);
        await using var alice = MessageConnection.Create(first, destination);
        await using var bob = MessageConnection.Create(second, destination);

        await alice.SendAsync("to the group"u8.ToArray());

        var atBob = await bob.ReceiveAsync().WithTimeout();
        atBob.Message.ToArray().Should().Equal("to the group"u8.ToArray());
        var sender = atBob.RemoteEndPoint.Should().BeOfType<IPEndPoint>().Subject;
        sender.Port.Should().Be(port, "alice sent from her socket's port, which is the group's");
        IPAddress.IsLoopback(sender.Address).Should().BeTrue("alice sends on lo");
        atBob.RemoteEndPoint.Should().NotBe(destination, "the sender is a member, not the group");
    }

    [Fact]
    public async Task MaxMessageSize_IPv6Peer_IsTheIPv6DatagramMaximum()
    {
        var peerSocket = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var peer = MessageConnection.Create(peerSocket, new IPEndPoint(IPAddress.IPv6Loopback, 9));
        await using var connected = MessageConnection.Create(await DatagramSocket.ConnectAsync(peerSocket.LocalEndPoint));

        peer.MaxMessageSize.Should().Be(DatagramSocket.MaxIPv6DatagramSize);
        connected.MaxMessageSize.Should().Be(65_527);
        var largest = new byte[65_527];
        largest[^1] = 42;
        await connected.SendAsync(largest);
        var received = await peer.ReceiveAsync().WithTimeout();
        received.Message.Length.Should().Be(65_527);
        (await FluentActions.Awaiting(() => connected.SendAsync(new byte[65_528]).AsTask()).Should().ThrowAsync<FramingException>()).Which.Error.Should().Be(FramingError.FrameTooLarge);
    }

    private static QueuedDatagram Queued(byte value) => new([value], 1);
}
