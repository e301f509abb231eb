using System.Diagnostics;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>StopAsync: go-away, new calls refused with completion no, calls in flight finish up to the shutdown timeout.</summary>
public sealed class GracefulStopTests
{
    [Fact]
    public async Task Stop_LetsTheCallInFlightFinish_RefusesNewCalls_AndReturnsAfterIt()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(30) });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint, new RemotingClientOptions { ReconnectDelay = TimeSpan.FromMilliseconds(50) });
        await using var _ = client;
        try
        {
            var inFlight = proxy.HoldAsync(17, CancellationToken.None);
            await probe.Started.WithTimeout();

            var stop = server.StopAsync();

            // Until the client has read the go-away, a new call crosses it on the old connection and is answered
            // unavailable/no; after it, the call goes to a new connection, which the stopping server refuses at the
            // handshake (unavailable/no). Poll until the second path is seen.
            await Kit.EventuallyAsync(
                async () =>
                {
                    var failure = await Kit.TryAsync(() => proxy.AddAsync(1, 2));
                    failure.Should().NotBeNull("the server is stopping");
                    (failure!.Status, failure.Completion).Should().Be((RemotingStatus.Unavailable, CompletionStatus.No), failure.Message);
                    return failure is RemotingProtocolException { Error: RemotingProtocolError.Refused };
                },
                TimeSpan.FromSeconds(15),
                "a call after the go-away goes to a new connection, refused by the stopping server");
            probe.Calls.Should().Be(1, "no new call ran");

            stop.IsCompleted.Should().BeFalse("a call is still in flight");
            probe.Release();
            (await inFlight.WithTimeout()).Should().Be(17);
            await stop.WithTimeout(TimeSpan.FromSeconds(10));
            server.ActiveConnections.Should().Be(0);
        }
        finally
        {
            probe.Release();
        }
    }

    [Fact]
    public async Task Stop_WithAShortTimeout_AndAMethodIgnoringItsToken_ReturnsInBound_AndTheCallFailsWithMaybe()
    {
        var probe = new Probe();
        var shutdown = TimeSpan.FromMilliseconds(300);
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { ShutdownTimeout = shutdown });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;
        try
        {
            var inFlight = proxy.HoldIgnoringTokenAsync(5);
            await probe.Started.WithTimeout();

            var watch = Stopwatch.StartNew();
            await server.StopAsync().WithTimeout(TimeSpan.FromSeconds(10));
            watch.Stop();

            watch.Elapsed.Should().BeGreaterThanOrEqualTo(shutdown - TimeSpan.FromMilliseconds(50), "calls in flight get the shutdown timeout");
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "then the server closes whatever still runs");
            await Kit.FailsAsync(() => inFlight, RemotingStatus.Unavailable, CompletionStatus.Maybe, TimeSpan.FromSeconds(10));
        }
        finally
        {
            probe.Release();
        }
    }

    [Fact]
    public async Task Stop_WithNothingInFlight_ReturnsAtOnce_AndLaterCallsAreUnavailableNo()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint, new RemotingClientOptions { ReconnectDelay = TimeSpan.FromSeconds(30) });
        await using var _ = client;
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(3);

        var watch = Stopwatch.StartNew();
        await server.StopAsync().WithTimeout(TimeSpan.FromSeconds(10));
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "the default 30 s shutdown timeout is for calls in flight, not idle connections");

        await Kit.FailsAsync(() => proxy.AddAsync(1, 2), RemotingStatus.Unavailable, CompletionStatus.No);
        (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(server.EndPoint).WithTimeout()).Should().ThrowAsync<RemotingException>())
            .Which.Completion.Should().Be(CompletionStatus.No);
    }
}

/// <summary>StopAsync against peers that do not cooperate.</summary>
public sealed class StopWithUncooperativePeerTests
{
    [Fact]
    public async Task Stop_WithAClientThatNeverClosesItsSide_ReturnsWithinABound()
    {
        var probe = new Probe();
        // The transport's own close timeout (how long a graceful close lingers for the client's FIN) is long here: the
        // server's stop must not wait for it.
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions
        {
            ShutdownTimeout = TimeSpan.Zero,
            Transport = new Ocean.Transport.SocketServerOptions { CloseTimeout = TimeSpan.FromSeconds(30) },
        });
        using var raw = await Kit.ConnectRawAsync(server.EndPoint);
        (await Kit.RawHandshakeAsync(raw))[5].Should().Be(0);
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await server.StopAsync().WithTimeout(TimeSpan.FromSeconds(40));
        watch.Stop();

        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "closing is bounded by the server, not by the client's FIN");
        var (rest, _) = await Kit.ReadToEndAsync(raw, TimeSpan.FromSeconds(10));
        Kit.Frames(rest).Select(f => (Ocean.Remoting.Protocol.MessageKind)f[0]).Should().Equal(Ocean.Remoting.Protocol.MessageKind.GoAway);
    }
}
