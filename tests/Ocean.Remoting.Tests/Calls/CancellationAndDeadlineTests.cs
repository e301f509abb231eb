using System.Diagnostics;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>The caller's token and the call's deadline reach the server's token; the caller learns which.</summary>
public sealed class CancellationAndDeadlineTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task Cancelling_the_callers_token_cancels_the_servers_token(Link link)
    {
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(s => s.Export<ICalculator>(calculator, "calc"), link);
        var calc = loop.Proxy<ICalculator>("calc");
        using var cts = new CancellationTokenSource();

        var call = calc.WaitForCancellationAsync(60_000, cts.Token);
        await calculator.Started.Task.WaitAsync(Timeout);
        cts.Cancel();

        var e = (await call.Awaiting(c => c.WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.Cancelled);
        e.Completion.Should().Be(CompletionStatus.Maybe, "the request was sent, so the method may have run");
        e.InnerException.Should().BeAssignableTo<OperationCanceledException>();

        (await calculator.Cancelled.Task.WaitAsync(Timeout)).Should().BeTrue("the cancel message cancelled the method's token");
        (await calc.AddAsync(1, 2).WaitAsync(Timeout)).Should().Be(3);
    }

    [Fact]
    public async Task A_token_cancelled_before_the_call_fails_with_Cancelled_not_executed()
    {
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(s => s.Export<ICalculator>(calculator, "calc"));
        var calc = loop.Proxy<ICalculator>("calc");

        var e = (await calc.Awaiting(c => c.WaitForCancellationAsync(10, new CancellationToken(canceled: true)).WaitAsync(Timeout))
            .Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.Cancelled);
        e.Completion.Should().Be(CompletionStatus.No);

        (await calc.AddAsync(1, 2).WaitAsync(Timeout)).Should().Be(3);
        calculator.Started.Task.IsCompleted.Should().BeFalse("the cancelled call was never sent");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_method_that_ignores_its_token_still_fails_the_caller_at_the_deadline(Link link)
    {
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<ICalculator>(calculator, "calc"),
            link,
            new RemotingServerOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(200) }, // the ignoring method is still running at the end
            new RemotingClientOptions { DefaultDeadline = TimeSpan.FromMilliseconds(300) });
        var calc = loop.Proxy<ICalculator>("calc");

        var watch = Stopwatch.StartNew();
        var e = (await calc.Awaiting(c => c.IgnoreTokenAsync(30_000).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        watch.Stop();
        e.Status.Should().Be(RemotingStatus.DeadlineExceeded);
        e.Completion.Should().Be(CompletionStatus.Maybe);

        // The method ran (the server times the deadline from the request's arrival, so it always starts it), though on a
        // loaded machine it may start only after the caller's 300 ms have passed: wait for it rather than peek.
        await calculator.Started.Task.WaitAsync(Timeout);
        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)).And.BeLessThan(TimeSpan.FromSeconds(10));

        (await calc.AddAsync(1, 2).WaitAsync(Timeout)).Should().Be(3, "the connection outlives the abandoned call");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task The_deadline_reaches_the_server_and_cancels_its_token(Link link)
    {
        var deadlines = new Deadlines();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IDeadlines>(deadlines, "d"), link, clientOptions: new RemotingClientOptions { DefaultDeadline = TimeSpan.FromMilliseconds(500) });
        var proxy = loop.Proxy<IDeadlines>("d");

        var start = DateTimeOffset.UtcNow;
        var e = (await proxy.Awaiting(p => p.WaitAsync(60_000, CancellationToken.None).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.DeadlineExceeded);

        var seen = await deadlines.SeenDeadline.Task.WaitAsync(Timeout);
        seen.Should().NotBeNull("RemoteCallContext.Deadline is set for a call with a deadline");
        seen!.Value.Should().BeOnOrAfter(start.AddMilliseconds(400)).And.BeOnOrBefore(DateTimeOffset.UtcNow.AddMilliseconds(600));

        var cancelledAt = await deadlines.TokenCancelledAt.Task.WaitAsync(Timeout);
        cancelledAt.Should().BeOnOrAfter(start.AddMilliseconds(400), "the server's token is cancelled at the deadline, not before");
    }

    [Fact]
    public async Task Default_deadline_attribute_and_scope_each_override_the_one_before()
    {
        var deadlines = new Deadlines();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IDeadlines>(deadlines, "d"), clientOptions: new RemotingClientOptions { DefaultDeadline = TimeSpan.FromSeconds(60) });
        var proxy = loop.Proxy<IDeadlines>("d");

        // the options' default
        (await proxy.PlainAsync().WaitAsync(Timeout)).Should().BeInRange(50_000, 60_000);

        // [RemoteDeadline(5_000)] overrides the default
        (await proxy.AttributedAsync().WaitAsync(Timeout)).Should().BeInRange(1, 5_000);

        // a scope overrides both
        using (RemoteCallScope.WithDeadline(TimeSpan.FromSeconds(20)))
        {
            (await proxy.AttributedAsync().WaitAsync(Timeout)).Should().BeInRange(15_000, 20_000);
            (await proxy.PlainAsync().WaitAsync(Timeout)).Should().BeInRange(15_000, 20_000);

            // an inner scope replaces the outer one; disposing it restores the outer
            using (RemoteCallScope.WithDeadline(TimeSpan.FromSeconds(5)))
            {
                (await proxy.PlainAsync().WaitAsync(Timeout)).Should().BeInRange(1_000, 5_000);
            }

            (await proxy.PlainAsync().WaitAsync(Timeout)).Should().BeInRange(15_000, 20_000);
        }

        (await proxy.PlainAsync().WaitAsync(Timeout)).Should().BeInRange(50_000, 60_000);
    }

    [Fact]
    public async Task Without_any_deadline_the_server_sees_none()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IDeadlines>(new Deadlines(), "d"));
        (await loop.Proxy<IDeadlines>("d").PlainAsync().WaitAsync(Timeout)).Should().Be(-1);
    }

    [Fact]
    public async Task An_attribute_on_the_interface_applies_to_its_methods_and_one_on_a_method_wins()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IDeadlinedInterface>(new DeadlinedInterface(), "d"));
        var proxy = loop.Proxy<IDeadlinedInterface>("d");

        (await proxy.RemainingAsync().WaitAsync(Timeout)).Should().BeInRange(1, 5_000);
        (await proxy.LongerAsync().WaitAsync(Timeout)).Should().BeInRange(50_000, 60_000);
    }

    [Fact]
    public async Task A_caller_blocked_on_a_remote_call_is_freed_by_the_deadline()
    {
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<ICalculator>(calculator, "calc"), serverOptions: new RemotingServerOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(200) });
        var calc = loop.Proxy<ICalculator>("calc");

        // a synchronous call blocks its thread, and the deadline still frees it
        var e = (await calc.Awaiting(c => Task.Run(() =>
        {
            using (RemoteCallScope.WithDeadline(TimeSpan.FromMilliseconds(200)))
            {
                return c.Negate(1) + c.IgnoreTokenAsync(10_000).GetAwaiter().GetResult();
            }
        }).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.DeadlineExceeded);
        e.Completion.Should().Be(CompletionStatus.Maybe);
        (await calc.MultiplyAsync(3, 4).AsTask().WaitAsync(Timeout)).Should().Be(12);
    }

    [Fact]
    public void A_scope_deadline_must_be_positive()
    {
        ((Action)(() => RemoteCallScope.WithDeadline(TimeSpan.Zero))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => RemoteCallScope.WithDeadline(TimeSpan.FromSeconds(-1)))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
