namespace Ocean.Marshalling.Tests;

/// <summary>The channel contract with the object-graph marshaller, and what only object graphs do: cycles, shared references, registration.</summary>
public sealed class GraphMessageChannelTests : MessageChannelContractTests
{
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller();

    protected override IMarshaller CreateMarshaller() => s_marshaller;

    protected override IEnumerable<byte[]> MalformedPersonMessages() =>
    [
        // OG 1, then a class reference to a descriptor never sent
        [0x4F, 0x47, 0x01, 0x10, 0x02, 0x05],
        [0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        [],

        // a valid Person with a byte left over
        [.. s_marshaller.Bytes(new Person("Smith", "London", 1934)), 0],
    ];

    // UTF-8 cannot carry an unpaired surrogate.
    protected override IEnumerable<Person> UnrepresentablePeople() => [new("a\uD800b", "London", 1), new("Smith", "\uDC00", 1)];

    [Fact]
    public async Task Tcp_EchoOfGraphsWithCycles_ComeBackIsomorphic()
    {
        await using var server = await StartTcpAsync(Echo(new GraphNode { Id = -1 }));
        await using var client = await ChannelAsync<GraphNode>(ConnectTcpAsync(server));
        var graphs = Enumerable.Range(1, 20).Select(seed => GraphRandomGraphTests.RandomGraph(new Random(seed), out _)).ToList();
        var shallow = GraphRegistries.Marshaller();

        foreach (var graph in graphs)
        {
            // The default depth limit (64) applies: send only the graphs it accepts, as a real sender would.
            if (shallow.CanMarshal(typeof(GraphNode), out _) && Record.Exception(() => shallow.Bytes(graph)) is null)
            {
                await client.SendAsync(graph).WithTimeout();
                Isomorphism.Check(graph, await client.ReceiveAsync().WithTimeout()).Should().BeNull();
            }
        }
    }

    [Fact]
    public async Task Udp_EchoOfPeopleAndSharedGraph_ComesBack()
    {
        await using var server = await StartUdpAsync(Echo(new ContractGroup(string.Empty, [], -1)));
        await using var client = await ChannelAsync<ContractGroup>(ConnectUdpAsync(server));
        var shared = new Person("Shared", "Everywhere", 1);

        for (var i = 0; i < 20; i++)
        {
            var group = new ContractGroup($"group {i}", [shared, new Person($"p{i}", "x", i), shared], i);
            await client.SendAsync(group).WithTimeout();
            var echoed = await client.ReceiveAsync().WithTimeout();

            echoed.Should().BeEquivalentTo(group);
            echoed.People[0].Should().BeSameAs(echoed.People[2]);
        }
    }

    [Fact]
    public async Task Constructor_UnregisteredType_ThrowsMarshallingExceptionAtOnce()
    {
        await using var server = await StartTcpAsync(Echo(Malformed));
        await using var connection = await ConnectTcpAsync(server);

        FluentActions.Invoking(() => new MessageChannel<GraphStranger>(connection, s_marshaller)).Should().Throw<MarshallingException>().WithMessage("*graph*not registered*")
            .Which.Error.Should().Be(MarshallingError.UnsupportedType, "MessageChannel reports what CanMarshal refuses as an unsupported type");
    }
}
