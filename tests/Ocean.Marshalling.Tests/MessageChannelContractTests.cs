using System.Net;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// Typed channels over real loopback TCP and UDP, once per marshaller: values go out as messages and come back
/// whole, and a message that does not unmarshal costs only itself. Each marshaller gets a subclass that says
/// how to create it and which bytes and values it refuses; its own behaviour is tested there.
/// </summary>
public abstract class MessageChannelContractTests
{
    private static readonly LengthPrefixedCodec s_codec = new();

    /// <summary>What the echo servers answer to a message that does not unmarshal as a <see cref="Person"/>.</summary>
    protected static readonly Person Malformed = new("<malformed>", nameof(MarshallingException), -1);

    protected static IEnumerable<Person> People(int count) =>
        Enumerable.Range(0, count).Select(i => new Person($"Person {i} \u00E9", new string('x', i), 1900 + i));

    /// <summary>The marshaller under test.</summary>
    protected abstract IMarshaller CreateMarshaller();

    /// <summary>Messages that do not unmarshal as a <see cref="Person"/> with this marshaller, each for its own reason.</summary>
    protected abstract IEnumerable<byte[]> MalformedPersonMessages();

    /// <summary>People this marshaller refuses to write.</summary>
    protected abstract IEnumerable<Person> UnrepresentablePeople();

    /// <summary>Echoes each value back with a typed channel; a message that does not unmarshal is answered with <paramref name="malformedReply"/>.</summary>
    protected MessageConnectionHandler Echo<T>(T malformedReply)
    {
        var marshaller = CreateMarshaller();
        return async (connection, stopping) =>
        {
            var channel = new MessageChannel<T>(connection, marshaller);
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
    }

    protected static async Task<MessageServer> StartTcpAsync(MessageConnectionHandler handler)
    {
        var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), s_codec, handler);
        await server.StartAsync().WithTimeout();
        return server;
    }

    protected static async Task<MessageServer> StartUdpAsync(MessageConnectionHandler handler)
    {
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), handler);
        await server.StartAsync().WithTimeout();
        return server;
    }

    protected static async Task<MessageConnection> ConnectTcpAsync(MessageServer server) =>
        MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint).WithTimeout(), s_codec);

    protected static async Task<MessageConnection> ConnectUdpAsync(MessageServer server) =>
        MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint).WithTimeout());

    protected async Task<MessageChannel<T>> ChannelAsync<T>(Task<MessageConnection> connecting) => new(await connecting, CreateMarshaller());

    [Fact]
    public async Task Tcp_EchoOfHundredPeople_ComesBackInOrder()
    {
        await using var server = await StartTcpAsync(Echo(Malformed));
        await using var client = await ChannelAsync<Person>(ConnectTcpAsync(server));
        var people = People(100).ToList();

        // All sends first, then all receives: the stream carries them in order.
        foreach (var person in people)
        {
            await client.SendAsync(person).WithTimeout();
        }

        foreach (var person in people)
        {
            (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
        }
    }

    [Fact]
    public async Task Tcp_EchoOfRecordWithList_IsEquivalent()
    {
        await using var server = await StartTcpAsync(Echo(new ContractGroup(string.Empty, [], -1)));
        await using var client = await ChannelAsync<ContractGroup>(ConnectTcpAsync(server));
        var group = new ContractGroup("Everyone", People(500).ToList(), 7);

        await client.SendAsync(group).WithTimeout();
        var echoed = await client.ReceiveAsync().WithTimeout();

        echoed.Title.Should().Be(group.Title);
        echoed.People.Should().Equal(group.People);
        echoed.Revision.Should().Be(7);
    }

    [Fact]
    public async Task Tcp_ReceiveAll_EndsWhenThePeerCloses()
    {
        var marshaller = CreateMarshaller();
        await using var server = await StartTcpAsync(async (connection, stopping) =>
        {
            await using var channel = new MessageChannel<Person>(connection, marshaller);
            foreach (var person in People(3))
            {
                await channel.SendAsync(person, stopping);
            }
        });
        await using var client = await ChannelAsync<Person>(ConnectTcpAsync(server));

        var received = await CollectAsync(client).WithTimeout();

        received.Should().Equal(People(3));
        await FluentActions.Awaiting(() => client.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<EndOfStreamException>();
    }

    [Fact]
    public async Task Tcp_ServerReceiveAll_EndsWhenTheClientCloses()
    {
        var marshaller = CreateMarshaller();
        var serverReceived = new TaskCompletionSource<List<Person>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartTcpAsync(async (connection, stopping) =>
        {
            var channel = new MessageChannel<Person>(connection, marshaller);
            var values = new List<Person>();
            await foreach (var person in channel.ReceiveAllAsync(stopping))
            {
                values.Add(person);
            }

            serverReceived.SetResult(values);
        });

        var client = await ChannelAsync<Person>(ConnectTcpAsync(server));
        foreach (var person in People(5))
        {
            await client.SendAsync(person).WithTimeout();
        }

        await client.DisposeAsync().WithTimeout();

        (await serverReceived.Task.WithTimeout()).Should().Equal(People(5));
    }

    [Fact]
    public async Task Tcp_ConcurrentSenders_EveryValueArrivesWhole()
    {
        await using var server = await StartTcpAsync(Echo(Malformed));
        await using var client = await ChannelAsync<Person>(ConnectTcpAsync(server));
        var people = People(100).ToList();

        var receiving = Task.Run(async () =>
        {
            var received = new List<Person>();
            for (var i = 0; i < people.Count; i++)
            {
                received.Add(await client.ReceiveAsync());
            }

            return received;
        });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            for (var i = t; i < people.Count; i += 4)
            {
                await client.SendAsync(people[i]);
            }
        }))).WithTimeout();

        (await receiving.WithTimeout()).OrderBy(p => p.Year).Should().Equal(people);
    }

    [Fact]
    public async Task Tcp_MalformedMessage_RaisesMarshallingExceptionAndTheNextMessageArrives()
    {
        await using var server = await StartTcpAsync(Echo(Malformed));
        await using var client = await ChannelAsync<Person>(ConnectTcpAsync(server));
        var person = new Person("Smith", "London", 1934);
        var malformed = MalformedPersonMessages().ToList();
        malformed.Should().NotBeEmpty();

        // Each through the raw connection, then a valid value through the channel.
        foreach (var message in malformed)
        {
            await client.Connection.SendAsync(message.AsMemory()).WithTimeout();
        }

        await client.SendAsync(person).WithTimeout();

        foreach (var message in malformed)
        {
            (await client.ReceiveAsync().WithTimeout()).Should().Be(Malformed, "{0} does not unmarshal", Convert.ToHexString(message));
        }

        (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
    }

    [Fact]
    public async Task Tcp_ClientReceivesMalformedMessage_ThatMessageThrowsAndTheNextIsRead()
    {
        var marshaller = CreateMarshaller();
        var person = new Person("Smith", "London", 1934);
        await using var server = await StartTcpAsync(async (connection, stopping) =>
        {
            await connection.SendAsync(new byte[] { 1, 2, 3 }.AsMemory(), stopping);
            await new MessageChannel<Person>(connection, marshaller).SendAsync(person, stopping);
        });
        await using var client = await ChannelAsync<Person>(ConnectTcpAsync(server));

        await FluentActions.Awaiting(() => client.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<MarshallingException>();
        (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
    }

    [Fact]
    public async Task Tcp_UnrepresentableValue_ThrowsAndNothingIsSent()
    {
        await using var server = await StartTcpAsync(Echo(Malformed));
        await using var client = await ChannelAsync<Person>(ConnectTcpAsync(server));
        var person = new Person("Smith", "London", 1934);
        var unrepresentable = UnrepresentablePeople().ToList();
        unrepresentable.Should().NotBeEmpty();

        foreach (var refused in unrepresentable)
        {
            (await FluentActions.Awaiting(() => client.SendAsync(refused).AsTask().WithTimeout()).Should().ThrowAsync<MarshallingException>())
                .Which.Error.Should().Be(MarshallingError.UnrepresentableValue);
        }

        await client.SendAsync(person).WithTimeout();

        (await client.ReceiveAsync().WithTimeout()).Should().Be(person, "nothing of the refused values reached the peer");
    }

    [Fact]
    public async Task Constructor_NullArgument_ThrowsArgumentNullException()
    {
        await using var server = await StartTcpAsync(Echo(Malformed));
        await using var connection = await ConnectTcpAsync(server);

        FluentActions.Invoking(() => new MessageChannel<Person>(connection, null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new MessageChannel<Person>(null!, CreateMarshaller())).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task Udp_EchoOfHundredPeople_ComesBack()
    {
        await using var server = await StartUdpAsync(Echo(Malformed));
        await using var client = await ChannelAsync<Person>(ConnectUdpAsync(server));

        // One at a time: a datagram lost to a full buffer would otherwise make the test flaky.
        foreach (var person in People(100))
        {
            await client.SendAsync(person).WithTimeout();
            (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
        }
    }

    [Fact]
    public async Task Udp_EchoOfRecordWithList_IsEquivalent()
    {
        await using var server = await StartUdpAsync(Echo(new ContractGroup(string.Empty, [], -1)));
        await using var client = await ChannelAsync<ContractGroup>(ConnectUdpAsync(server));
        var group = new ContractGroup("Everyone", People(20).ToList(), 3);

        await client.SendAsync(group).WithTimeout();
        var echoed = await client.ReceiveAsync().WithTimeout();

        echoed.Title.Should().Be(group.Title);
        echoed.People.Should().Equal(group.People);
        echoed.Revision.Should().Be(3);
    }

    [Fact]
    public async Task Udp_MalformedDatagram_RaisesMarshallingExceptionAndTheNextArrives()
    {
        await using var server = await StartUdpAsync(Echo(Malformed));
        await using var client = await ChannelAsync<Person>(ConnectUdpAsync(server));
        var person = new Person("Smith", "London", 1934);

        await client.Connection.SendAsync(new byte[] { 0, 0, 0, 9, 0x41 }.AsMemory()).WithTimeout();
        (await client.ReceiveAsync().WithTimeout()).Should().Be(Malformed);

        await client.SendAsync(person).WithTimeout();
        (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
    }

    private static async Task<List<Person>> CollectAsync(MessageChannel<Person> channel)
    {
        var values = new List<Person>();
        await foreach (var value in channel.ReceiveAllAsync())
        {
            values.Add(value);
        }

        return values;
    }
}
