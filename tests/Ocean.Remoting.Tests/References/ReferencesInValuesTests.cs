using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

/// <summary>
/// [Remote] interfaces inside values (a field of a CDR struct, a member of a graph object, an array element), as
/// parameters and results, and RemoteReference as a value: they arrive as working proxies, or as the receiver's own
/// object when they come home.
/// </summary>
public sealed class ReferencesInValuesTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    private static Task<Loopback> StartAsync(Link link, string marshaller) =>
        RefKit.LoopAsync(
            s =>
            {
                s.Export<IValueHub>(new ValueHub(), "values");
                if (marshaller == RefKit.Graph)
                {
                    s.Export<IGraphHub>(new GraphHub(), "graph");
                }
            },
            link,
            marshaller);

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task References_in_a_struct_result_arrive_as_a_server_proxy_and_the_callers_own_object(Link link, string marshaller)
    {
        await using var loop = await StartAsync(link, marshaller);
        var hub = loop.Proxy<IValueHub>("values");
        var listener = new Listener("ann");

        var card = await hub.DealAsync("hearts", 10, listener).WaitAsync(Timeout);

        card.Label.Should().Be("hearts");
        card.Counter.Should().NotBeNull().And.NotBeOfType<Counter>("the server's counter stays there");
        (await card.Counter!.IncrementAsync().WaitAsync(Timeout)).Should().Be(11);
        card.Listener.Should().BeSameAs(listener, "the client's own callback comes back to it as itself");

        var withoutListener = await hub.DealAsync("spades", 0, null).WaitAsync(Timeout);
        withoutListener.Listener.Should().BeNull("a null reference travels as null");
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task References_in_a_struct_argument_are_called_by_the_server(Link link, string marshaller)
    {
        await using var loop = await StartAsync(link, marshaller);
        var hub = loop.Proxy<IValueHub>("values");
        var listener = new Listener("bea");
        var dealt = await hub.DealAsync("clubs", 20, null).WaitAsync(Timeout);

        // The server's own counter (a proxy here) comes home as the object itself; the listener is called back.
        var played = await hub.PlayAsync(new CounterCard { Label = "clubs", Counter = dealt.Counter, Listener = listener }).WaitAsync(Timeout);

        played.Should().Be("21/bea:clubs");
        listener.Heard.Should().Be(1);
        (await dealt.Counter!.IncrementAsync().WaitAsync(Timeout)).Should().Be(22, "the card carried the same counter");

        (await hub.PlayAsync(new CounterCard { Label = "none" }).WaitAsync(Timeout)).Should().Be("-1/nobody");
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task References_as_array_elements_travel_both_ways(Link link, string marshaller)
    {
        await using var loop = await StartAsync(link, marshaller);
        var hub = loop.Proxy<IValueHub>("values");

        var counters = await hub.DealManyAsync(3).WaitAsync(Timeout);

        counters.Should().HaveCount(3);
        (await Task.WhenAll(counters.Select(c => c.IncrementAsync())).WaitAsync(Timeout)).Should().Equal(1, 101, 201);
        (await hub.IncrementAllAsync(counters).WaitAsync(Timeout)).Should().Be(2 + 102 + 202);
        (await hub.IncrementAllAsync([new Counter(1000), counters[0]]).WaitAsync(Timeout)).Should().Be(1001 + 3, "a client object and a server proxy side by side");
        (await hub.IncrementListAsync([counters[1], new Counter(2000), counters[1]]).WaitAsync(Timeout)).Should().Be(103 + 2001 + 104, "list elements too");
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task Parameters_and_results_of_a_remote_interface_type_travel_by_reference(Link link, string marshaller)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IHub>(new Hub(), "hub"), link, marshaller);
        var hub = loop.Proxy<IHub>("hub");
        var listener = new Listener("cy");

        (await hub.ForwardAsync(listener, "hi").WaitAsync(Timeout)).Should().Be("hub:cy:hi");
        var counter = await hub.NewCounterAsync(5).WaitAsync(Timeout);
        (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(6);
        (await hub.ReadAsync(counter).WaitAsync(Timeout)).Should().Be(7);
        (await hub.ReadAsync(new Counter(50)).WaitAsync(Timeout)).Should().Be(51, "a client's counter is called back");
        (await hub.EchoAsync(listener).WaitAsync(Timeout)).Should().BeSameAs(listener);
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_graph_object_whose_nodes_share_one_remote_member_arrives_with_working_proxies(Link link)
    {
        await using var loop = await StartAsync(link, RefKit.Graph);
        var hub = loop.Proxy<IGraphHub>("graph");

        var head = await hub.ChainAsync(3, 0).WaitAsync(Timeout);

        var nodes = new List<CounterNode>();
        for (var node = head; node is not null; node = node.Next)
        {
            nodes.Add(node);
        }

        nodes.Select(n => n.Label).Should().Equal("n1", "n2", "n3");
        nodes.Should().OnlyContain(n => n.Counter != null && !(n.Counter is Counter));
        (await nodes[0].Counter!.IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
        (await nodes[2].Counter!.IncrementAsync().WaitAsync(Timeout)).Should().Be(2, "every node's member names the one server counter");
        nodes[1].Counter.Should().BeSameAs(nodes[0].Counter, "one object replaced once per message arrives as one proxy in a graph");

        // Back to the server: the proxies come home as the counter itself; and a client counter in the graph is called back.
        (await hub.WalkAsync(head).WaitAsync(Timeout)).Should().Be(5);
        var mine = new CounterNode { Label = "mine", Counter = new Counter(70), Next = new CounterNode { Label = "theirs", Counter = nodes[0].Counter } };
        (await hub.WalkAsync(mine).WaitAsync(Timeout)).Should().Be(6);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_RemoteReference_travels_as_a_value_and_its_proxy_works(string marshaller)
    {
        await using var rig = new Rig();
        var tally = new Tally();
        RemotingServer? server = null;
        server = await rig.ServerAsync(
            s =>
            {
                s.Export<IValueHub>(new ValueHub(name => server!.GetReference(name)), "values");
                s.Export<ITally>(tally, "tally");
            },
            RefKit.ServerOptions(marshaller));
        var client = await rig.ClientAsync(server, marshaller);

        var reference = await client.GetProxy<IValueHub>("values").WhereAsync("tally").WaitAsync(Timeout);

        reference.Should().Be(server.GetReference("tally"));
        (await client.GetProxy<ITally>(reference!).AddAsync(9).WaitAsync(Timeout)).Should().Be(9);
        tally.Calls.Should().Be(1);
    }
}
