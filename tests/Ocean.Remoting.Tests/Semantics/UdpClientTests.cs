using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Calls;
using Ocean.Remoting.Tests.Connections;
using Ocean.Transport;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>
/// A server that welcomes every hello (with a token) and then never answers a request: what a server that stopped
/// answering looks like to a client, without the ICMP "port unreachable" a closed port would send back.
/// </summary>
internal sealed class MuteUdpServer : IAsyncDisposable
{
    private readonly DatagramSocket _socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;
    private int _retransmissions;

    public MuteUdpServer()
    {
        _loop = RunAsync();
    }

    public IPEndPoint EndPoint => _socket.LocalEndPoint;

    public int Requests => Volatile.Read(ref _requests);

    public int FlaggedRetransmissions => Volatile.Read(ref _retransmissions);

    /// <summary>Every request received: its id, acknowledgement, flags and the deadline its message carried.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(ulong Id, ulong Acknowledged, DatagramFlags Flags, uint Deadline)> Seen { get; } = new();

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                using var datagram = await _socket.ReceiveAsync(_stop.Token);
                if (!DatagramEnvelope.TryRead(new ReadOnlySequence<byte>(datagram.Payload), out var envelope, out _, out _, out _))
                {
                    continue;
                }

                if (envelope.Kind == DatagramKind.Hello)
                {
                    var welcome = new byte[DatagramEnvelope.Length + Preamble.Length];
                    DatagramEnvelope.Write(welcome, DatagramKind.Welcome, DatagramFlags.None, envelope.Marshaller, envelope.Client, 0, 0, Preamble.Length);
                    new TokenBytes(0xABCDEF, 0x42).Write(welcome.AsSpan(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
                    PreambleCodec.Write(welcome.AsSpan(DatagramEnvelope.Length), new Preamble(Preamble.CurrentVersion, PreambleStatus.Hello, envelope.Marshaller, 0, 65_000, 100));
                    await _socket.SendAsync(welcome, (IPEndPoint)datagram.RemoteEndPoint, _stop.Token);
                }
                else if (envelope.Kind == DatagramKind.Request)
                {
                    if (!DatagramEnvelope.TryRead(new ReadOnlySequence<byte>(datagram.Payload), out _, out _, out var body, out _))
                    {
                        continue;
                    }

                    var request = MessageDecoder.ReadRequest(body, ProtocolLimits.Default);
                    Seen.Enqueue((envelope.RequestId, envelope.AcknowledgedBelow, envelope.Flags, request.DeadlineMilliseconds));
                    Interlocked.Increment(ref _requests);
                    if ((envelope.Flags & DatagramFlags.Retransmission) != 0)
                    {
                        Interlocked.Increment(ref _retransmissions);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _socket.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>A UDP client's own behaviour: giving up, refusing what cannot be sent, deadlines, cancellation, refusals, address changes.</summary>
public sealed class UdpClientTests
{
    /// <summary>
    /// The first retransmission interval for tests that count exactly what was sent or run (a copy sent again runs an
    /// idempotent call again, and is received): the default 200 ms is a delay a loaded 2-core machine can reach.
    /// </summary>
    internal static readonly TimeSpan NoRetransmission = TimeSpan.FromSeconds(5);

    /// <summary>For tests where only failing steps depend on the intervals: 20, 40, 40... ms.</summary>
    private static RemotingClientOptions Fast(int attempts = 3) => new()
    {
        RetransmitInterval = TimeSpan.FromMilliseconds(20),
        MaxRetransmitInterval = TimeSpan.FromMilliseconds(40),
        MaxAttempts = attempts,
    };

    /// <summary>
    /// For tests where a hello or a call must also succeed: with <see cref="Fast"/>, a welcome or reply delayed 100 ms
    /// (three attempts; 20 ms for no retransmission at all) on a loaded 2-core machine failed the test. These give the
    /// first copy <paramref name="first"/> ms, and a call 1.25 s (three attempts) or 1.75 s (four) in all by default.
    /// </summary>
    private static RemotingClientOptions Patient(int attempts, int first = 250, int max = 500) => new()
    {
        RetransmitInterval = TimeSpan.FromMilliseconds(first),
        MaxRetransmitInterval = TimeSpan.FromMilliseconds(max),
        MaxAttempts = attempts,
    };

    [Fact]
    public async Task ConnectUdp_ToAPortWhereNothingListens_FailsUnavailable()
    {
        IPEndPoint nowhere;
        using (var probe = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            nowhere = probe.LocalEndPoint;
        }

        var act = () => RemotingClient.ConnectUdpAsync(nowhere, Fast());
        var error = (await act.Should().ThrowAsync<RemotingException>()).Which;
        error.Message.Should().Contain("3 hellos", "a 'port unreachable' does not end the client: it tries its attempts");
        error.Status.Should().Be(RemotingStatus.Unavailable, error.Message);
        error.Completion.Should().Be(CompletionStatus.No);
    }

    [Fact]
    public async Task ConnectUdp_ToAServerThatNeverAnswers_FailsUnavailable_AfterMaxAttemptsHellos()
    {
        using var silent = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var act = () => RemotingClient.ConnectUdpAsync(silent.LocalEndPoint, Fast(attempts: 4));
        var error = (await act.Should().ThrowAsync<RemotingException>()).Which;
        error.Status.Should().Be(RemotingStatus.Unavailable);
        error.Completion.Should().Be(CompletionStatus.No);
        error.Message.Should().Contain("4 hellos");
    }

    [Fact]
    public async Task ACallThatIsNeverAnswered_FailsUnavailableMaybe_AfterMaxAttempts()
    {
        await using var mute = new MuteUdpServer();
        await using var client = await RemotingClient.ConnectUdpAsync(mute.EndPoint, Patient(attempts: 4)).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        await Kit.FailsAsync(() => proxy.AddAsync(1, 1), RemotingStatus.Unavailable, CompletionStatus.Maybe);
        client.Retransmissions.Should().Be(3);
        await TestTimeouts.UntilAsync(() => mute.Requests == 4, because: "four attempts reach the server");
        mute.FlaggedRetransmissions.Should().Be(3, "every copy after the first is flagged");

        // Idempotent calls give up the same way (they may have run more than once).
        var error = await Kit.FailsAsync(() => proxy.ReadAsync(1), RemotingStatus.Unavailable, CompletionStatus.Maybe);
        error.Message.Should().Contain("idempotent");
        client.Retransmissions.Should().Be(6);
    }

    [Fact]
    public async Task ACallToAServerThatWasDisposed_FailsUnavailableMaybe()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint, Patient(attempts: 4)).WithTimeout();
        await using var _ = client;
        var proxy = client.GetProxy<ICounter>("counter");
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(2);
        var before = client.Retransmissions; // 0 unless the reply was late on a loaded machine
        await server.DisposeAsync();
        await Kit.FailsAsync(() => proxy.AddAsync(2, 2), RemotingStatus.Unavailable, CompletionStatus.Maybe);
        (client.Retransmissions - before).Should().Be(3, "a 'port unreachable' does not end the call: it tries its attempts");
        counter.RunsOf(2).Should().Be(0);
    }

    [Fact]
    public async Task EachRequest_AcknowledgesWhatTheClientFinished_AndCarriesTheDeadlineLeft()
    {
        await using var mute = new MuteUdpServer();
        // Call 2 must be sent while call 1 is still pending (its three copies over 900 ms): with 100 ms intervals, a test
        // thread delayed 300 ms on a loaded machine found call 1 already given up.
        var options = new RemotingClientOptions { RetransmitInterval = TimeSpan.FromMilliseconds(300), MaxRetransmitInterval = TimeSpan.FromMilliseconds(300), MaxAttempts = 3 };
        await using var client = await RemotingClient.ConnectUdpAsync(mute.EndPoint, options).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");

        Task first;
        using (RemoteCallScope.WithDeadline(TimeSpan.FromSeconds(10)))
        {
            first = proxy.AddAsync(1, 1);
        }

        await TestTimeouts.UntilAsync(() => mute.Requests >= 1, because: "call 1 went out");
        var second = proxy.AddAsync(2, 1); // call 1 is pending: 2 may acknowledge nothing below 1
        await Kit.FailsAsync(() => first, RemotingStatus.Unavailable, CompletionStatus.Maybe);
        await Kit.FailsAsync(() => second, RemotingStatus.Unavailable, CompletionStatus.Maybe);
        await Kit.FailsAsync(() => proxy.AddAsync(3, 1), RemotingStatus.Unavailable, CompletionStatus.Maybe);

        var seen = mute.Seen.ToArray();
        var ones = seen.Where(s => s.Id == 1).ToArray();
        ones.Should().HaveCount(3);
        ones.Should().OnlyContain(s => s.Acknowledged == 1, "nothing below 1 to acknowledge");
        ones[0].Flags.Should().Be(DatagramFlags.None);
        ones.Skip(1).Should().OnlyContain(s => s.Flags == DatagramFlags.Retransmission);
        ones[0].Deadline.Should().BeInRange(9_000u, 10_000u);
        ones[2].Deadline.Should().BeLessThan(ones[0].Deadline, "each copy carries the time left, not the whole deadline");
        seen.Where(s => s.Id == 2).Should().OnlyContain(s => s.Acknowledged == 1 || s.Acknowledged == 2).And.Contain(s => s.Acknowledged == 1, "sent while call 1 was pending");
        seen.Where(s => s.Id == 3).Should().OnlyContain(s => s.Acknowledged == 3 && s.Deadline == 0, "1 and 2 are finished; no deadline set");
    }

    [Fact]
    public async Task SequentialCalls_AcknowledgeTheirPredecessors_SoTheServerKeepsOneReply()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        for (var i = 1; i <= 20; i++)
        {
            (await proxy.AddAsync(i, 1).WithTimeout()).Should().Be(i);
        }

        var stats = server.DatagramStatistics;
        stats.CacheEntries.Should().Be(1, "each request acknowledged the reply before it");
        stats.Clients.Should().Be(1);
        stats.Calls.Should().Be(20);
        counter.Runs.Values.Should().OnlyContain(n => n == 1);
    }

    private sealed class CountingInterceptor : IRemoteClientInterceptor
    {
        public int Calls;

        public async ValueTask InterceptAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
        {
            Interlocked.Increment(ref Calls);
            context.Metadata.Add(new("who", "udp"));
            await next(context);
        }
    }

    [Fact]
    public async Task AClientOverAnUnconnectedUdpMessageConnection_WithAnInterceptor_Works()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        var interceptor = new CountingInterceptor();
        var options = new RemotingClientOptions { RetransmitInterval = NoRetransmission };
        options.Interceptors.Add(interceptor);
        var connection = MessageConnection.Create(DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), server.UdpEndPoint);
        connection.IsReliable.Should().BeFalse();
        await using var client = await RemotingClient.ConnectAsync(connection, options).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        (await proxy.AddAsync(1, 4).WithTimeout()).Should().Be(4);
        (await proxy.ReadAsync(1).WithTimeout()).Should().Be(4);
        interceptor.Calls.Should().Be(2);
        counter.RunsOf(1).Should().Be(2);
        server.DatagramStatistics.Calls.Should().Be(2, "over datagrams, not a stream");
    }

    [Fact]
    public async Task AServerRestartedOnTheSamePort_IsReachedAgain_ByTheSameClient()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        var port = server.UdpEndPoint.Port;
        // 500 ms before a copy is sent again: the new server's welcome must come back before the first copy (with the old
        // token) is retransmitted, or that copy is refused too (Unvalidated 2).
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint, Patient(attempts: 3, first: 500, max: 500)).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(2);
        await server.DisposeAsync();
        await Kit.FailsAsync(() => proxy.AddAsync(2, 2), RemotingStatus.Unavailable, CompletionStatus.Maybe);

        // A new server on the same port: another secret, so the client's token is refused with a welcome, and the call
        // is re-sent with the new token.
        var (again, counter, _) = await UdpServers.StartAsync(new RemotingServerOptions { UdpEndPoint = new IPEndPoint(IPAddress.Loopback, port) });
        await using var _ = again;
        (await proxy.AddAsync(3, 5).WithTimeout()).Should().Be(5);
        counter.RunsOf(3).Should().Be(1);
        again.DatagramStatistics.Unvalidated.Should().Be(1);
    }

    [Fact]
    public async Task ARequestLargerThanOneDatagram_FailsBadArgumentsNo_BeforeSending()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint, new RemotingClientOptions { RetransmitInterval = NoRetransmission }).WithTimeout();
        var proxy = client.GetProxy<IGate>("gate");
        (await proxy.LengthAsync(new byte[60_000]).WithTimeout()).Should().Be(60_000, "a large request that fits goes");
        var received = server.DatagramStatistics.Received;
        var error = await Kit.FailsAsync(() => proxy.LengthAsync(new byte[70_000]), RemotingStatus.BadArguments, CompletionStatus.No);
        error.Message.Should().Contain("datagram");
        server.DatagramStatistics.Received.Should().Be(received, "nothing was sent");
        client.Retransmissions.Should().Be(0);
        (await proxy.LengthAsync(new byte[10]).WithTimeout()).Should().Be(10, "the client goes on");
    }

    [Fact]
    public async Task AResultLargerThanOneDatagram_FailsInternalYes()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        var error = await Kit.FailsAsync(() => proxy.BytesAsync(70_000), RemotingStatus.Internal, CompletionStatus.Yes);
        error.Message.Should().Contain("datagram");
    }

    [Fact]
    public async Task ACallbackParameter_OverUdp_FailsClearly_AndNothingRuns()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint, Patient(attempts: 3)).WithTimeout();
        var proxy = client.GetProxy<IGate>("gate");
        var thrown = await Kit.TryAsync(() => proxy.SubscribeAsync(new SemanticsListener()));
        thrown.Should().NotBeNull("a reference cannot travel over UDP");
        thrown!.Completion.Should().Be(CompletionStatus.No, thrown.Message);
        thrown.Status.Should().Be(RemotingStatus.BadArguments, thrown.Message);
        thrown.Message.Should().Contain("[Remote]");
        server.DatagramStatistics.Calls.Should().Be(0);
    }

    [Fact]
    public async Task Deadline_GivesDeadlineExceeded()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint, new RemotingClientOptions { DefaultDeadline = TimeSpan.FromMilliseconds(200) }).WithTimeout();
        var proxy = client.GetProxy<IGate>("gate");
        var error = (await proxy.Awaiting(p => p.WaitAsync(20_000, CancellationToken.None).WithTimeout()).Should().ThrowAsync<RemotingException>()).Which;
        error.Status.Should().Be(RemotingStatus.DeadlineExceeded, error.Message);
        error.Completion.Should().Be(CompletionStatus.Maybe);
    }

    [Fact]
    public async Task Deadline_WithAMuteServer_GivesDeadlineExceededMaybe_BeforeTheAttemptsRunOut()
    {
        await using var mute = new MuteUdpServer();
        await using var client = await RemotingClient.ConnectUdpAsync(mute.EndPoint, new RemotingClientOptions { RetransmitInterval = TimeSpan.FromSeconds(5), MaxAttempts = 10 }).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        using (RemoteCallScope.WithDeadline(TimeSpan.FromMilliseconds(100)))
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await Kit.FailsAsync(() => proxy.AddAsync(1, 1), RemotingStatus.DeadlineExceeded, CompletionStatus.Maybe);
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4), "the deadline, not the 5 s retransmission interval, ends it");
        }
    }

    [Fact]
    public async Task Cancellation_GivesCancelledMaybe_OnceSent_AndNo_BeforeSending()
    {
        var (server, _, gate) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint).WithTimeout();
        var proxy = client.GetProxy<IGate>("gate");
        using var cts = new CancellationTokenSource();
        var call = proxy.HoldAsync(5, cts.Token);
        await gate.Started(5).WithTimeout();
        await cts.CancelAsync();
        await Kit.FailsAsync(() => call, RemotingStatus.Cancelled, CompletionStatus.Maybe);

        await Kit.FailsAsync(() => proxy.HoldAsync(6, cts.Token), RemotingStatus.Cancelled, CompletionStatus.No);
        gate.RunsOf(6).Should().Be(0);
        gate.Release();
    }

    [Fact]
    public async Task MarshallerMismatch_IsRefusedAtConnect()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        var act = () => RemotingClient.ConnectUdpAsync(server.UdpEndPoint, new RemotingClientOptions { Marshaller = Loopback.NewGraphMarshaller() });
        var error = (await act.Should().ThrowAsync<RemotingProtocolException>()).Which;
        error.Error.Should().Be(RemotingProtocolError.MarshallerMismatch);
    }

    [Fact]
    public async Task OneWay_OverUdp_CompletesOnSend_AndRunsOnce()
    {
        await using var mute = new MuteUdpServer();
        await using var client = await RemotingClient.ConnectUdpAsync(mute.EndPoint, Patient(attempts: 3)).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        await proxy.NoteAsync(1).WithTimeout(); // no reply will ever come: it completes anyway
        proxy.Poke(2);
        await TestTimeouts.UntilAsync(() => mute.Requests == 2, because: "both were sent");
        client.Retransmissions.Should().Be(0, "one-way requests are never sent again");
    }

    [Fact]
    public async Task NatRebinding_TheServerWelcomesTheNewAddress_AndTheCallCompletesOnce()
    {
        // The server serves an unconnected UDP message connection (ServeAsync); the client talks to it through a relay
        // that changes its source port between calls, as a NAT might.
        var server = new RemotingServer();
        var counter = new Counter();
        server.Export<ICounter>(counter, "counter");
        var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var serverEndPoint = socket.LocalEndPoint;
        using var serving = new CancellationTokenSource();
        var serve = server.ServeAsync(MessageConnection.Create(socket, serverEndPoint), serving.Token);
        using var relay = new UdpRelay(serverEndPoint);
        var client = await RemotingClient.ConnectUdpAsync(relay.EndPoint, new RemotingClientOptions { RetransmitInterval = TimeSpan.FromSeconds(5) }).WithTimeout();
        try
        {
            var proxy = client.GetProxy<ICounter>("counter");
            (await proxy.AddAsync(1, 1).WithTimeout()).Should().Be(1);
            client.Retransmissions.Should().Be(0);

            relay.Rebind();
            (await proxy.AddAsync(2, 1).WithTimeout(TimeSpan.FromSeconds(4))).Should().Be(2, "re-sent at once with the new token, not after the 5 s interval");
            counter.RunsOf(2).Should().Be(1);
            client.Retransmissions.Should().Be(1, "the one re-send the welcome asked for");
            var stats = server.DatagramStatistics;
            stats.Unvalidated.Should().Be(1);
            stats.Calls.Should().Be(2);
            stats.Clients.Should().Be(1, "the client is known by its id, not its address");

            (await proxy.AddAsync(3, 1).WithTimeout()).Should().Be(3);
            client.Retransmissions.Should().Be(1);
        }
        finally
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
            await serving.CancelAsync();
            await serve.WithTimeout();
        }
    }
}
