using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

/// <summary>
/// Re-entrant calls in both directions on one connection: the server calls back into its client while handling the
/// client's call, and the client calls the server again, with the server's InlineDispatch on and off.
/// </summary>
public sealed class CallbackChainTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    public static TheoryData<Link, string, bool> Cases()
    {
        var data = new TheoryData<Link, string, bool>();
        foreach (var link in new[] { Link.InMemory, Link.Tcp })
        {
            foreach (var marshaller in new[] { RefKit.Cdr, RefKit.Graph })
            {
                data.Add(link, marshaller, true);
                data.Add(link, marshaller, false);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_callback_chain_three_deep_completes_without_deadlock(Link link, string marshaller, bool inlineDispatch)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IChainServer>(new ChainServer(), "chain"), link, marshaller, inlineDispatch);
        var server = loop.Proxy<IChainServer>("chain");
        var callback = new ChainCallback(server);

        // client -> server.A -> client's B -> server.C, and back.
        (await server.AAsync(callback, "x").WaitAsync(Timeout)).Should().Be("A(B(C(x)))");
        callback.Calls.Should().Be(1);

        // Many chains at once on the one connection.
        var many = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => server.AAsync(callback, i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).WaitAsync(Timeout);
        many.Should().Equal(Enumerable.Range(0, 30).Select(i => $"A(B(C({i})))"));
        callback.Calls.Should().Be(31);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Ping_pong_between_server_and_client_nests_twenty_calls_deep(Link link, string marshaller, bool inlineDispatch)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IChainServer>(new ChainServer(), "chain"), link, marshaller, inlineDispatch);
        var server = loop.Proxy<IChainServer>("chain");
        var callback = new ChainCallback(server);

        // Each level the callback passes itself back to the server (the same export, the same proxy behaviour).
        var answer = await server.PingPongAsync(callback, 10).WaitAsync(Timeout);

        answer.Should().Be(string.Concat(Enumerable.Range(1, 10).Reverse().Select(d => $"s{d}>c{d}>")) + "ground");
        callback.Calls.Should().Be(10);
    }

    [Theory]
    [InlineData(Link.InMemory, true)]
    [InlineData(Link.InMemory, false)]
    [InlineData(Link.Tcp, true)]
    [InlineData(Link.Tcp, false)]
    public async Task The_chain_completes_with_the_clients_InlineContinuations_on(Link link, bool inlineDispatch)
    {
        // The client's code after each await (its own, and its callback's after calling C) runs on its read loop.
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IChainServer>(new ChainServer(), "chain"),
            link,
            new RemotingServerOptions { InlineDispatch = inlineDispatch },
            new RemotingClientOptions { InlineContinuations = true });
        var server = loop.Proxy<IChainServer>("chain");
        var callback = new ChainCallback(server);

        (await server.AAsync(callback, "x").WaitAsync(Timeout)).Should().Be("A(B(C(x)))");
        (await server.PingPongAsync(callback, 5).WaitAsync(Timeout)).Should().Be("s5>c5>s4>c4>s3>c3>s2>c2>s1>c1>ground");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task The_chain_needs_only_one_callback_slot_on_the_client_and_two_call_slots_on_the_server(Link link)
    {
        // Limits are per direction: the client runs one callback (B) at a time, the server runs A and C at once.
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IChainServer>(new ChainServer(), "chain"),
            link,
            new RemotingServerOptions { MaxConcurrentCallsPerConnection = 2 },
            new RemotingClientOptions { MaxConcurrentCallbacks = 1 });
        var server = loop.Proxy<IChainServer>("chain");

        (await server.AAsync(new ChainCallback(server), "y").WaitAsync(Timeout)).Should().Be("A(B(C(y)))");
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task A_synchronous_callback_called_by_a_method_InlineDispatch_starts_on_the_read_loop_is_refused(Link link, string marshaller)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IChainServer>(new ChainServer(), "chain"), link, marshaller, inlineDispatch: true);
        var server = loop.Proxy<IChainServer>("chain");
        var listener = new SyncListener();

        var refused = (await server.Awaiting(s => s.HearSyncAsync(listener, "x").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        refused.Status.Should().Be(RemotingStatus.ApplicationException);
        refused.Completion.Should().Be(CompletionStatus.Yes, "the server method ran; it threw");
        refused.RemoteTypeName.Should().Be(typeof(InvalidOperationException).FullName);
        refused.RemoteMessage.Should().Contain("InlineDispatch").And.Contain("read loop");
        listener.Heard.Should().Be(0, "the callback was never sent");

        // The same method after its first await runs on the thread pool: the synchronous callback works.
        (await server.HearSyncAfterYieldAsync(listener, "y").WaitAsync(Timeout)).Should().Be("server:heard:y");
        listener.Heard.Should().Be(1);

        // And the connection is still fine.
        (await server.AAsync(new ChainCallback(server), "z").WaitAsync(Timeout)).Should().Be("A(B(C(z)))");
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task A_synchronous_callback_works_with_InlineDispatch_off(Link link, string marshaller)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IChainServer>(new ChainServer(), "chain"), link, marshaller, inlineDispatch: false);
        var server = loop.Proxy<IChainServer>("chain");
        var listener = new SyncListener();

        (await server.HearSyncAsync(listener, "x").WaitAsync(Timeout)).Should().Be("server:heard:x");
        // A few at once (each blocks a pool thread on the server while it waits for the client's answer).
        (await Task.WhenAll(Enumerable.Range(0, 4).Select(i => server.HearSyncAsync(listener, $"{i}"))).WaitAsync(Timeout))
            .Should().Equal(Enumerable.Range(0, 4).Select(i => $"server:heard:{i}"));
        listener.Heard.Should().Be(5);
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_callback_chain_in_flight_when_a_graceful_stop_begins_completes(Link link)
    {
        var gated = new GatedChainServer();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IChainServer>(gated, "chain"),
            link,
            new RemotingServerOptions { ShutdownTimeout = Timeout });
        var server = loop.Proxy<IChainServer>("chain");
        var chain = server.AAsync(new ChainCallback(server), "x");
        await gated.Started.WaitAsync(Timeout);

        var stopping = loop.Server.StopAsync();
        var probe = (await server.Awaiting(s => s.CAsync("new").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        probe.Status.Should().Be(RemotingStatus.Unavailable, "a new call is refused once the stop began (and the client has read the go-away)");
        gated.Release();

        // A was in flight: its callback B and B's nested call C belong to it, and the stop lets it finish.
        (await chain.WaitAsync(Timeout)).Should().Be("A(B(C(x)))");
        await stopping.WaitAsync(Timeout);
    }
}
