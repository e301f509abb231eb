using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Testing;
using Ocean.Transport.Internal;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

/// <summary>The server core every Ocean server runs on, driven by an in-memory listener: no sockets.</summary>
public sealed class ServerCoreTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    /// <summary>A handler that returns when its connection is finished or aborted, or when the server stops.</summary>
    private static async Task Cooperative(FakeConnection connection, CancellationToken stopping)
    {
        connection.HandlerStarted.TrySetResult();
        await connection.Finish.Task.WaitAsync(stopping).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    /// <summary>A handler that ignores the stopping token: only finishing or aborting its connection ends it.</summary>
    private static async Task Stubborn(FakeConnection connection, CancellationToken stopping)
    {
        connection.HandlerStarted.TrySetResult();
        await connection.Finish.Task;
    }

    private static ServerCore<FakeConnection> Core(
        InMemoryListener listener,
        Func<FakeConnection, CancellationToken, Task>? run = null,
        TimeProvider? clock = null,
        int maxConnections = int.MaxValue,
        TimeSpan? idleTimeout = null) =>
        new(listener, run ?? Cooperative, maxConnections, idleTimeout ?? Timeout.InfiniteTimeSpan, s_deadline, clock ?? TimeProvider.System, NullLogger.Instance);

    [Fact]
    public async Task Accepted_EachConnectionRunsItsOwnHandler_CountedUntilItReturns()
    {
        var listener = new InMemoryListener();
        await using var core = Core(listener);
        await core.StartAsync(CancellationToken.None);
        var connections = Enumerable.Range(0, 3).Select(i => new FakeConnection("c" + i, 0)).ToArray();

        foreach (var connection in connections)
        {
            listener.Add(connection);
        }

        await Task.WhenAll(connections.Select(c => c.HandlerStarted.Task)).WithTimeout();
        core.ActiveConnections.Should().Be(3);
        core.AcceptedConnections.Should().Be(3);
        core.Connections.Should().BeEquivalentTo(connections);

        connections[1].Finish.SetResult();
        await TestTimeouts.UntilAsync(() => core.ActiveConnections == 2, because: "a returned handler stops counting");
        core.Connections.Should().BeEquivalentTo(new[] { connections[0], connections[2] });
        core.AcceptedConnections.Should().Be(3);
    }

    [Fact]
    public async Task StopAsync_HandlersHonourStopping_ReturnsWithoutTheDeadlineAndAbortsNothing()
    {
        var clock = new ManualTimeProvider(); // never advanced: the stop must not need the deadline
        var listener = new InMemoryListener();
        var core = Core(listener, clock: clock);
        await core.StartAsync(CancellationToken.None);
        var connection = new FakeConnection("c", 0);
        listener.Add(connection);
        await connection.HandlerStarted.Task.WithTimeout();

        await core.StopAsync(CancellationToken.None).WithTimeout();

        connection.Aborted.Should().BeFalse();
        connection.SawStopping.Should().BeTrue();
        listener.StoppedAccepting.Should().BeTrue();
        listener.Disposed.Should().BeTrue();
        core.ActiveConnections.Should().Be(0);
    }

    [Fact]
    public async Task StopAsync_AHandlerIgnoresStopping_WaitsUntilTheDeadlineThenAbortsOnlyThatOne()
    {
        var clock = new ManualTimeProvider();
        var listener = new InMemoryListener();
        var core = Core(listener, (connection, stopping) => connection.Name == "stubborn" ? Stubborn(connection, stopping) : Cooperative(connection, stopping), clock);
        await core.StartAsync(CancellationToken.None);
        var polite = new FakeConnection("polite", 0);
        var stubborn = new FakeConnection("stubborn", 0);
        listener.Add(polite);
        listener.Add(stubborn);
        await Task.WhenAll(polite.HandlerStarted.Task, stubborn.HandlerStarted.Task).WithTimeout();

        var stop = core.StopAsync(CancellationToken.None);
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1, because: "the shutdown deadline should be armed");
        await TestTimeouts.UntilAsync(() => core.ActiveConnections == 1, because: "the polite handler returns on the stopping token");
        stop.IsCompleted.Should().BeFalse("one handler still runs and the deadline has not passed");
        stubborn.SawAcceptingEnded.Should().BeTrue("the listener hears that accepting ended before the wait");
        stubborn.Aborted.Should().BeFalse();
        listener.Disposed.Should().BeFalse("the listener is released only once the handlers are done");

        clock.Advance(s_deadline - TimeSpan.FromTicks(1));
        stubborn.Aborted.Should().BeFalse("the deadline has not quite passed");
        clock.Advance(TimeSpan.FromTicks(1));
        await stop.WithTimeout();

        stubborn.Aborted.Should().BeTrue();
        polite.Aborted.Should().BeFalse();
        listener.Disposed.Should().BeTrue();
        await TestTimeouts.UntilAsync(() => core.ActiveConnections == 0, because: "the aborted handler returns after the stop, which does not wait for it");
        core.StopAsync(CancellationToken.None).Should().BeSameAs(stop, "a stop is idempotent");
    }

    [Fact]
    public async Task StopAsync_TokenFires_TreatedAsTheDeadline()
    {
        var listener = new InMemoryListener();
        var core = Core(listener, Stubborn);
        await core.StartAsync(CancellationToken.None);
        var stubborn = new FakeConnection("stubborn", 0);
        listener.Add(stubborn);
        await stubborn.HandlerStarted.Task.WithTimeout();
        using var giveUp = new CancellationTokenSource();

        var stop = core.StopAsync(giveUp.Token);
        await giveUp.CancelAsync();
        await stop.WithTimeout();

        stubborn.Aborted.Should().BeTrue();
    }

    [Fact]
    public async Task ListenerError_RetryLater_PausesOnTheClock_DoublingUpToTheMaximum_ThenAcceptsAgain()
    {
        var clock = new ManualTimeProvider();
        var listener = new InMemoryListener();
        await using var core = Core(listener, clock: clock);
        await core.StartAsync(CancellationToken.None);
        var error = new InvalidOperationException("out of descriptors");
        for (var i = 0; i < 10; i++)
        {
            listener.Fail(error);
        }

        var connection = new FakeConnection("after", 0);
        listener.Add(connection);

        var expected = new List<TimeSpan>();
        var delay = ServerCore.MinRetryDelay;
        for (var i = 0; i < 10; i++)
        {
            await TestTimeouts.UntilAsync(() => listener.Errors.Count == i + 1 && clock.ArmedTimers == 1, because: "the loop waits on the clock after each failure");
            listener.Accepts.Should().Be(i + 1, "no accept happens during a pause");
            expected.Add(delay);
            clock.Advance(delay);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, ServerCore.MaxRetryDelay.Ticks));
        }

        await connection.HandlerStarted.Task.WithTimeout();
        listener.Errors.Select(e => e.RetryDelay).Should().Equal(expected);
        expected[^1].Should().Be(ServerCore.MaxRetryDelay, "ten doublings of 5 ms pass 1 s, the cap");
        listener.Errors.Should().OnlyContain(e => ReferenceEquals(e.Error, error));
    }

    [Fact]
    public async Task ListenerError_AfterTheListenerReportedProgress_PauseStartsShortAgain()
    {
        var clock = new ManualTimeProvider();
        var listener = new InMemoryListener();
        await using var core = Core(listener, clock: clock);
        await core.StartAsync(CancellationToken.None);

        listener.Fail(new InvalidOperationException("first"));
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1);
        clock.Advance(ServerCore.MinRetryDelay);
        listener.Fail(new InvalidOperationException("second, still failing"));
        await TestTimeouts.UntilAsync(() => listener.Errors.Count == 2 && clock.ArmedTimers == 1);
        clock.Advance(ServerCore.MinRetryDelay * 2);
        await TestTimeouts.UntilAsync(() => listener.Accepts == 3, because: "the loop accepts again after the second pause");

        listener.Progress(); // it received something in between
        listener.Fail(new InvalidOperationException("a new episode"));
        await TestTimeouts.UntilAsync(() => listener.Errors.Count == 3);

        listener.Errors.Select(e => e.RetryDelay).Should().Equal(ServerCore.MinRetryDelay, ServerCore.MinRetryDelay * 2, ServerCore.MinRetryDelay);
    }

    [Fact]
    public async Task ListenerError_RetryNow_AcceptsAgainWithoutPausing()
    {
        var clock = new ManualTimeProvider(); // never advanced
        var listener = new InMemoryListener { Classify = _ => AcceptErrorAction.RetryNow };
        await using var core = Core(listener, clock: clock);
        await core.StartAsync(CancellationToken.None);
        var connection = new FakeConnection("after", 0);

        listener.Fail(new InvalidOperationException("one datagram's ICMP error"));
        listener.Add(connection);

        await connection.HandlerStarted.Task.WithTimeout();
        listener.Errors.Should().ContainSingle();
    }

    [Fact]
    public async Task ListenerError_Stop_AcceptsNoMore_RunningHandlersGoOn()
    {
        var listener = new InMemoryListener { Classify = _ => AcceptErrorAction.Stop };
        var core = Core(listener);
        await core.StartAsync(CancellationToken.None);
        var first = new FakeConnection("first", 0);
        listener.Add(first);
        await first.HandlerStarted.Task.WithTimeout();

        listener.Fail(new InvalidOperationException("fatal"));
        listener.Add(new FakeConnection("never", 0));
        await TestTimeouts.UntilAsync(() => listener.Errors.Count == 1);

        core.ActiveConnections.Should().Be(1, "the first handler still runs");
        await core.StopAsync(CancellationToken.None).WithTimeout();

        // The loop ended at the error: the connection queued right behind it was never asked for.
        listener.Accepts.Should().Be(2);
        core.AcceptedConnections.Should().Be(1);
        first.Aborted.Should().BeFalse();
    }

    [Fact]
    public async Task MaxConnections_OverTheLimit_RefusedAndCounted_ItsHandlerNeverRuns()
    {
        var listener = new InMemoryListener();
        await using var core = Core(listener, maxConnections: 1);
        await core.StartAsync(CancellationToken.None);
        var admitted = new FakeConnection("admitted", 0);
        var over = new FakeConnection("over", 0);
        listener.Add(admitted);
        await admitted.HandlerStarted.Task.WithTimeout();

        listener.Add(over);
        // The count goes up just before the listener is asked to refuse: wait for the refusal itself too.
        await TestTimeouts.UntilAsync(() => core.RefusedConnections == 1 && over.Refused);

        over.Refused.Should().BeTrue();
        over.HandlerStarted.Task.IsCompleted.Should().BeFalse();
        core.AcceptedConnections.Should().Be(2, "refused connections count as accepted");
        core.ActiveConnections.Should().Be(1);

        admitted.Finish.SetResult();
        await TestTimeouts.UntilAsync(() => core.ActiveConnections == 0);
        var next = new FakeConnection("next", 0);
        listener.Add(next);
        await next.HandlerStarted.Task.WithTimeout(); // room again once the first returned
    }

    [Fact]
    public async Task IdleTimeout_HeartbeatExpiresTheInactiveConnection_KeepsTheActiveOne()
    {
        var clock = new ManualTimeProvider();
        var listener = new InMemoryListener();
        await using var core = Core(listener, clock: clock, idleTimeout: TimeSpan.FromSeconds(10));
        await core.StartAsync(CancellationToken.None);
        var silent = new FakeConnection("silent", clock.GetTimestamp());
        var busy = new FakeConnection("busy", clock.GetTimestamp());
        listener.Add(silent);
        listener.Add(busy);
        await Task.WhenAll(silent.HandlerStarted.Task, busy.HandlerStarted.Task).WithTimeout();

        for (var second = 1; second <= 9; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            busy.LastActivity = clock.GetTimestamp();
        }

        silent.Expirations.Should().Be(0, "9 seconds are not 10");
        clock.Advance(TimeSpan.FromSeconds(1));
        busy.LastActivity = clock.GetTimestamp();

        silent.Expirations.Should().BeGreaterThan(0);
        busy.Expirations.Should().Be(0);
    }

    [Fact]
    public async Task StartAsync_Twice_OrAfterStop_Throws()
    {
        var listener = new InMemoryListener();
        var core = Core(listener);
        await core.StartAsync(CancellationToken.None);
        await FluentActions.Awaiting(() => core.StartAsync(CancellationToken.None)).Should().ThrowAsync<InvalidOperationException>();
        await core.StopAsync(CancellationToken.None).WithTimeout();

        var never = new InMemoryListener();
        var stopped = Core(never);
        await stopped.StopAsync(CancellationToken.None).WithTimeout();
        await FluentActions.Awaiting(() => stopped.StartAsync(CancellationToken.None)).Should().ThrowAsync<InvalidOperationException>();
        never.Started.Should().BeFalse("a stopped server binds nothing");
    }

    [Fact]
    public async Task ListenerError_OnAcceptErrorThrows_AcceptingEnds_StopStillWaitsAbortsAndDisposes()
    {
        var clock = new ManualTimeProvider();
        var listener = new InMemoryListener { Classify = _ => throw new InvalidOperationException("the listener's own bug") };
        var core = Core(listener, run: Stubborn, clock: clock);
        await core.StartAsync(CancellationToken.None);
        var first = new FakeConnection("first", 0);
        listener.Add(first);
        await first.HandlerStarted.Task.WithTimeout();
        listener.Fail(new IOException("accept failed"));
        await TestTimeouts.UntilAsync(() => listener.Errors.Count == 1);

        var stop = core.StopAsync(CancellationToken.None);
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0 || stop.IsCompleted, because: "the stop should reach the deadline wait");
        clock.Advance(s_deadline);
        await stop.WithTimeout(); // before, it rethrew the listener's exception and skipped the rest of the stop

        first.Aborted.Should().BeTrue("the handler ignoring the stop is aborted at the deadline");
        listener.Disposed.Should().BeTrue();
        await TestTimeouts.UntilAsync(() => core.ActiveConnections == 0, because: "the aborted handler returns");
    }

    [Fact]
    public async Task ListenerError_RefuseThrows_TheLoopGoesOnAccepting_AndTheStopCompletes()
    {
        var listener = new InMemoryListener { RefuseError = new InvalidOperationException("the listener's own bug") };
        var core = Core(listener, maxConnections: 1);
        await core.StartAsync(CancellationToken.None);
        var first = new FakeConnection("first", 0);
        listener.Add(first);
        await first.HandlerStarted.Task.WithTimeout();
        var refused = new FakeConnection("refused", 0);
        listener.Add(refused);
        await TestTimeouts.UntilAsync(() => refused.Refused);

        first.Finish.SetResult();
        await TestTimeouts.UntilAsync(() => core.ActiveConnections == 0);
        var later = new FakeConnection("later", 0);
        listener.Add(later);
        await later.HandlerStarted.Task.WithTimeout(); // the accept loop survived the throwing Refuse

        await core.StopAsync(CancellationToken.None).WithTimeout();
        listener.Disposed.Should().BeTrue();
        core.RefusedConnections.Should().Be(1);
    }
}
