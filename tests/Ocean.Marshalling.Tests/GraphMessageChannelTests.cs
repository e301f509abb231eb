using System.Net;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Marshalling.Tests;

/// <summary>Typed channels with the object-graph marshaller over real loopback TCP and UDP.</summary>
public sealed class GraphMessageChannelTests
{
    private static readonly LengthPrefixedCodec s_codec = new();
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller();

    /// <summary>Echoes each value back; a message that does not unmarshal is answered with <paramref name="malformedReply"/>.</summary>
    private static MessageConnectionHandler Echo<T>(T malformedReply) => async (connection, stopping) =>
    {
        var channel = new MessageChannel<T>(connection, s_marshaller);
        while (true)
        {
            T value;
            try
            {
                value = await channel.ReceiveAsync(stopping);
            }
            catch (EndOfStreamException)
            {
                return;
            }
            catch (MarshallingException)
            {
                await channel.SendAsync(malformedReply, stopping);
                continue;
            }

            await channel.SendAsync(value, stopping);
        }
    };

    private static async Task<MessageServer> StartTcpAsync(MessageConnectionHandler handler)
    {
        var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), s_codec, handler);
        await server.StartAsync().WithTimeout();
        return server;
    }

    private static async Task<MessageServer> StartUdpAsync(MessageConnectionHandler handler)
    {
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), handler);
        await server.StartAsync().WithTimeout();
        return server;
    }

    [Fact]
    public async Task Tcp_EchoOfGraphsWithCycles_ComeBackIsomorphic()
    {
        await using var server = await StartTcpAsync(Echo(new GraphNode { Id = -1 }));
        await using var client = new MessageChannel<GraphNode>(MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint).WithTimeout(), s_codec), s_marshaller);
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
    public async Task Tcp_MalformedMessage_RaisesMarshallingExceptionAndTheNextArrives()
    {
        var malformed = new Person("<malformed>", string.Empty, -1);
        await using var server = await StartTcpAsync(Echo(malformed));
        await using var client = new MessageChannel<Person>(MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint).WithTimeout(), s_codec), s_marshaller);
        var person = new Person("Smith", "London", 1934);

        await client.Connection.SendAsync(new byte[] { 0x4F, 0x47, 0x01, 0x10, 0x02, 0x05 }.AsMemory()).WithTimeout();
        (await client.ReceiveAsync().WithTimeout()).Should().Be(malformed);
        await client.SendAsync(person).WithTimeout();
        (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
    }

    [Fact]
    public async Task Udp_EchoOfPeopleAndSharedGraph_ComesBack()
    {
        await using var server = await StartUdpAsync(Echo(new ContractGroup(string.Empty, [], -1)));
        await using var client = new MessageChannel<ContractGroup>(MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint).WithTimeout()), s_marshaller);
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
        await using var server = await StartTcpAsync(Echo(new Person(string.Empty, string.Empty, 0)));
        await using var connection = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint).WithTimeout(), s_codec);

        FluentActions.Invoking(() => new MessageChannel<GraphStranger>(connection, s_marshaller)).Should().Throw<MarshallingException>().WithMessage("*graph*not registered*");
    }
}
