using System.Buffers;
using System.Diagnostics;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>Pings find a half-open peer within PingInterval + PingTimeout, and keep an answering idle connection.</summary>
public sealed class PingTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PingTimeout = TimeSpan.FromMilliseconds(300);

    // Where every ping must be answered in time for the test to pass (a live peer): a loaded 2-core machine delayed a
    // pong past 300 ms, and, in a run of the whole project, past 1 s; the tests' windows stay longer than an interval
    // and this timeout, so a dead peer would still be found within them.
    private static readonly TimeSpan LivePingTimeout = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task SilentServer_AfterTheHandshake_FailsThePendingCallWithUnavailableMaybe()
    {
        var pings = 0;
        var requestSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshakeAsync();
            if (index > 1)
            {
                await connection.ServeAddsAsync();
                return;
            }

            // Reads everything, answers nothing: a peer whose host vanished, as the client sees it.
            while (await connection.ReadMessageAsync() is { } message)
            {
                switch ((MessageKind)message[0])
                {
                    case MessageKind.Ping:
                        Interlocked.Increment(ref pings);
                        break;
                    case MessageKind.Request:
                        requestSeen.TrySetResult();
                        break;
                }
            }
        });
        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint, new RemotingClientOptions { PingInterval = Interval, PingTimeout = PingTimeout });
        await using var _ = client;

        var watch = Stopwatch.StartNew();
        var call = proxy.AddAsync(1, 2);
        await requestSeen.Task.WithTimeout();
        var thrown = await Kit.FailsAsync(() => call, RemotingStatus.Unavailable, CompletionStatus.Maybe, TimeSpan.FromSeconds(10));
        watch.Stop();

        watch.Elapsed.Should().BeGreaterThanOrEqualTo(PingTimeout, "a ping went unanswered for PingTimeout first");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "found within about PingInterval + PingTimeout");
        Volatile.Read(ref pings).Should().BeGreaterThanOrEqualTo(1);
        thrown.Message.Should().Contain("may have run");

        // The dead connection is dropped; the next call opens a new one.
        (await proxy.AddAsync(2, 3).WithTimeout()).Should().Be(5);
        fake.Accepted.Should().Be(2);
    }

    [Fact]
    public async Task LongCall_OnARealServer_IsNotMistakenForADeadPeer_BecauseTheServerAnswersPingsMeanwhile()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint, new RemotingClientOptions
        {
            PingInterval = TimeSpan.FromMilliseconds(100),
            PingTimeout = LivePingTimeout,
        });
        await using var _ = client;
        try
        {
            var call = proxy.HoldAsync(9, CancellationToken.None);
            await probe.Started.WithTimeout();

            // An observation window of more than two ping intervals and timeouts, with the method still running.
            await Task.Delay(TimeSpan.FromSeconds(4));
            call.IsCompleted.Should().BeFalse(call.Exception?.ToString());
            probe.Release();
            (await call.WithTimeout()).Should().Be(9);
            server.ActiveConnections.Should().Be(1);
        }
        finally
        {
            probe.Release();
        }
    }

    [Fact]
    public async Task AnsweringServer_KeepsTheIdleConnection_AcrossSeveralIntervals()
    {
        var pings = 0;
        var enoughPings = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await connection.AcceptHandshakeAsync();
            await connection.ServeAddsAsync(kind =>
            {
                if (kind == MessageKind.Ping && Interlocked.Increment(ref pings) == 20)
                {
                    enoughPings.TrySetResult();
                }
            });
        });
        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint, new RemotingClientOptions { PingInterval = Interval, PingTimeout = LivePingTimeout });
        await using var _ = client;
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(3);

        // Twenty pings take at least nineteen intervals (about four seconds, more than an interval and a timeout) of
        // idleness, each answered.
        await enoughPings.Task.WithTimeout(TimeSpan.FromSeconds(20));
        (await proxy.AddAsync(2, 3).WithTimeout()).Should().Be(5);
        fake.Accepted.Should().Be(1, "the idle connection was kept, not replaced");
        fake.Failures.Should().BeEmpty();
    }

    [Fact]
    public async Task ServerAnswersAClientsPing_WithAPongCarryingItsPayload()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        using var raw = await Kit.ConnectRawAsync(server.EndPoint);
        (await Kit.RawHandshakeAsync(raw))[5].Should().Be((byte)PreambleStatus.Hello);

        await raw.SendAsync(Kit.Frame(Kit.Encode(o => MessageEncoder.WritePing(o, 0x0102030405060708UL)))).WithTimeout();
        var header = await Kit.ReadExactlyAsync(raw, 4);
        var pong = await Kit.ReadExactlyAsync(raw, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header));

        MessageDecoder.ReadPing(new ReadOnlySequence<byte>(pong), MessageKind.Pong).Should().Be(0x0102030405060708UL);
    }
}
