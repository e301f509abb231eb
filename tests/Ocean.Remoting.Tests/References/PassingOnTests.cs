using System.Buffers;
using Ocean.Marshalling;
using Ocean.Remoting.Internal;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

/// <summary>
/// What cannot be passed by reference, and the errors that say so: a client's callback passed on to a third party, a
/// proxy from GetProxy(name), a [Remote] value marshalled outside a remote call.
/// </summary>
public sealed class PassingOnTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    /// <summary>One server and two clients (TCP, or two in-memory connections).</summary>
    private static async Task<(Rig Rig, RemotingServer Server, Broker Broker, RemotingClient A, RemotingClient B)> StartAsync(Link link, string marshaller)
    {
        var rig = new Rig();
        var broker = new Broker();
        RemotingServer server;
        RemotingClient a, b;
        if (link == Link.Tcp)
        {
            server = await rig.ServerAsync(s => s.Export<IBroker>(broker, "broker"), RefKit.ServerOptions(marshaller));
            a = await rig.ClientAsync(server, marshaller);
            b = await rig.ClientAsync(server, marshaller);
        }
        else
        {
            server = rig.Add(new RemotingServer(RefKit.ServerOptions(marshaller)));
            server.Export<IBroker>(broker, "broker");
            a = await rig.InMemoryClientAsync(server, marshaller);
            b = await rig.InMemoryClientAsync(server, marshaller);
        }

        return (rig, server, broker, a, b);
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task A_clients_callback_returned_to_another_client_is_refused_as_a_third_party_reference(Link link, string marshaller)
    {
        var (rig, _, _, a, b) = await StartAsync(link, marshaller);
        await using var _ = rig;
        var listenerB = new Listener("b");
        await b.GetProxy<IBroker>("broker").RegisterAsync("b", listenerB).WaitAsync(Timeout);

        var refused = (await a.Awaiting(c => c.GetProxy<IBroker>("broker").TakeAsync("b").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        // The method ran; its result could not be written to A's connection.
        refused.Status.Should().Be(RemotingStatus.Internal);
        refused.Completion.Should().Be(CompletionStatus.Yes);
        refused.Message.Should().Contain("third party").And.Contain("bound to that connection");
        listenerB.Heard.Should().Be(0);

        // Back to B itself it is B's own object; and the server still calls it.
        (await b.GetProxy<IBroker>("broker").TakeAsync("b").WaitAsync(Timeout)).Should().BeSameAs(listenerB);
        (await a.GetProxy<IBroker>("broker").CallAsync("b", "still").WaitAsync(Timeout)).Should().Be("b:still");
        listenerB.Heard.Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task A_clients_callback_passed_by_the_server_as_an_argument_to_another_client_is_refused_before_it_is_sent(Link link, string marshaller)
    {
        var (rig, _, _, a, b) = await StartAsync(link, marshaller);
        await using var _ = rig;
        var listenerB = new Listener("b");
        await b.GetProxy<IBroker>("broker").RegisterAsync("b", listenerB).WaitAsync(Timeout);
        var mailboxA = new Mailbox();
        var mailboxB = new Mailbox();

        // The server's call to A's mailbox fails on the server (not sent); the server method throws that to A.
        var refused = (await a.Awaiting(c => c.GetProxy<IBroker>("broker").IntroduceAsync("b", mailboxA).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        refused.Status.Should().Be(RemotingStatus.ApplicationException);
        refused.RemoteTypeName.Should().Be(typeof(RemotingException).FullName);
        refused.RemoteMessage.Should().Contain("third party");
        mailboxA.Received.Should().Be(0);

        // To B's own mailbox it goes, and arrives as B's listener itself.
        (await b.GetProxy<IBroker>("broker").IntroduceAsync("b", mailboxB).WaitAsync(Timeout)).Should().Be("mailbox:b:intro");
        mailboxB.Received.Should().Be(1);
        listenerB.Heard.Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task A_proxy_from_GetProxy_by_name_is_refused_as_a_reference_before_it_is_sent(Link link, string marshaller)
    {
        await using var loop = await RefKit.LoopAsync(
            s =>
            {
                s.Export<IBroker>(new Broker(), "broker");
                s.Export<ICounter>(new Counter(0), "counter");
            },
            link,
            marshaller);
        var broker = loop.Proxy<IBroker>("broker");
        var byName = loop.Proxy<ICounter>("counter");
        (await byName.IncrementAsync().WaitAsync(Timeout)).Should().Be(1, "the proxy itself works");

        var refused = (await broker.Awaiting(b => b.ReadAsync(byName).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        refused.Status.Should().Be(RemotingStatus.BadArguments);
        refused.Completion.Should().Be(CompletionStatus.No);
        refused.Message.Should().Contain("GetProxy(name)").And.Contain("RemoteReference");
        (await byName.IncrementAsync().WaitAsync(Timeout)).Should().Be(2, "the refused call did not run");
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_proxy_from_the_reference_of_a_named_export_can_be_passed_where_a_proxy_by_name_cannot(string marshaller)
    {
        await using var rig = new Rig();
        var broker = new Broker();
        var server = await rig.ServerAsync(
            s =>
            {
                s.Export<IBroker>(broker, "broker");
                s.Export<ICounter>(new Counter(0), "counter");
            },
            RefKit.ServerOptions(marshaller));
        var client = await rig.ClientAsync(server, marshaller);

        var byReference = client.GetProxy<ICounter>(server.GetReference("counter"));

        (await client.GetProxy<IBroker>("broker").ReadAsync(byReference).WaitAsync(Timeout)).Should().Be(1);
        (await byReference.IncrementAsync().WaitAsync(Timeout)).Should().Be(2);
        broker.Reads.Should().Be(1);
    }

    [Fact]
    public void Plain_marshallers_refuse_a_remote_interface()
    {
        var card = new CounterCard { Label = "x", Counter = new Counter(1) };

        CdrMarshaller.Default.CanMarshal(typeof(ICounter), out var reason).Should().BeFalse();
        reason.Should().NotBeNullOrEmpty();
        CdrMarshaller.Default.CanMarshal(typeof(CounterCard), out _).Should().BeFalse("its ICounter field has no CDR mapping");
        CdrMarshaller.Default.Invoking(m => m.Marshal(card, new ArrayBufferWriter<byte>()))
            .Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnsupportedType);

        // The graph marshaller carries interfaces as objects of registered classes: the counter's class is not one.
        var graph = new GraphMarshaller(new GraphTypeRegistry().Register<CounterCard>("reftests.CounterCard"));
        graph.Invoking(m => m.Marshal(card, new ArrayBufferWriter<byte>()))
            .Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnregisteredType);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public void Remotings_marshaller_refuses_a_remote_value_outside_a_remote_call(string marshaller)
    {
        var installed = ReferenceSurrogates.Install(RefKit.Marshaller(marshaller) ?? CdrMarshaller.Default);
        installed.SurrogateProvider.Should().BeOfType<ReferenceSurrogates>();
        installed.CanMarshal(typeof(CounterCard), out _).Should().BeTrue("with references installed the field travels as a reference");

        var error = installed.Invoking(m => m.Marshal(new CounterCard { Counter = new Counter(1) }, new ArrayBufferWriter<byte>()))
            .Should().Throw<MarshallingException>().Which;

        error.Error.Should().Be(MarshallingError.SurrogateFailed);
        error.InnerException.Should().BeOfType<InvalidOperationException>()
            .Which.Message.Should().Contain("ICounter is a [Remote] interface").And.Contain("only a remote call's arguments and results");

        // A null reference and a RemoteReference value need no call: they are plain text.
        var output = new ArrayBufferWriter<byte>();
        installed.Marshal(new CounterCard { Label = "empty" }, output);
        installed.Unmarshal<CounterCard>(new ReadOnlySequence<byte>(output.WrittenMemory)).Label.Should().Be("empty");
        var reference = new RemoteReference("127.0.0.1", 7000, ServerIncarnation.New(), 3, "Demo.ICounter");
        output.Clear();
        installed.Marshal(reference, output);
        installed.Unmarshal<RemoteReference>(new ReadOnlySequence<byte>(output.WrittenMemory)).Should().Be(reference);
    }
}
