using System.Net;
using System.Runtime.CompilerServices;
using FluentAssertions;
using Ocean.Remoting.Tests.References;
using Ocean.Testing;

namespace Ocean.Remoting.Tests.Lifetime;

/// <summary>
/// Leases end to end, on one fake clock shared by server and client: objects passed by reference live while a client
/// holds a proxy, and go when it collects the proxy or vanishes. Nothing sleeps: the clock moves when a test says so,
/// and each step waits for the dirty or clean call it caused to reach the server.
/// </summary>
public sealed class LeaseEndToEndTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_client_keeping_a_proxy_keeps_the_object_alive_across_many_lease_periods()
    {
        var time = new ManualTimeProvider();
        var watch = new DgcWatch();
        await using var server = await StartAsync(time, watch);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint, ClientOptions(time)).WithTimeout();
        var counter = await client.GetProxy<IHub>("hub").NewCounterAsync(0).WithTimeout();
        await TestTimeouts.UntilAsync(() => watch.Dirties >= 1, because: "the new proxy's first dirty");

        for (var period = 1; period <= 12; period++)
        {
            var before = watch.Dirties;
            time.Advance(Lease / 2); // the renewer renews at half the lease
            await TestTimeouts.UntilAsync(() => watch.Dirties > before, because: $"the renewal of period {period}");
        }

        (await counter.IncrementAsync().WithTimeout()).Should().Be(1, "60 s of fake time later, six leases long, the object is still exported");
        watch.Cleans.Should().Be(0);
    }

    [Fact]
    public async Task A_client_that_vanishes_without_a_clean_loses_its_lease_after_the_lease_time()
    {
        var time = new ManualTimeProvider();
        var watch = new DgcWatch();
        await using var server = await StartAsync(time, watch);
        await using var relay = new TcpRelay(server.EndPoint);
        await using var client = await RemotingClient.ConnectAsync(relay.EndPoint, ClientOptions(time)).WithTimeout();
        var counter = await client.GetProxy<IHub>("hub").NewCounterAsync(0).WithTimeout();
        var reference = RemotingClient.GetReference(counter)!;
        reference.EndPoint.Should().Be(server.EndPoint, "the server names its own endpoint, the one the client reached, not the relay's");
        await TestTimeouts.UntilAsync(() => watch.Dirties >= 1, because: "the proxy's first dirty");

        await relay.KillAsync(); // the client's machine is gone: no clean, and no renewal reaches the server any more
        for (var step = 0; step < 6; step++)
        {
            time.Advance(Lease / 4); // 15 s in all: the lease ran out 10 s after the last dirty
        }

        await using var other = await RemotingClient.ConnectAsync(server.EndPoint, ClientOptions(time)).WithTimeout();
        var thrown = await FluentActions.Awaiting(() => other.GetProxy<ICounter>(reference).IncrementAsync().WithTimeout()).Should().ThrowAsync<RemotingException>();
        thrown.Which.Status.Should().Be(RemotingStatus.UnknownObject);
        thrown.Which.Completion.Should().Be(CompletionStatus.No);
        thrown.Which.Message.Should().Contain("not exported");
        watch.Cleans.Should().Be(0, "nobody said goodbye");
        GC.KeepAlive(counter);
    }

    [Fact]
    public async Task A_collected_proxy_sends_clean_and_the_object_is_unexported()
    {
        var time = new ManualTimeProvider();
        var watch = new DgcWatch();
        await using var server = await StartAsync(time, watch);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint, ClientOptions(time)).WithTimeout();
        var reference = await ReferenceOfACounterDroppedAsync(client);
        await TestTimeouts.UntilAsync(() => watch.Dirties >= 1, because: "the proxy's first dirty");

        await TestTimeouts.UntilAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                time.Advance(TimeSpan.FromSeconds(5)); // the renewer's sweep for collected proxies
                return watch.Cleans >= 1;
            },
            because: "the collected proxy's clean");

        var thrown = await FluentActions.Awaiting(() => client.GetProxy<ICounter>(reference).IncrementAsync().WithTimeout()).Should().ThrowAsync<RemotingException>();
        thrown.Which.Status.Should().Be(RemotingStatus.UnknownObject);
        thrown.Which.Completion.Should().Be(CompletionStatus.No);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<RemoteReference> ReferenceOfACounterDroppedAsync(RemotingClient client)
    {
        var counter = await client.GetProxy<IHub>("hub").NewCounterAsync(0).WithTimeout();
        (await counter.IncrementAsync().WithTimeout()).Should().Be(1);
        return RemotingClient.GetReference(counter)!;
    }

    private static async Task<RemotingServer> StartAsync(ManualTimeProvider time, DgcWatch watch)
    {
        var options = new RemotingServerOptions { TimeProvider = time, LeaseDuration = Lease };
        options.Interceptors.Add(watch);
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), options);
        server.Export<IHub>(new Hub(), "hub");
        await server.StartAsync().WithTimeout();
        return server;
    }

    private static RemotingClientOptions ClientOptions(ManualTimeProvider time) =>
        new() { TimeProvider = time, PingInterval = Timeout.InfiniteTimeSpan, LeaseDuration = Lease };

    /// <summary>Counts the lease calls that reach the server.</summary>
    private sealed class DgcWatch : IRemoteServerInterceptor
    {
        private int _dirties;
        private int _cleans;

        public int Dirties => Volatile.Read(ref _dirties);

        public int Cleans => Volatile.Read(ref _cleans);

        public async ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next)
        {
            await next(context);
            if (context.ObjectName == "ocean.dgc")
            {
                Interlocked.Increment(ref context.Method.Name == "DirtyAsync" ? ref _dirties : ref _cleans);
            }
        }
    }
}
