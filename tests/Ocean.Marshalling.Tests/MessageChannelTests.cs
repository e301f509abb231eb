using System.Net;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Marshalling.Tests;

/// <summary>Typed channels over real loopback TCP and UDP: values go out as messages and come back whole.</summary>
public sealed class MessageChannelTests
{
    private static readonly LengthPrefixedCodec s_codec = new();
    private static readonly Person s_malformed = new("<malformed>", nameof(MarshallingException), -1);

    private static IEnumerable<Person> People(int count) =>
        Enumerable.Range(0, count).Select(i => new Person($"Person {i} \u00E9", new string('x', i), 1900 + i));

    /// <summary>Echoes each value back with a typed channel; a message that does not unmarshal is answered with <see cref="s_malformed"/>.</summary>
    private static MessageConnectionHandler TypedEcho<T>(T malformedReply) => async (connection, stopping) =>
    {
        var channel = new MessageChannel<T>(connection, CdrMarshaller.Default);
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

    private static async Task<MessageConnection> ConnectTcpAsync(MessageServer server) =>
        MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint).WithTimeout(), s_codec);

    private static async Task<MessageConnection> ConnectUdpAsync(MessageServer server) =>
        MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint).WithTimeout());

    [Fact]
    public async Task Tcp_EchoOfHundredPeople_ComesBackInOrder()
    {
        await using var server = await StartTcpAsync(TypedEcho(s_malformed));
        await using var client = new MessageChannel<Person>(await ConnectTcpAsync(server), CdrMarshaller.Default);
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
        await using var server = await StartTcpAsync(TypedEcho(new Team(string.Empty, [])));
        await using var client = new MessageChannel<Team>(await ConnectTcpAsync(server), CdrMarshaller.Default);
        var team = new Team("Everyone", People(500).ToList());

        await client.SendAsync(team).WithTimeout();
        var echoed = await client.ReceiveAsync().WithTimeout();

        echoed.Name.Should().Be(team.Name);
        echoed.Members.Should().Equal(team.Members);
    }

    [Fact]
    public async Task Tcp_ReceiveAll_EndsWhenThePeerCloses()
    {
        await using var server = await StartTcpAsync(async (connection, stopping) =>
        {
            await using var channel = new MessageChannel<Person>(connection, CdrMarshaller.Default);
            foreach (var person in People(3))
            {
                await channel.SendAsync(person, stopping);
            }
        });
        await using var client = new MessageChannel<Person>(await ConnectTcpAsync(server), CdrMarshaller.Default);

        var received = await CollectAsync(client).WithTimeout();

        received.Should().Equal(People(3));
        await FluentActions.Awaiting(() => client.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<EndOfStreamException>();
    }

    [Fact]
    public async Task Tcp_ServerReceiveAll_EndsWhenTheClientCloses()
    {
        var serverReceived = new TaskCompletionSource<List<Person>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartTcpAsync(async (connection, stopping) =>
        {
            var channel = new MessageChannel<Person>(connection, CdrMarshaller.Default);
            var values = new List<Person>();
            await foreach (var person in channel.ReceiveAllAsync(stopping))
            {
                values.Add(person);
            }

            serverReceived.SetResult(values);
        });

        var client = new MessageChannel<Person>(await ConnectTcpAsync(server), CdrMarshaller.Default);
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
        await using var server = await StartTcpAsync(TypedEcho(s_malformed));
        await using var client = new MessageChannel<Person>(await ConnectTcpAsync(server), CdrMarshaller.Default);
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
        await using var server = await StartTcpAsync(TypedEcho(s_malformed));
        await using var client = new MessageChannel<Person>(await ConnectTcpAsync(server), CdrMarshaller.Default);
        var person = new Person("Smith", "London", 1934);

        // garbage, an empty message and a valid Person with a byte left over, each through the raw connection
        await client.Connection.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }.AsMemory()).WithTimeout();
        await client.Connection.SendAsync(ReadOnlyMemory<byte>.Empty).WithTimeout();
        await client.Connection.SendAsync(CdrTest.Bytes("00000006536d697468000000000000074c6f6e646f6e00000000078e 00").AsMemory()).WithTimeout();
        await client.SendAsync(person).WithTimeout();

        (await client.ReceiveAsync().WithTimeout()).Should().Be(s_malformed);
        (await client.ReceiveAsync().WithTimeout()).Should().Be(s_malformed);
        (await client.ReceiveAsync().WithTimeout()).Should().Be(s_malformed);
        (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
    }

    [Fact]
    public async Task Tcp_ClientReceivesMalformedMessage_ThatMessageThrowsAndTheNextIsRead()
    {
        var person = new Person("Smith", "London", 1934);
        await using var server = await StartTcpAsync(async (connection, stopping) =>
        {
            await connection.SendAsync(new byte[] { 1, 2, 3 }.AsMemory(), stopping);
            await new MessageChannel<Person>(connection, CdrMarshaller.Default).SendAsync(person, stopping);
        });
        await using var client = new MessageChannel<Person>(await ConnectTcpAsync(server), CdrMarshaller.Default);

        await FluentActions.Awaiting(() => client.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<MarshallingException>();
        (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
    }

    [Fact]
    public async Task Tcp_UnrepresentableValue_ThrowsAndNothingIsSent()
    {
        await using var server = await StartTcpAsync(TypedEcho(s_malformed));
        await using var client = new MessageChannel<Person>(await ConnectTcpAsync(server), CdrMarshaller.Default);
        var person = new Person("Smith", "London", 1934);

        await FluentActions.Awaiting(() => client.SendAsync(new Person(null!, "London", 1)).AsTask().WithTimeout()).Should().ThrowAsync<MarshallingException>();
        await FluentActions.Awaiting(() => client.SendAsync(new Person("\u20AC", "London", 1)).AsTask().WithTimeout()).Should().ThrowAsync<MarshallingException>();
        await client.SendAsync(person).WithTimeout();

        (await client.ReceiveAsync().WithTimeout()).Should().Be(person);
    }

    [Fact]
    public async Task Constructor_UnsupportedType_ThrowsMarshallingExceptionAtOnce()
    {
        await using var server = await StartTcpAsync(TypedEcho(s_malformed));
        await using var connection = await ConnectTcpAsync(server);

        FluentActions.Invoking(() => new MessageChannel<decimal>(connection, CdrMarshaller.Default)).Should().Throw<MarshallingException>().WithMessage("*cdr*");
        FluentActions.Invoking(() => new MessageChannel<WithDecimal>(connection, CdrMarshaller.Default)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => new MessageChannel<PartlyOrdered>(connection, CdrMarshaller.Default)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => new MessageChannel<Person>(connection, null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new MessageChannel<Person>(null!, CdrMarshaller.Default)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task Udp_EchoOfHundredPeople_ComesBack()
    {
        await using var server = await StartUdpAsync(TypedEcho(s_malformed));
        await using var client = new MessageChannel<Person>(await ConnectUdpAsync(server), CdrMarshaller.Default);

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
        await using var server = await StartUdpAsync(TypedEcho(new Team(string.Empty, [])));
        await using var client = new MessageChannel<Team>(await ConnectUdpAsync(server), CdrMarshaller.Default);
        var team = new Team("Everyone", People(20).ToList());

        await client.SendAsync(team).WithTimeout();
        var echoed = await client.ReceiveAsync().WithTimeout();

        echoed.Name.Should().Be(team.Name);
        echoed.Members.Should().Equal(team.Members);
    }

    [Fact]
    public async Task Udp_MalformedDatagram_RaisesMarshallingExceptionAndTheNextArrives()
    {
        await using var server = await StartUdpAsync(TypedEcho(s_malformed));
        await using var client = new MessageChannel<Person>(await ConnectUdpAsync(server), CdrMarshaller.Default);
        var person = new Person("Smith", "London", 1934);

        await client.Connection.SendAsync(new byte[] { 0, 0, 0, 9, 0x41 }.AsMemory()).WithTimeout();
        (await client.ReceiveAsync().WithTimeout()).Should().Be(s_malformed);

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
