using System.Net;

namespace Ocean.Remoting.Tests.References;

/// <summary>
/// References printed by a server, parsed back and called: from a client of that server, from a client of another
/// server (which opens the reference's endpoint on the first call), and passed on to a third server; a reference from an
/// earlier run of a server refused as stale.
/// </summary>
public sealed class PrintedReferenceTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_printed_reference_parsed_back_is_called_from_a_fresh_client_of_that_server(string marshaller)
    {
        await using var rig = new Rig();
        var tally = new Tally();
        var server = await rig.ServerAsync(s => s.Export<ITally>(tally, "tally"), RefKit.ServerOptions(marshaller));
        var port = ((IPEndPoint)server.EndPoint).Port;

        var printed = server.GetReference("tally").ToString();

        printed.Should().StartWith($"ocean://127.0.0.1:{port}/{server.Incarnation}/")
            .And.EndWith("?interface=Ocean.Remoting.Tests.References.ITally");
        var reference = RemoteReference.Parse(printed);
        reference.Should().Be(server.GetReference("tally"));
        reference.Incarnation.Should().Be(server.Incarnation);
        reference.EndPoint.Should().Be(new IPEndPoint(IPAddress.Loopback, port));

        var client = await rig.ClientAsync(server, marshaller);
        var proxy = client.GetProxy<ITally>(reference);
        (await proxy.AddAsync(5).WaitAsync(Timeout)).Should().Be(5);
        (await proxy.AddAsync(7).WaitAsync(Timeout)).Should().Be(12);
        tally.Calls.Should().Be(2);
        server.ActiveConnections.Should().Be(1, "a reference to the server the client is connected to is called over that connection");

        // The name still works alongside the number: both reach the same object.
        (await client.GetProxy<ITally>("tally").AddAsync(1).WaitAsync(Timeout)).Should().Be(13);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_printed_reference_is_called_from_a_client_of_another_server_which_opens_its_endpoint_on_the_first_call(string marshaller)
    {
        await using var rig = new Rig();
        var tally = new Tally();
        var first = await rig.ServerAsync(s => s.Export<ITally>(tally, "tally"), RefKit.ServerOptions(marshaller));
        var second = await rig.ServerAsync(s => s.Export<IRelay>(new Relay(), "relay"), RefKit.ServerOptions(marshaller));
        var printed = first.GetReference("tally").ToString();
        var client = await rig.ClientAsync(second, marshaller);

        var proxy = client.GetProxy<ITally>(RemoteReference.Parse(printed));

        first.ActiveConnections.Should().Be(0, "nothing is opened until the first call");
        (await proxy.AddAsync(3).WaitAsync(Timeout)).Should().Be(3);
        first.ActiveConnections.Should().Be(1, "the first call opened the reference's endpoint");
        (await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => proxy.AddAsync(1))).WaitAsync(Timeout)).Max().Should().Be(23);
        first.ActiveConnections.Should().Be(1, "later calls share the one connection");
        second.ActiveConnections.Should().Be(1);
        tally.Calls.Should().Be(21);

        // Disposing the client closes the connection it opened to the reference's server.
        await client.DisposeAsync().AsTask().WaitAsync(Timeout);
        await TestTimeouts.UntilAsync(() => first.ActiveConnections == 0, Timeout, "the client's connection to the first server closes with it");
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_proxy_from_a_printed_reference_passed_to_a_third_server_is_called_there(string marshaller)
    {
        await using var rig = new Rig();
        var counter = new CountingCounter(40);
        var owner = await rig.ServerAsync(s => s.Export<ICounter>(counter, "counter"), RefKit.ServerOptions(marshaller));
        var relayServer = await rig.ServerAsync(s => s.Export<IRelay>(new Relay(), "relay"), RefKit.ServerOptions(marshaller));
        var client = await rig.ClientAsync(relayServer, marshaller);
        var proxy = client.GetProxy<ICounter>(RemoteReference.Parse(owner.GetReference("counter").ToString()));

        // The relay server receives the endpoint reference and calls the counter's server itself.
        (await client.GetProxy<IRelay>("relay").IncrementThroughAsync(proxy).WaitAsync(Timeout)).Should().Be(41);

        // Two connections reach the owner: the relay server's, and the client's, opened by its proxy's lease (a dirty).
        await TestTimeouts.UntilAsync(() => owner.ActiveConnections == 2, Timeout, "the relay server's connection and the client's lease connection");
        (await proxy.IncrementAsync().WaitAsync(Timeout)).Should().Be(42);
        owner.ActiveConnections.Should().Be(2, "the client's call uses the connection its lease opened");
        counter.Calls.Should().Be(2);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task An_object_a_tcp_server_returns_by_reference_can_be_passed_on_and_called_by_another_server(string marshaller)
    {
        await using var rig = new Rig();
        var owner = await rig.ServerAsync(s => s.Export<IHub>(new Hub(), "hub"), RefKit.ServerOptions(marshaller));
        var relayServer = await rig.ServerAsync(s => s.Export<IRelay>(new Relay(), "relay"), RefKit.ServerOptions(marshaller));
        var ownersClient = await rig.ClientAsync(owner, marshaller);
        var relaysClient = await rig.ClientAsync(relayServer, marshaller);

        // An implicit export of a server with an endpoint carries that endpoint: anyone may be given it.
        var counter = await ownersClient.GetProxy<IHub>("hub").NewCounterAsync(10).WaitAsync(Timeout);
        (await relaysClient.GetProxy<IRelay>("relay").IncrementThroughAsync(counter).WaitAsync(Timeout)).Should().Be(11);

        (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(12);
        owner.ActiveConnections.Should().Be(2, "the owner's client, and the relay server's connection to the owner");
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_reference_from_an_earlier_run_at_the_same_address_is_refused_as_stale(string marshaller)
    {
        await using var rig = new Rig();
        var before = new CountingCounter(0);
        var earlier = await rig.ServerAsync(s => s.Export<ICounter>(before, "counter"), RefKit.ServerOptions(marshaller));
        var stale = earlier.GetReference("counter");
        var port = stale.Port;
        var reference = new RemoteReference("127.0.0.1", port, earlier.Incarnation, stale.ObjectNumber, stale.InterfaceName);
        await earlier.DisposeAsync().AsTask().WaitAsync(Timeout);

        // The same port again (the Linux socket layer allows it straight away for a listener), the same object number.
        var after = new CountingCounter(100);
        var restarted = await rig.ServerAsync(s => s.Export<ICounter>(after, "counter"), RefKit.ServerOptions(marshaller), port);
        restarted.Incarnation.Should().NotBe(earlier.Incarnation);
        restarted.GetReference("counter").ObjectNumber.Should().Be(stale.ObjectNumber, "the new run numbers its exports the same way");
        var client = await rig.ClientAsync(restarted, marshaller);

        foreach (var old in new[] { stale, RemoteReference.Parse(stale.ToString()), reference })
        {
            var call = () => client.GetProxy<ICounter>(old).IncrementAsync().WaitAsync(Timeout);
            var refused = (await call.Should().ThrowAsync<RemotingException>()).Which;
            refused.Status.Should().Be(RemotingStatus.UnknownObject);
            refused.Completion.Should().Be(CompletionStatus.No);
            refused.Message.Should().Contain("stale").And.Contain(earlier.Incarnation.ToString()).And.Contain(restarted.Incarnation.ToString());
        }

        after.Calls.Should().Be(0, "a stale reference is not dispatched to whatever object now has its number");
        (await client.GetProxy<ICounter>(restarted.GetReference("counter")).IncrementAsync().WaitAsync(Timeout)).Should().Be(101);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_reference_naming_an_earlier_incarnation_at_a_new_port_is_refused_as_stale(string marshaller)
    {
        await using var rig = new Rig();
        var counter = new CountingCounter(0);
        var server = await rig.ServerAsync(s => s.Export<ICounter>(counter, "counter"), RefKit.ServerOptions(marshaller));
        var current = server.GetReference("counter");
        var earlierRun = ServerIncarnation.New();
        var stale = new RemoteReference("127.0.0.1", ((IPEndPoint)server.EndPoint).Port, earlierRun, current.ObjectNumber, current.InterfaceName);

        // A client of another server: the stale reference's endpoint is opened, and the call refused there.
        var other = await rig.ServerAsync(s => s.Export<IRelay>(new Relay(), "relay"), RefKit.ServerOptions(marshaller));
        var client = await rig.ClientAsync(other, marshaller);
        var refused = (await client.Awaiting(c => c.GetProxy<ICounter>(RemoteReference.Parse(stale.ToString())).IncrementAsync().WaitAsync(Timeout))
            .Should().ThrowAsync<RemotingException>()).Which;

        refused.Status.Should().Be(RemotingStatus.UnknownObject);
        refused.Completion.Should().Be(CompletionStatus.No);
        refused.Message.Should().Contain("stale").And.Contain(earlierRun.ToString());
        counter.Calls.Should().Be(0);

        // Passed to the server as an argument, the stale reference is refused there too when the server calls it.
        var relayed = (await client.Awaiting(c => c.GetProxy<IRelay>("relay").IncrementThroughAsync(c.GetProxy<ICounter>(stale)).WaitAsync(Timeout))
            .Should().ThrowAsync<RemotingException>()).Which;
        relayed.Status.Should().Be(RemotingStatus.ApplicationException);
        relayed.RemoteTypeName.Should().Be(typeof(RemotingException).FullName);
        relayed.RemoteMessage.Should().Contain("stale");
        counter.Calls.Should().Be(0);

        (await client.GetProxy<ICounter>(current).IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
    }

    [Fact]
    public async Task A_client_holding_a_proxy_across_a_restart_of_its_server_reconnects_and_is_told_the_reference_is_stale()
    {
        await using var rig = new Rig();
        var before = new CountingCounter(0);
        var earlier = await rig.ServerAsync(s => s.Export<ICounter>(before, "counter"));
        var port = ((IPEndPoint)earlier.EndPoint).Port;
        var client = await rig.ClientAsync(earlier, RefKit.Cdr);
        var proxy = client.GetProxy<ICounter>(earlier.GetReference("counter"));
        (await proxy.IncrementAsync().WaitAsync(Timeout)).Should().Be(1);

        await earlier.DisposeAsync().AsTask().WaitAsync(Timeout);
        var after = new CountingCounter(100);
        await rig.ServerAsync(s => s.Export<ICounter>(after, "counter"), port: port);

        // The old connection's loss may be seen by the first call (unavailable, not run); the client reconnects and the
        // new run answers that the reference is stale.
        RemotingException? refused = null;
        using var bound = new CancellationTokenSource(Timeout);
        while (refused is null or { Status: RemotingStatus.Unavailable, Completion: CompletionStatus.No })
        {
            bound.IsCancellationRequested.Should().BeFalse("the client reconnects within the bound; last: {0}", refused?.Message);
            try
            {
                await proxy.IncrementAsync().WaitAsync(Timeout);
                throw new InvalidOperationException("the stale call succeeded");
            }
            catch (RemotingException e)
            {
                refused = e;
            }

            if (refused.Status == RemotingStatus.Unavailable)
            {
                await Task.Delay(20);
            }
        }

        refused.Status.Should().Be(RemotingStatus.UnknownObject);
        refused.Completion.Should().Be(CompletionStatus.No);
        refused.Message.Should().Contain("stale");
        after.Calls.Should().Be(0);
        before.Calls.Should().Be(1);
    }

    [Fact]
    public async Task A_reference_to_an_unexported_object_is_refused_as_unknown_not_stale()
    {
        await using var rig = new Rig();
        var tally = new Tally();
        var server = await rig.ServerAsync(s => s.Export<ITally>(tally, "tally"));
        var reference = server.GetReference("tally");
        var client = await rig.ClientAsync(server, RefKit.Cdr);
        server.Unexport("tally").Should().BeTrue();

        var refused = (await client.Awaiting(c => c.GetProxy<ITally>(reference).AddAsync(1).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        refused.Status.Should().Be(RemotingStatus.UnknownObject);
        refused.Completion.Should().Be(CompletionStatus.No);
        refused.Message.Should().Contain("not exported").And.NotContain("stale");
        tally.Calls.Should().Be(0);
        server.Invoking(s => s.GetReference("tally")).Should().Throw<KeyNotFoundException>();
    }

    [Fact]
    public async Task A_reference_to_an_endpoint_where_nothing_listens_fails_unavailable_and_not_run()
    {
        await using var rig = new Rig();
        int port;
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var server = await rig.ServerAsync(s => s.Export<ITally>(new Tally(), "tally"));
        var client = await rig.ClientAsync(server, RefKit.Cdr);
        var nowhere = new RemoteReference("127.0.0.1", port, ServerIncarnation.New(), 1, typeof(ITally).FullName!);

        var failed = (await client.Awaiting(c => c.GetProxy<ITally>(nowhere).AddAsync(1).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        failed.Status.Should().Be(RemotingStatus.Unavailable);
        failed.Completion.Should().Be(CompletionStatus.No);
        (await client.GetProxy<ITally>("tally").AddAsync(2).WaitAsync(Timeout)).Should().Be(2, "the client's own connection is unaffected");
    }
}
