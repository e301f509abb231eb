using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>
/// The server's at-most-once filter, driven by hand-made datagrams (no faults needed): copies of a finished call get its
/// cached reply, copies of a running one are dropped, acknowledged ids are stale; idempotent copies run every time. And
/// the reply cache's bounds: entries, clients, bytes, expiry.
/// </summary>
public sealed class AtMostOnceFilterTests
{
    private static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(300);

    private static byte[] Hold(in ClientKey key, ulong id, TokenBytes token, long gateKey, ulong ack = 0) =>
        Datagrams.Request(key, id, token, "gate", Datagrams.MethodId<IGate>(nameof(IGate.HoldPlainAsync)), Datagrams.Args(gateKey), ack);

    [Fact]
    public async Task TheSameRequestTwice_RunsOnce_AndTheCopyGetsTheIdenticalCachedReply()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var request = Datagrams.Add(key, 1, token, 100, 7);

        await peer.SendAsync(request);
        var first = await peer.ReceiveAsync();
        first.Result<long>().Should().Be(7);
        await peer.SendAsync(request);
        var second = await peer.ReceiveAsync();
        second.Bytes.Should().Equal(first.Bytes);

        request[DatagramEnvelope.FlagsOffset] = (byte)DatagramFlags.Retransmission;
        await peer.SendAsync(request);
        (await peer.ReceiveAsync()).Bytes.Should().Equal(first.Bytes, "the retransmission flag changes nothing");

        counter.RunsOf(100).Should().Be(1);
        counter.Total.Should().Be(7);
        var stats = server.DatagramStatistics;
        stats.Calls.Should().Be(1);
        stats.Replayed.Should().Be(2);
        stats.CacheEntries.Should().Be(1);
        stats.CacheBytes.Should().Be(first.Bytes.Length, "the reply is kept as sent");
        stats.Clients.Should().Be(1);
    }

    [Fact]
    public async Task AnotherIncarnationOfTheSameClientId_IsAnotherClient()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var reborn = key with { Incarnation = key.Incarnation + 1 };
        var token = await peer.HelloAsync(key);
        var rebornToken = await peer.HelloAsync(reborn);
        rebornToken.Should().NotBe(token, "the token binds the incarnation too");

        await peer.SendAsync(Datagrams.Add(key, 1, token, 1, 1));
        (await peer.ReceiveAsync()).Result<long>().Should().Be(1);
        await peer.SendAsync(Datagrams.Add(reborn, 1, token, 1, 1));
        (await peer.ReceiveAsync()).Envelope.Kind.Should().Be(DatagramKind.Welcome, "the old incarnation's token is not this one's");
        await peer.SendAsync(Datagrams.Add(reborn, 1, rebornToken, 1, 1));
        var reply = await peer.ReceiveAsync();
        reply.Envelope.Client.Should().Be(reborn);
        reply.Result<long>().Should().Be(2, "request 1 of a restarted client is a new call");
        counter.RunsOf(1).Should().Be(2);
        server.DatagramStatistics.Clients.Should().Be(2);
    }

    [Fact]
    public async Task ACopyArrivingWhileTheCallRuns_IsDropped_AndTheMethodRunsOnce()
    {
        var (server, _, gate) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var request = Hold(key, 1, token, 200);

        await peer.SendAsync(request);
        await gate.Started(200).WithTimeout();
        await peer.SendAsync(request);
        await peer.SendAsync(request);
        await TestTimeouts.UntilAsync(() => server.DatagramStatistics.Duplicates == 2, because: "both copies were read");
        gate.Release();
        var reply = await peer.ReceiveAsync();
        reply.Result<int>().Should().Be(200);
        (await peer.TryReceiveAsync(Silence)).Should().BeNull("the dropped copies get no reply of their own");
        gate.RunsOf(200).Should().Be(1);
        server.DatagramStatistics.Calls.Should().Be(1);
    }

    [Fact]
    public async Task AfterTheClientAcknowledgesAnId_ALateCopyIsStale_NotRun()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var one = Datagrams.Add(key, 1, token, 1, 1);
        await peer.SendAsync(one);
        (await peer.ReceiveAsync()).Envelope.RequestId.Should().Be(1);
        await peer.SendAsync(Datagrams.Add(key, 2, token, 2, 1, acknowledgedBelow: 2));
        (await peer.ReceiveAsync()).Envelope.RequestId.Should().Be(2);
        server.DatagramStatistics.CacheEntries.Should().Be(1, "request 1's reply was dropped when acknowledged");

        await peer.SendAsync(one); // a late copy, as the network might deliver it
        await peer.SendAsync(Datagrams.Add(key, 3, token, 3, 1, acknowledgedBelow: 2));
        (await peer.ReceiveAsync()).Envelope.RequestId.Should().Be(3, "the stale copy got nothing");
        counter.RunsOf(1).Should().Be(1);
        var stats = server.DatagramStatistics;
        stats.Duplicates.Should().Be(1);
        stats.Replayed.Should().Be(0);
        stats.Calls.Should().Be(3);
    }

    [Fact]
    public async Task IdempotentCopies_RunEveryTime_AndLeaveNothingInTheCache()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var read = Datagrams.Request(key, 1, token, "counter", Datagrams.MethodId<ICounter>(nameof(ICounter.ReadAsync)), Datagrams.Args(300L));
        for (var i = 0; i < 3; i++)
        {
            await peer.SendAsync(read);
            (await peer.ReceiveAsync()).Result<long>().Should().Be(0);
        }

        counter.RunsOf(300).Should().Be(3);
        var stats = server.DatagramStatistics;
        stats.Calls.Should().Be(3);
        stats.Replayed.Should().Be(0);
        stats.CacheEntries.Should().Be(0);
    }

    [Fact]
    public async Task OneWayCopies_RunOnce_AndAreNeverAnswered()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var note = Datagrams.Request(key, 1, token, "counter", Datagrams.MethodId<ICounter>(nameof(ICounter.NoteAsync)), Datagrams.Args(400L), requestFlags: RequestFlags.OneWay);
        await peer.SendAsync(note);
        await counter.Noted.Task.WithTimeout();
        await TestTimeouts.UntilAsync(() => server.DatagramStatistics.CacheEntries == 1 && server.DatagramStatistics.CacheBytes == 0, because: "the one-way call finished, with no reply kept");
        await peer.SendAsync(note);
        await peer.SendAsync(Datagrams.Add(key, 2, token, 401, 1));
        (await peer.ReceiveAsync()).Envelope.RequestId.Should().Be(2, "neither copy of the one-way request was answered");
        counter.RunsOf(400).Should().Be(1);
    }

    [Fact]
    public async Task AClientRunningItsLimitOfCalls_GetsBusyNo_AndTheCallDoesNotRun()
    {
        var (server, _, gate) = await UdpServers.StartAsync(new RemotingServerOptions { MaxConcurrentCallsPerConnection = 2 });
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        await peer.SendAsync(Hold(key, 1, token, 1));
        await peer.SendAsync(Hold(key, 2, token, 2));
        await gate.Started(1).WithTimeout();
        await gate.Started(2).WithTimeout();
        await peer.SendAsync(Hold(key, 3, token, 3));
        var busy = await peer.ReceiveAsync();
        busy.Envelope.RequestId.Should().Be(3);
        busy.Reply.Status.Should().Be(RemotingStatus.Busy);
        busy.Reply.Completion.Should().Be(CompletionStatus.No);
        gate.RunsOf(3).Should().Be(0);

        // Another client is not limited by this one.
        await using var other = new RawUdpPeer(server.UdpEndPoint);
        var otherKey = Datagrams.NewKey();
        var otherToken = await other.HelloAsync(otherKey);
        await other.SendAsync(Datagrams.Add(otherKey, 1, otherToken, 9, 1));
        (await other.ReceiveAsync()).Reply.Status.Should().Be(RemotingStatus.Ok);

        gate.Release();
        var replies = new[] { await peer.ReceiveAsync(), await peer.ReceiveAsync() };
        replies.Select(r => r.Envelope.RequestId).Should().BeEquivalentTo([1UL, 2UL]);

        // Busy left no entry: the same request, once there is room, runs.
        await peer.SendAsync(Hold(key, 3, token, 3));
        (await peer.ReceiveAsync()).Result<int>().Should().Be(3);
        gate.RunsOf(3).Should().Be(1);
        server.DatagramStatistics.Busy.Should().Be(1);
    }

    [Fact]
    public async Task WhileStopping_NewCallsAreUnavailableNo_FinishedOnesAreStillReplayed_AndHellosGetNoToken()
    {
        var (server, counter, gate) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var add = Datagrams.Add(key, 1, token, 1, 1);
        await peer.SendAsync(add);
        var first = await peer.ReceiveAsync();
        await peer.SendAsync(Hold(key, 2, token, 2));
        await gate.Started(2).WithTimeout();

        var stopping = server.StopAsync(); // waits for the held call
        await peer.SendAsync(Datagrams.Add(key, 3, token, 3, 1));
        var refused = await peer.ReceiveAsync();
        refused.Envelope.RequestId.Should().Be(3);
        refused.Reply.Status.Should().Be(RemotingStatus.Unavailable);
        refused.Reply.Completion.Should().Be(CompletionStatus.No);
        counter.RunsOf(3).Should().Be(0);

        await peer.SendAsync(add);
        (await peer.ReceiveAsync()).Bytes.Should().Equal(first.Bytes, "a finished call's reply is still given");

        await peer.SendAsync(Datagrams.Hello(Datagrams.NewKey()));
        var welcome = await peer.ReceiveAsync();
        welcome.Envelope.Kind.Should().Be(DatagramKind.Welcome);
        welcome.Token.IsZero.Should().BeTrue();
        welcome.Preamble.Status.Should().Be(PreambleStatus.Unavailable);

        gate.Release();
        (await peer.ReceiveAsync()).Result<int>().Should().Be(2, "the call in flight finishes and is answered");
        await stopping.WithTimeout();
        server.DatagramStatistics.Busy.Should().Be(0, "refusals while stopping are not busy");
    }

    [Fact]
    public async Task ARequestInAnotherMarshaller_IsDropped()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var request = Datagrams.Add(key, 1, token, 1, 1);
        request[7] = (byte)MarshallerId.CdrLittleEndian;
        await peer.SendAsync(request);
        await peer.SendAsync(Datagrams.Add(key, 2, token, 2, 1));
        (await peer.ReceiveAsync()).Envelope.RequestId.Should().Be(2);
        counter.RunsOf(1).Should().Be(0);
        server.DatagramStatistics.Malformed.Should().Be(1);
    }

    // ------------------------------------------------------------------------------------------ bounds

    [Fact]
    public async Task AFloodOfClients_NeverPassesTheBound_AndLaterCallsAreBusyNo_NotRun()
    {
        const int bound = 50;
        const int clients = 1500;
        var (server, counter, _) = await UdpServers.StartAsync(new RemotingServerOptions { MaxReplyCacheEntries = bound });
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var busy = 0;
        for (var i = 0; i < clients; i++)
        {
            var key = Datagrams.NewKey();
            var token = await peer.HelloAsync(key); // tokens bind the client id: each client needs its own
            await peer.SendAsync(Datagrams.Add(key, 1, token, i, 1));
            var reply = (await peer.ReceiveAsync()).Reply;
            if (i < bound)
            {
                reply.Status.Should().Be(RemotingStatus.Ok, $"client {i} fits");
            }
            else
            {
                reply.Status.Should().Be(RemotingStatus.Busy, $"client {i} does not fit");
                reply.Completion.Should().Be(CompletionStatus.No);
                busy++;
            }

            if (i % 100 == 0)
            {
                var now = server.DatagramStatistics;
                now.CacheEntries.Should().BeLessThanOrEqualTo(bound);
                now.Clients.Should().BeLessThanOrEqualTo(bound);
            }
        }

        var stats = server.DatagramStatistics;
        stats.CacheEntries.Should().Be(bound);
        stats.Clients.Should().Be(bound);
        stats.Busy.Should().Be(clients - bound);
        stats.Calls.Should().Be(bound);
        counter.Runs.Count.Should().Be(bound, "no busy call ran");
        busy.Should().Be(clients - bound);
    }

    [Fact]
    public async Task OneClientsUnacknowledgedCalls_AreBoundedToo()
    {
        const int bound = 20;
        var (server, counter, _) = await UdpServers.StartAsync(new RemotingServerOptions { MaxReplyCacheEntries = bound });
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        for (ulong id = 1; id <= bound + 5; id++)
        {
            await peer.SendAsync(Datagrams.Add(key, id, token, (long)id, 1));
            var reply = (await peer.ReceiveAsync()).Reply;
            reply.Status.Should().Be(id <= bound ? RemotingStatus.Ok : RemotingStatus.Busy);
        }

        counter.Runs.Count.Should().Be(bound);

        // Acknowledging frees room: the next call runs.
        await peer.SendAsync(Datagrams.Add(key, 30, token, 30, 1, acknowledgedBelow: 30));
        (await peer.ReceiveAsync()).Reply.Status.Should().Be(RemotingStatus.Ok);
        server.DatagramStatistics.CacheEntries.Should().Be(1);
    }

    [Fact]
    public async Task TheByteBound_IsNeverPassed_AndACallWhoseReplyWasNotKept_NeverRunsAgain()
    {
        const long bound = 64 * 1024;
        const int size = 8000; // a reply of a little over 8 KB: eight fit, the ninth does not
        var (server, _, _) = await UdpServers.StartAsync(new RemotingServerOptions { MaxReplyCacheBytes = bound });
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var bytesId = Datagrams.MethodId<ICounter>(nameof(ICounter.BytesAsync));
        byte[]? last = null;
        for (ulong id = 1; id <= 9; id++)
        {
            last = Datagrams.Request(key, id, token, "counter", bytesId, Datagrams.Args(size));
            await peer.SendAsync(last);
            var reply = await peer.ReceiveAsync();
            reply.Result<byte[]>().Should().HaveCount(size, "the ninth call runs and is answered; only its reply is not kept");
            server.DatagramStatistics.CacheBytes.Should().BeLessThanOrEqualTo(bound);
        }

        var before = server.DatagramStatistics;
        before.Calls.Should().Be(9);
        before.CacheEntries.Should().Be(9, "every call is remembered as finished");

        // The last call's reply was not kept: its copy is not run again (and has nothing to be answered with).
        await peer.SendAsync(last!);
        await TestTimeouts.UntilAsync(() => server.DatagramStatistics.Duplicates == 1, because: "the copy was read and dropped");
        (await peer.TryReceiveAsync(Silence)).Should().BeNull();
        server.DatagramStatistics.Calls.Should().Be(9);
        server.DatagramStatistics.Replayed.Should().Be(0);
    }

    [Fact]
    public async Task TheByteBound_Reached_AnswersNewCallsBusyNo()
    {
        const long bound = 64 * 1024;
        var (server, _, _) = await UdpServers.StartAsync(new RemotingServerOptions { MaxReplyCacheBytes = bound });
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var bytesId = Datagrams.MethodId<ICounter>(nameof(ICounter.BytesAsync));
        var statuses = new List<RemotingStatus>();
        for (ulong id = 1; id <= 12; id++)
        {
            await peer.SendAsync(Datagrams.Request(key, id, token, "counter", bytesId, Datagrams.Args(8000)));
            statuses.Add((await peer.ReceiveAsync()).Reply.Status);
        }

        statuses.Should().Contain(RemotingStatus.Busy, "the cache is full after eight replies of 8 KB");
        var busy = statuses.IndexOf(RemotingStatus.Busy);
        statuses.Skip(busy).Should().OnlyContain(s => s == RemotingStatus.Busy, "until bytes are freed, every new call is refused");
        statuses.Take(busy).Should().OnlyContain(s => s == RemotingStatus.Ok);

        // The client acknowledges every reply: the bytes go, and new calls run again.
        await peer.SendAsync(Datagrams.Request(key, 13, token, "counter", bytesId, Datagrams.Args(8000), acknowledgedBelow: 13));
        (await peer.ReceiveAsync()).Reply.Status.Should().Be(RemotingStatus.Ok);
        server.DatagramStatistics.CacheEntries.Should().Be(1, "only the call just made is in the cache");
    }

    [Fact]
    public async Task Expiry_EmptiesTheCache_OnTheServersClock()
    {
        var time = new ManualTimeProvider();
        var expiry = TimeSpan.FromMinutes(1);
        var (server, counter, _) = await UdpServers.StartAsync(new RemotingServerOptions { TimeProvider = time, ReplyCacheExpiry = expiry });
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var request = Datagrams.Add(key, 1, token, 1, 1);
        await peer.SendAsync(request);
        (await peer.ReceiveAsync()).Reply.Status.Should().Be(RemotingStatus.Ok);
        server.DatagramStatistics.CacheEntries.Should().Be(1);

        time.Advance(expiry / 2);
        server.DatagramStatistics.CacheEntries.Should().Be(1, "not expired yet");
        server.DatagramStatistics.Clients.Should().Be(1);

        time.Advance(expiry); // the sweep (every quarter of the expiry) falls due on the way
        var stats = server.DatagramStatistics;
        stats.CacheEntries.Should().Be(0);
        stats.CacheBytes.Should().Be(0);

        // The client goes at a sweep once idle: its call's bookkeeping ends just after the reply left (a race with this
        // test), so let the sweep fall due again until it has.
        await TestTimeouts.UntilAsync(
            () =>
            {
                time.Advance(expiry / 4);
                return server.DatagramStatistics.Clients == 0;
            },
            because: "an idle client is swept");

        // The documented limit: a copy delayed past the expiry runs again.
        await peer.SendAsync(request);
        (await peer.ReceiveAsync()).Reply.Status.Should().Be(RemotingStatus.Ok);
        counter.RunsOf(1).Should().Be(2);
    }

    [Fact]
    public void ServerOptions_RefuseOutOfRangeBounds()
    {
        var options = new RemotingServerOptions();
        options.Invoking(o => o.MaxReplyCacheEntries = 0).Should().Throw<ArgumentOutOfRangeException>();
        options.Invoking(o => o.MaxReplyCacheBytes = 64 * 1024 - 1).Should().Throw<ArgumentOutOfRangeException>();
        options.Invoking(o => o.ReplyCacheExpiry = TimeSpan.FromMilliseconds(9)).Should().Throw<ArgumentOutOfRangeException>();
        options.MaxReplyCacheEntries.Should().Be(10_000);
        options.MaxReplyCacheBytes.Should().Be(16 * 1024 * 1024);
        options.ReplyCacheExpiry.Should().Be(TimeSpan.FromMinutes(2));
    }
}
