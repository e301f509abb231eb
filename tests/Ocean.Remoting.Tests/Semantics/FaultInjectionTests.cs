using System.Collections.Concurrent;
using System.Net;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>
/// Call semantics under injected faults: a seeded <see cref="FaultInjectingConnection"/> around the client's UDP
/// connection loses, duplicates, delays and reorders datagrams in both directions (requests going out, replies coming
/// in); the server counts how many times each call ran.
/// </summary>
public sealed class FaultInjectionTests
{
    private static FaultInjectionOptions Faults(int seed, double loss, double duplicate) => new()
    {
        Seed = seed,
        Outgoing = new FaultRates { Drop = loss, Duplicate = duplicate, Reorder = 0.05, Delay = 0.05, MaxDelay = TimeSpan.FromMilliseconds(5) },
        Incoming = new FaultRates { Drop = loss, Duplicate = duplicate, Reorder = 0.05, Delay = 0.05, MaxDelay = TimeSpan.FromMilliseconds(5) },
    };

    private static RemotingClientOptions Retrying(int attempts, int maxIntervalMilliseconds = 40) => new()
    {
        RetransmitInterval = TimeSpan.FromMilliseconds(10),
        MaxRetransmitInterval = TimeSpan.FromMilliseconds(maxIntervalMilliseconds),
        MaxAttempts = attempts,
    };

    private sealed class Rig : IAsyncDisposable
    {
        public required RemotingServer Server { get; init; }

        public required RemotingClient Client { get; init; }

        public required Counter Counter { get; init; }

        public required FaultInjectingConnection Faulty { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync().AsTask().WithTimeout();
            await Server.DisposeAsync().AsTask().WithTimeout();
        }
    }

    private static async Task<Rig> StartAsync(FaultInjectionOptions faults, RemotingClientOptions clientOptions, RemotingServerOptions? serverOptions = null)
    {
        serverOptions ??= new RemotingServerOptions();
        serverOptions.UdpEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        var server = new RemotingServer(serverOptions);
        var counter = new Counter();
        server.Export<ICounter>(counter, "counter");
        await server.StartAsync().WithTimeout();
        var socket = await DatagramSocket.ConnectAsync(server.UdpEndPoint).AsTask().WithTimeout();
        var faulty = new FaultInjectingConnection(MessageConnection.Create(socket), faults);
        var client = await RemotingClient.ConnectAsync(faulty, clientOptions).WithTimeout();
        return new Rig { Server = server, Client = client, Counter = counter, Faulty = faulty };
    }

    /// <summary>Runs <paramref name="count"/> calls, <paramref name="parallel"/> at a time, each with its own key.</summary>
    private static async Task<ConcurrentDictionary<long, Exception?>> RunAsync(int count, int parallel, Func<long, Task> call)
    {
        var outcomes = new ConcurrentDictionary<long, Exception?>();
        var next = -1L;
        var workers = Enumerable.Range(0, parallel).Select(async _ =>
        {
            long key;
            while ((key = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    await call(key);
                    outcomes[key] = null;
                }
                catch (Exception e)
                {
                    outcomes[key] = e;
                }
            }
        });
        await Task.WhenAll(workers).WithTimeout(TestTimeouts.Load);
        return outcomes;
    }

    [Fact]
    public async Task AtMostOnce_NeverRunsTwice_Over10000CallsAt30PercentLossAnd10PercentDuplication_AndEveryFailureIsMaybe()
    {
        // 12 attempts, so that some calls give up (0.51^12 = 3.2e-4 a call: about 3 of the 10,000) and their failures are
        // checked; the faults alone cannot reach the 100 failures the test allows (Poisson(3.2) >= 101: odds below
        // 1e-100). Time can: a call also gives up when the replies are late for all its attempts, and with intervals capped
        // at 40 ms (12 attempts in 0.47 s) a server slowed half a second (64 calls in flight, each retransmission more work
        // for it, on a loaded 2-core machine) failed all 64 at once. Capped at 160 ms, the 12 attempts span 1.4 s
        // (10 + 20 + 40 + 80 + 8 x 160 ms); the odds per call are the same.
        await using var rig = await StartAsync(Faults(seed: 14, loss: 0.3, duplicate: 0.1), Retrying(attempts: 12, maxIntervalMilliseconds: 160));
        var proxy = rig.Client.GetProxy<ICounter>("counter");

        var outcomes = await RunAsync(10_000, parallel: 64, key => proxy.AddAsync(key, 1));

        outcomes.Should().HaveCount(10_000);
        var twice = rig.Counter.Runs.Where(r => r.Value > 1).Select(r => r.Key).ToList();
        twice.Should().BeEmpty("an at-most-once call never runs twice");
        foreach (var (key, error) in outcomes)
        {
            if (error is null)
            {
                rig.Counter.RunsOf(key).Should().Be(1, $"call {key} returned, so it ran exactly once");
            }
            else
            {
                var remoting = error.Should().BeOfType<RemotingException>().Which;
                remoting.Completion.Should().Be(CompletionStatus.Maybe, $"call {key} failed with {remoting.Status}: {remoting.Message}");
                remoting.Status.Should().Be(RemotingStatus.Unavailable);
            }
        }

        var succeeded = outcomes.Count(o => o.Value is null);
        succeeded.Should().BeGreaterThan(9_900, "with 12 attempts at 49% per round trip, about 3 in 10,000 calls give up");
        rig.Counter.Total.Should().Be(rig.Counter.Runs.Values.Sum(), "every run added 1");

        // The faults were real: the client retransmitted, and the server filtered copies of running and finished calls.
        var stats = rig.Server.DatagramStatistics;
        rig.Client.Retransmissions.Should().BeGreaterThan(3_000);
        (stats.Duplicates + stats.Replayed).Should().BeGreaterThan(1_000);
        var faults = rig.Faulty.Statistics;
        faults.SentDropped.Should().BeGreaterThan(2_000);
        faults.SentDuplicated.Should().BeGreaterThan(500);
        faults.ReceivedDropped.Should().BeGreaterThan(1_500);
        faults.ReceivedDuplicated.Should().BeGreaterThan(400);
    }

    [Fact]
    public async Task AtLeastOnce_CompletesEveryCallWhenSomeAttemptsGetThrough_AndRunsEachAtLeastOnce()
    {
        // Intervals capped at 160 ms: 40 attempts then span about 6 s, not 1.6 s, so a server stalled two seconds on a
        // loaded machine (seen: 32 calls in flight gave up at once) does not exhaust them; the odds per call are unchanged.
        await using var rig = await StartAsync(Faults(seed: 15, loss: 0.3, duplicate: 0.1), Retrying(attempts: 40, maxIntervalMilliseconds: 160));
        var proxy = rig.Client.GetProxy<ICounter>("counter");

        var outcomes = await RunAsync(2_000, parallel: 32, key => proxy.ReadAsync(key));

        outcomes.Values.Where(e => e is not null).Should().BeEmpty("40 attempts at 49% per round trip leave a failure odds of 1 in 10^11");
        for (long key = 0; key < 2_000; key++)
        {
            rig.Counter.RunsOf(key).Should().BeGreaterThanOrEqualTo(1);
        }

        rig.Counter.Runs.Values.Count(runs => runs > 1).Should().BeGreaterThan(100, "an idempotent call's copies all run: lost replies and duplicated requests run it again");
        rig.Server.DatagramStatistics.CacheEntries.Should().Be(0, "idempotent calls keep no reply");
    }

    [Fact]
    public async Task Maybe_RunsEachOneWayCallAtMostOnce_UnderLossAndDuplication()
    {
        // 40 attempts for the barriers: at 49% per round trip, 12 would leave each of the 100 barriers a 1 in 3,000
        // chance of failing (3% a run; the seed fixes the faults' draws, not the timing that orders them).
        await using var rig = await StartAsync(Faults(seed: 16, loss: 0.3, duplicate: 0.1), Retrying(attempts: 40, maxIntervalMilliseconds: 160));
        var proxy = rig.Client.GetProxy<ICounter>("counter");

        // In batches of 100, each closed by an at-most-once call: the server reads its socket in order, so when that
        // call's reply comes, the batch's surviving datagrams (and their duplicates) have been read and run (a one-way
        // Task method that completes at once runs on the receive loop); and the socket's buffer never overflows.
        for (var batch = 0; batch < 100; batch++)
        {
            for (var i = 0; i < 100; i++)
            {
                await proxy.NoteAsync(batch * 100 + i).WithTimeout();
            }

            await proxy.AddAsync(-1 - batch, 0).WithTimeout();
        }

        rig.Counter.Runs.Where(r => r.Key >= 0 && r.Value > 1).Should().BeEmpty("a one-way call runs at most once, even when its datagram is duplicated");
        var ran = rig.Counter.Runs.Count(r => r.Key >= 0);
        ran.Should().BeInRange(5_500, 7_700, "about 70% of one-way requests survive 30% loss (fewer: one delayed past the next request is acknowledged by it, and dropped as stale), and none is retransmitted");
        rig.Counter.Runs.Where(r => r.Key < 0).Should().OnlyContain(r => r.Value == 1, "the barriers are at-most-once");
        rig.Faulty.Statistics.SentDuplicated.Should().BeGreaterThan(500, "duplicates were sent, and filtered by the server");
    }
}
