using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ocean.Framing.Internal;
using Ocean.Testing;

namespace Ocean.Framing.Tests;

/// <summary>Starting and stopping a UDP message server: a stop, however it interleaves with a start, leaves nothing running.</summary>
public sealed class DatagramServerLifecycleTests
{
    private static readonly MessageConnectionHandler s_drain = async (connection, stopping) =>
    {
        while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
        {
        }
    };

    private static readonly MessageConnectionHandler s_echo = async (connection, stopping) =>
    {
        MessageReceiveResult read;
        while (!(read = await connection.ReceiveAsync(stopping)).IsCompleted)
        {
            await connection.SendAsync(read.Message, stopping);
        }
    };

    [Fact]
    public async Task StartAsync_AfterStop_Throws()
    {
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_drain);
        await server.StopAsync().WithTimeout();

        // Before, this bound a socket that no later StopAsync or DisposeAsync would ever close.
        await FluentActions.Awaiting(() => server.StartAsync()).Should().ThrowAsync<InvalidOperationException>();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task StartAsync_StopRacesWithIt_HeartbeatTimerAndSocketDoNotOutliveTheServer()
    {
        var clock = new ManualTimeProvider();
        MessageServer? server = null;
        Task? racingStop = null;
        var hooked = 0;
        var port = 0;
        var time = new HookedTimeProvider(clock, () =>
        {
            if (Interlocked.Exchange(ref hooked, 1) != 0)
            {
                return; // only the first timer: the heartbeat
            }

            port = ((IPEndPoint)server!.EndPoint).Port;

            // StartAsync is creating the heartbeat now: a StopAsync on another thread must not slip in between.
            racingStop = Task.Run(() => server!.StopAsync());
            racingStop.Wait(TimeSpan.FromSeconds(1)); // enough for an unguarded stop to finish in the gap
        });
        server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_drain, new MessageServerOptions { IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = time });

        await server.StartAsync();
        await racingStop!.WithTimeout();

        clock.ArmedTimers.Should().Be(0, "the stop, however it interleaved with the start, disposed the heartbeat timer");
        using var rebind = new UdpClient(new IPEndPoint(IPAddress.Loopback, port)); // the stop closed the socket
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ReceiveLoop_LastingSocketError_PausesInsteadOfSpinning_ThenServesAgain()
    {
        var clock = new ManualTimeProvider();
        var failing = 1;
        var calls = 0;
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_echo, new MessageServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock });
        server.DatagramListener!.ReceiveHook = (socket, buffer, cancellationToken) =>
        {
            Interlocked.Increment(ref calls);
            return Volatile.Read(ref failing) == 1
                ? ValueTask.FromException<Ocean.Transport.DatagramReceiveResult>(new SocketException((int)SocketError.NoBufferSpaceAvailable))
                : socket.ReceiveAsync(buffer, cancellationToken);
        };
        await server.StartAsync();
        try
        {
            // Before, the loop retried at once, forever: thousands of failing receives a second, each one logged.
            await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1, because: "the loop waits on the clock after a failure");
            Volatile.Read(ref calls).Should().Be(1);
            clock.Advance(DatagramMessageListener.MinReceiveBackoff);
            await TestTimeouts.UntilAsync(() => Volatile.Read(ref calls) == 2 && clock.ArmedTimers == 1, because: "one more try, then a longer pause");

            Volatile.Write(ref failing, 0);
            clock.Advance(DatagramMessageListener.MaxReceiveBackoff);
            await using var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
            await client.SendAsync(new byte[] { 4, 2 });
            (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(4, 2);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReceiveLoop_ErrorAboutOneDatagram_RetriedAtOnce()
    {
        var clock = new ManualTimeProvider();
        var calls = 0;
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_echo, new MessageServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock });
        server.DatagramListener!.ReceiveHook = (socket, buffer, cancellationToken) =>
            Interlocked.Increment(ref calls) == 1
                ? ValueTask.FromException<Ocean.Transport.DatagramReceiveResult>(new SocketException((int)SocketError.ConnectionReset)) // an ICMP port unreachable
                : socket.ReceiveAsync(buffer, cancellationToken);
        await server.StartAsync();
        try
        {
            // The clock never moves: the datagram is served only if that error caused no pause.
            await using var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
            await client.SendAsync(new byte[] { 9 });
            (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(9);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IdleTimeout_LeftUnset_PeersExpireAfterOneMinute_SetToInfinite_Never(bool infinite)
    {
        var clock = new ManualTimeProvider();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MessageServerOptions { TimeProvider = clock };
        if (infinite)
        {
            options.IdleTimeout = Timeout.InfiniteTimeSpan;
        }

        await using var server = MessageServer.ForDatagrams(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, stopping) =>
            {
                running.TrySetResult();
                while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
                {
                }

                ended.TrySetResult();
            },
            options);
        await server.StartAsync();
        await using var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await client.SendAsync("hello"u8.ToArray());
        // The handler running, not the peer's entry alone: the peer is listed as its datagram is dispatched, but the
        // heartbeat sees it only once the accept loop has registered it, just before its handler starts.
        await running.Task.WithTimeout();
        server.DatagramListener!.FindPeer((IPEndPoint)client.LocalEndPoint!).Should().NotBeNull();

        clock.Advance(TimeSpan.FromSeconds(50));
        ended.Task.IsCompleted.Should().BeFalse("50 s is within the default minute");
        clock.Advance(TimeSpan.FromSeconds(15));
        if (infinite)
        {
            clock.Advance(TimeSpan.FromHours(1));
            (await Task.WhenAny(ended.Task, Task.Delay(TimeSpan.FromMilliseconds(200)))).Should().NotBe(ended.Task, "an infinite idle timeout never expires a peer");
            server.DatagramListener!.FindPeer((IPEndPoint)client.LocalEndPoint!).Should().NotBeNull();
        }
        else
        {
            await ended.Task.WithTimeout();
            server.DatagramListener!.FindPeer((IPEndPoint)client.LocalEndPoint!).Should().BeNull();
        }
    }

    [Fact]
    public async Task IdleTimeout_HandlerKeepsSendingWithNothingArriving_PeerKept_SilentPeerExpires()
    {
        var clock = new ManualTimeProvider();
        var idle = TimeSpan.FromSeconds(30);
        var started = new System.Collections.Concurrent.ConcurrentDictionary<string, MessageConnection>();
        var ended = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var sendNow = new SemaphoreSlim(0);
        var sent = new SemaphoreSlim(0);
        var options = new MessageServerOptions { IdleTimeout = idle, TimeProvider = clock };
        await using var server = MessageServer.ForDatagrams(
            new IPEndPoint(IPAddress.Loopback, 0),
            async (connection, stopping) =>
            {
                var first = await connection.ReceiveAsync(stopping);
                var name = System.Text.Encoding.ASCII.GetString(first.Message.ToArray());
                started[name] = connection;
                if (name == "slow")
                {
                    // A slow call: no request arrives, but the handler keeps sending (progress, then the reply).
                    while (await sendNow.WaitAsync(TestTimeouts.Operation, stopping))
                    {
                        await connection.SendAsync("tick"u8.ToArray(), stopping);
                        sent.Release();
                    }
                }

                ended[name] = (await connection.ReceiveAsync(stopping)).IsCompleted;
            },
            options);
        await server.StartAsync();
        await using var slow = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await using var silent = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await slow.SendAsync("slow"u8.ToArray());
        await silent.SendAsync("silent"u8.ToArray());
        await TestTimeouts.UntilAsync(() => started.Count == 2);
        var listener = server.DatagramListener!;
        var slowPeer = listener.FindPeer((IPEndPoint)slow.LocalEndPoint!);

        // Three idle timeouts pass without a datagram from either client; the slow peer's handler sends every 20 s.
        for (var step = 0; step < 6; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            if (step % 2 == 1)
            {
                sendNow.Release();
                (await sent.WaitAsync(TestTimeouts.Operation)).Should().BeTrue();
                (await slow.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("tick"u8.ToArray());
            }
        }

        await TestTimeouts.UntilAsync(() => ended.ContainsKey("silent"), because: "a peer that neither sends nor receives expires");
        ended["silent"].Should().BeTrue("expiry completes the peer's reads");
        listener.FindPeer((IPEndPoint)silent.LocalEndPoint!).Should().BeNull();
        listener.FindPeer((IPEndPoint)slow.LocalEndPoint!).Should().BeSameAs(slowPeer, "sending kept the slow peer alive: its next datagram reaches the same handler");
        ended.Should().NotContainKey("slow");
        started.Should().HaveCount(2, "no second handler was started for the slow peer");
    }

    [Fact]
    public async Task StopAsync_HandlerIgnoresStopping_AbortedAtTheServersShutdownTimeout()
    {
        var clock = new ManualTimeProvider();
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MessageServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan, ShutdownTimeout = TimeSpan.FromSeconds(7), TimeProvider = clock };
        options.Stream.ShutdownTimeout = TimeSpan.FromSeconds(30); // the stream server's default: a datagram server never reads it
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, _) =>
        {
            await connection.ReceiveAsync();
            handlerStarted.TrySetResult();
            await hold.Task; // ignores the stopping token
        }, options);
        await server.StartAsync();
        await using var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await client.SendAsync(new byte[] { 1 });
        await handlerStarted.Task.WithTimeout();
        var peer = server.DatagramListener!.FindPeer((IPEndPoint)client.LocalEndPoint!)!;

        var stop = server.StopAsync();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0, because: "the deadline should be armed on the server's clock");
        clock.Advance(TimeSpan.FromSeconds(6));
        stop.IsCompleted.Should().BeFalse("6 of the 7 seconds have passed");
        clock.Advance(TimeSpan.FromSeconds(1));
        await stop.WithTimeout();

        await FluentActions.Awaiting(() => peer.SendAsync(new byte[] { 2 }).AsTask()).Should().ThrowAsync<Ocean.Transport.ConnectionAbortedException>("the peer was aborted at the deadline");
        hold.SetResult();
    }

    [Fact]
    public async Task MaxPeers_ExpiredPeerWhoseHandlerStillRuns_StillCountsUntilItsHandlerReturns()
    {
        var clock = new ManualTimeProvider();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var maxRunning = 0;
        var started = 0;
        var options = new MessageServerOptions { MaxPeers = 1, IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock };
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, _) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            Interlocked.Increment(ref started);
            try
            {
                await connection.ReceiveAsync();
                await hold.Task; // a hostile peer's handler that does not return when its peer expires
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }, options);
        await server.StartAsync();
        var listener = server.DatagramListener!;
        var clients = new List<MessageConnection>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
                clients.Add(client);
                var endPoint = (IPEndPoint)client.LocalEndPoint!;
                await client.SendAsync(new byte[] { (byte)i });
                await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == i + 1);

                // Either its handler started, or its datagram was dropped at the peer limit (no connection for it).
                await TestTimeouts.UntilAsync(() => Volatile.Read(ref started) > i || listener.FindPeer(endPoint) is null);
                clock.Advance(TimeSpan.FromSeconds(11));
                await TestTimeouts.UntilAsync(() => listener.FindPeer(endPoint) is null, because: "the peer expires");
            }

            Volatile.Read(ref maxRunning).Should().Be(1, "an expired peer whose handler still runs counts against MaxPeers");
            Volatile.Read(ref started).Should().Be(1);
        }
        finally
        {
            hold.SetResult();
            await server.DisposeAsync();
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task HandlerReturnsWithAReadPending_DatagramArrivingMeanwhile_ItsBufferReturnsToTheBudget()
    {
        var gates = new System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource>();
        var ready = new SemaphoreSlim(0);
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            if ((await connection.ReceiveAsync()).Message.FirstSpan[0] != 1)
            {
                return; // a second datagram that arrived once its peer had ended: a fresh peer of its own
            }

            _ = connection.ReceiveAsync().AsTask(); // left pending as the handler returns
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            gates.Enqueue(gate);
            ready.Release();
            await gate.Task;
        });
        await server.StartAsync();
        var listener = server.DatagramListener!;
        for (var i = 0; i < 200; i++)
        {
            await using var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));

            // UDP may lose a datagram (a loaded CI machine, or a new socket on the port of a peer still closing): the
            // first one is sent again until its handler has it, a bounded number of times.
            var started = false;
            for (var attempt = 0; attempt < 10 && !started; attempt++)
            {
                await client.SendAsync(new byte[] { 1 });
                started = await ready.WaitAsync(TimeSpan.FromSeconds(3));
            }

            started.Should().BeTrue();
            gates.TryDequeue(out var gate).Should().BeTrue();

            // The pending read takes this datagram as the handler's end releases the current one and closes.
            await client.SendAsync(new byte[] { 2 });
            gate!.SetResult();
            await TestTimeouts.UntilAsync(() => listener.FindPeer((IPEndPoint)client.LocalEndPoint!) is null);
        }

        await TestTimeouts.UntilAsync(() => listener.RunningPeers == 0);
        await TestTimeouts.UntilAsync(() => listener.QueuedBytes.Used == 0, because: "every queued datagram's buffer goes back, whichever side took it");
    }

    [Fact]
    public async Task ForDatagrams_OptionsChangedAfterCreation_TheServerKeepsItsCopy()
    {
        var options = new MessageServerOptions { MaxPeers = 1 };
        var started = 0;
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            Interlocked.Increment(ref started);
            while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
            {
            }
        }, options);
        options.MaxPeers = 10; // too late: the server works on a copy
        await server.StartAsync();
        var listener = server.DatagramListener!;
        await using var first = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await using var second = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));

        await first.SendAsync(new byte[] { 1 });
        await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == 1);
        await second.SendAsync(new byte[] { 2 });
        await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == 2);

        listener.FindPeer((IPEndPoint)first.LocalEndPoint!).Should().NotBeNull();
        listener.FindPeer((IPEndPoint)second.LocalEndPoint!).Should().BeNull("MaxPeers was 1 when the server was created");
    }

    [Fact]
    public async Task MaxPeers_ManyDatagramsDropped_Event503LoggedAtMostOncePerInterval()
    {
        var clock = new ManualTimeProvider();
        using var logs = new CapturingLoggerFactory();
        var options = new MessageServerOptions { MaxPeers = 1, IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock, LoggerFactory = logs };
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_drain, options);
        await server.StartAsync();
        var listener = server.DatagramListener!;
        await using var first = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await using var flood = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await first.SendAsync(new byte[] { 1 });
        await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == 1);
        int PeerLimitEvents() => logs.Entries.Count(e => e.EventId.Id == 503);

        for (var i = 0; i < 20; i++)
        {
            await flood.SendAsync(new byte[] { 2 });
        }

        await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == 21);
        PeerLimitEvents().Should().Be(1, "a flood of dropped datagrams (spoofed sources, say) must not flood the log");

        clock.Advance(DatagramMessageListener.PeerLimitLogInterval);
        await flood.SendAsync(new byte[] { 3 });
        await TestTimeouts.UntilAsync(() => listener.DatagramsReceived == 22);
        PeerLimitEvents().Should().Be(2, "once the interval has passed the limit is reported again");
        logs.Entries.Last(e => e.EventId.Id == 503).Message.Should().Contain("20 datagrams", "the report counts the drops since the last one");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
