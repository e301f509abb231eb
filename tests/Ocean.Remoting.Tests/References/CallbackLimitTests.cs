using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

/// <summary>The limits on calls in each direction of one connection, as documented: beyond them a call is answered Busy, not run.</summary>
public sealed class CallbackLimitTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task Callbacks_beyond_the_clients_MaxConcurrentCallbacks_are_answered_busy_and_not_run(Link link)
    {
        var fanOut = new FanOut();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IFanOut>(fanOut, "fan"),
            link,
            clientOptions: new RemotingClientOptions { MaxConcurrentCallbacks = 1 });
        var listener = new HeldListener();

        var outcomes = loop.Proxy<IFanOut>("fan").FanOutAsync(listener, 3);
        await TestTimeouts.UntilAsync(() => fanOut.Failures.Count == 2 && listener.Started == 1, Timeout, "one callback runs, two are refused");
        listener.Release();

        var all = await outcomes.WaitAsync(Timeout);
        all.Count(o => o.StartsWith("ok:held:", StringComparison.Ordinal)).Should().Be(1);
        all.Where(o => !o.StartsWith("ok:", StringComparison.Ordinal)).Should().Equal($"{RemotingStatus.Busy}/{CompletionStatus.No}", $"{RemotingStatus.Busy}/{CompletionStatus.No}");
        listener.Started.Should().Be(1, "a refused callback does not run");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_chain_that_needs_a_second_call_slot_on_a_server_allowing_one_fails_busy_without_deadlock(Link link)
    {
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IChainServer>(new ChainServer(), "chain"),
            link,
            new RemotingServerOptions { MaxConcurrentCallsPerConnection = 1 });
        var server = loop.Proxy<IChainServer>("chain");

        var refused = (await server.Awaiting(s => s.AAsync(new ChainCallback(s), "x").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        // C was refused (A held the one slot); B threw that to the server, and A threw it on to the client.
        refused.Status.Should().Be(RemotingStatus.ApplicationException);
        refused.RemoteTypeName.Should().Be(typeof(RemotingException).FullName);
        refused.RemoteMessage.Should().Contain("limit of 1 calls");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_client_that_waits_for_each_reply_is_never_answered_busy_by_a_one_call_server(Link link)
    {
        // Four such clients at once, each on its own one-call server, so the machine is busy (the window is narrow).
        var busy = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => SequentialBusyCountAsync(link, 1000)))).WaitAsync(TestTimeouts.Load);

        busy.Should().OnlyContain(b => b == 0, "a call whose reply has arrived no longer holds the server's one slot");
    }

    private static async Task<int> SequentialBusyCountAsync(Link link, int calls)
    {
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IChainServer>(new ChainServer(), "chain"),
            link,
            new RemotingServerOptions { MaxConcurrentCallsPerConnection = 1, InlineDispatch = false }); // the call ends off the read loop
        var server = loop.Proxy<IChainServer>("chain");
        var busy = 0;
        for (var i = 0; i < calls; i++)
        {
            try
            {
                await server.CAsync("x").WaitAsync(Timeout);
            }
            catch (RemotingException e) when (e.Status == RemotingStatus.Busy)
            {
                busy++;
            }
        }

        return busy;
    }
}

/// <summary>The lease service's own allowance: lease bookkeeping never takes the slot of a user's call, nor gives users more.</summary>
public sealed class LeaseCallAllowanceTests
{
    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_lease_call_runs_while_the_only_call_slot_is_taken_and_a_user_call_is_still_busy(Link link)
    {
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<ICalculator>(calculator, "calc"),
            link,
            new RemotingServerOptions { MaxConcurrentCallsPerConnection = 1 });
        var calc = loop.Proxy<ICalculator>("calc");
        using var cancel = new CancellationTokenSource();
        var holding = calc.WaitForCancellationAsync(60_000, cancel.Token); // takes the one slot until cancelled
        try
        {
            await calculator.Started.Task.WaitAsync(RefKit.Timeout);

            // A lease call (a dirty for no object: answered at once) runs beside it; before the allowance it was Busy.
            var dgc = loop.Client.GetProxy<Ocean.Remoting.Internal.Leases.IDistributedGc>(Ocean.Remoting.Internal.ObjectSpace.DgcName);
            await dgc.DirtyAsync("test-holder", 1, loop.Server.Incarnation.ToString(), []).WaitAsync(RefKit.Timeout);

            var busy = (await calc.Awaiting(c => c.AddAsync(1, 2).WaitAsync(RefKit.Timeout)).Should().ThrowAsync<RemotingException>()).Which;
            busy.Status.Should().Be(RemotingStatus.Busy, "the allowance is the lease service's only");
            busy.Completion.Should().Be(CompletionStatus.No);
        }
        finally
        {
            await cancel.CancelAsync();
        }

        await holding.Awaiting(h => h.WaitAsync(RefKit.Timeout)).Should().ThrowAsync<RemotingException>();
        await calculator.Cancelled.Task.WaitAsync(RefKit.Timeout);
    }
}
