using System.Reflection;
using System.Text.RegularExpressions;
using Ocean.Remoting.Internal;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

/// <summary>One object passed many times is one export; a client's exports go with their connection.</summary>
public sealed partial class ExportIdentityTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    [GeneratedRegex("'(~[0-9a-f]{32}\\.[0-9]+/[0-9]+)'")]
    private static partial Regex ObjectKey();

    private static string KeyOf(string description)
    {
        var match = ObjectKey().Match(description);
        match.Success.Should().BeTrue("'{0}' names the object's key", description);
        return match.Groups[1].Value;
    }

    /// <summary>How many objects <paramref name="client"/> exports now (its object space is private: read by reflection).</summary>
    private static int ExportedBy(RemotingClient client) =>
        ((ObjectSpace)typeof(RemotingClient).GetField("_space", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(client)!).ExportedCount;

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task The_same_object_passed_twice_is_one_export_and_calls_land_on_it(Link link, string marshaller)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IBroker>(new Broker(), "broker"), link, marshaller);
        var broker = loop.Proxy<IBroker>("broker");
        var listener = new Listener("dee");
        var other = new Listener("eve");

        var twiceInOneCall = await broker.DescribeAsync(listener, listener).WaitAsync(Timeout);
        var inAnotherCall = await broker.DescribeAsync(listener, other).WaitAsync(Timeout);

        KeyOf(twiceInOneCall[0]).Should().Be(KeyOf(twiceInOneCall[1]));
        KeyOf(inAnotherCall[0]).Should().Be(KeyOf(twiceInOneCall[0]), "the same object keeps its number across calls");
        KeyOf(inAnotherCall[1]).Should().NotBe(KeyOf(inAnotherCall[0]));

        // Registered twice, under two names: the server's two proxies call the one object.
        await broker.RegisterAsync("first", listener).WaitAsync(Timeout);
        await broker.RegisterAsync("second", listener).WaitAsync(Timeout);
        (await broker.CallAsync("first", "1").WaitAsync(Timeout)).Should().Be("dee:1");
        (await broker.CallAsync("second", "2").WaitAsync(Timeout)).Should().Be("dee:2");
        listener.Heard.Should().Be(2);
        other.Heard.Should().Be(0);
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task A_server_object_returned_twice_has_one_reference_and_comes_home_as_itself(Link link, string marshaller)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IBroker>(new Broker(), "broker"), link, marshaller);
        var broker = loop.Proxy<IBroker>("broker");

        var first = await broker.SharedCounterAsync().WaitAsync(Timeout);
        var second = await broker.SharedCounterAsync().WaitAsync(Timeout);

        KeyOf(first.ToString()!).Should().Be(KeyOf(second.ToString()!));
        (await first.IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
        (await second.IncrementAsync().WaitAsync(Timeout)).Should().Be(2);
        (await broker.IsSharedAsync(first).WaitAsync(Timeout)).Should().BeTrue();
        (await broker.IsSharedAsync(second).WaitAsync(Timeout)).Should().BeTrue();
        (await broker.IsSharedAsync(new Counter(0)).WaitAsync(Timeout)).Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task An_object_exported_by_name_and_returned_by_reference_is_one_object_reached_both_ways(string marshaller)
    {
        await using var rig = new Rig();
        var shared = new Counter(0);
        var server = await rig.ServerAsync(
            s =>
            {
                s.Export<ICounter>(shared, "counter");
                s.Export<IBroker>(new Broker(shared), "broker");
            },
            RefKit.ServerOptions(marshaller));
        var client = await rig.ClientAsync(server, marshaller);
        var broker = client.GetProxy<IBroker>("broker");

        var byReference = client.GetProxy<ICounter>(server.GetReference("counter"));
        var returned = await broker.SharedCounterAsync().WaitAsync(Timeout);

        (await byReference.IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
        (await returned.IncrementAsync().WaitAsync(Timeout)).Should().Be(2);
        (await broker.IsSharedAsync(byReference).WaitAsync(Timeout)).Should().BeTrue();
        (await broker.IsSharedAsync(returned).WaitAsync(Timeout)).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task An_object_exported_by_name_and_returned_by_reference_has_one_reference(string marshaller)
    {
        await using var rig = new Rig();
        var shared = new Counter(0);
        var server = await rig.ServerAsync(
            s =>
            {
                s.Export<ICounter>(shared, "counter");
                s.Export<IBroker>(new Broker(shared), "broker");
            },
            RefKit.ServerOptions(marshaller));
        var client = await rig.ClientAsync(server, marshaller);

        var byReference = client.GetProxy<ICounter>(server.GetReference("counter"));
        var returned = await client.GetProxy<IBroker>("broker").SharedCounterAsync().WaitAsync(Timeout);

        KeyOf(returned.ToString()!).Should().Be(KeyOf(byReference.ToString()!), "one object, one export: the reference handed out by name and the one written into a result are the same");
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task A_callback_whose_connection_closed_can_no_longer_be_called(Link link, string marshaller)
    {
        await using var rig = new Rig();
        var broker = new Broker();
        RemotingServer server;
        RemotingClient leaving, staying;
        if (link == Link.Tcp)
        {
            server = await rig.ServerAsync(s => s.Export<IBroker>(broker, "broker"), RefKit.ServerOptions(marshaller));
            leaving = await RefKit.ConnectAsync(server, marshaller);
            staying = await rig.ClientAsync(server, marshaller);
        }
        else
        {
            server = rig.Add(new RemotingServer(RefKit.ServerOptions(marshaller)));
            server.Export<IBroker>(broker, "broker");
            (leaving, _) = await RefKit.ConnectInMemoryAsync(server, marshaller);
            staying = await rig.InMemoryClientAsync(server, marshaller);
        }

        var listener = new Listener("gone");
        await leaving.GetProxy<IBroker>("broker").RegisterAsync("gone", listener).WaitAsync(Timeout);
        (await staying.GetProxy<IBroker>("broker").CallAsync("gone", "before").WaitAsync(Timeout)).Should().Be("gone:before");

        var exported = ExportedBy(leaving);
        await leaving.DisposeAsync().AsTask().WaitAsync(Timeout);
        exported.Should().BeGreaterThan(1, "the callback and the built-in lease service");
        ExportedBy(leaving).Should().Be(0, "a disposed client exports nothing: the object bound to the connection that closed went with it");
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1, Timeout, "the server sees the connection close");

        var answer = await staying.GetProxy<IBroker>("broker").CallAsync("gone", "after").WaitAsync(Timeout);

        answer.Should().StartWith($"{RemotingStatus.Unavailable}/{CompletionStatus.No}: ").And.Contain("closed");
        listener.Heard.Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(RefKit.LinksAndMarshallers), MemberType = typeof(RefKit))]
    public async Task The_same_object_passed_in_many_calls_at_once_is_exported_once(Link link, string marshaller)
    {
        await using var loop = await RefKit.LoopAsync(s => s.Export<IBroker>(new Broker(), "broker"), link, marshaller);
        var broker = loop.Proxy<IBroker>("broker");
        var listener = new Listener("many");
        var before = ExportedBy(loop.Client);

        var described = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => broker.DescribeAsync(listener, listener))).WaitAsync(Timeout);

        described.SelectMany(d => d).Select(KeyOf).Distinct().Should().ContainSingle();
        ExportedBy(loop.Client).Should().Be(before + 1);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task An_object_bound_to_one_clients_connection_cannot_be_reached_by_another_client_naming_its_key(string marshaller)
    {
        await using var rig = new Rig();
        var server = rig.Add(new RemotingServer(RefKit.ServerOptions(marshaller)));
        server.Export<IHub>(new Hub(), "hub");
        var a = await rig.InMemoryClientAsync(server, marshaller);
        var b = await rig.InMemoryClientAsync(server, marshaller);
        var counter = await a.GetProxy<IHub>("hub").NewCounterAsync(0).WaitAsync(Timeout);
        var key = KeyOf(counter.ToString()!);

        // GetProxy(name) sends any key it is given: B names A's object.
        var refused = (await b.Awaiting(c => c.GetProxy<ICounter>(key).IncrementAsync().WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

        refused.Status.Should().Be(RemotingStatus.UnknownObject);
        refused.Completion.Should().Be(CompletionStatus.No);
        refused.Message.Should().Contain("bound to another connection");
        (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(1, "B's call did not run");
    }

    [Fact]
    public async Task An_object_a_tcp_server_passed_by_reference_is_reached_by_anyone_naming_its_key()
    {
        // An endpoint reference is a capability: anyone with its text can use it (its number is 64 random bits, so it
        // cannot be guessed by counting); nothing binds it to the client it was handed to.
        await using var rig = new Rig();
        var server = await rig.ServerAsync(s => s.Export<IHub>(new Hub(), "hub"));
        var a = await rig.ClientAsync(server, RefKit.Cdr);
        var b = await rig.ClientAsync(server, RefKit.Cdr);
        var counter = await a.GetProxy<IHub>("hub").NewCounterAsync(0).WaitAsync(Timeout);

        (await b.GetProxy<ICounter>(KeyOf(counter.ToString()!)).IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
        RemotingClient.GetReference(counter)!.ObjectNumber.Should().BeGreaterThan(uint.MaxValue, "an implicit export's number is random, not the next after the named ones");
        var guessed = $"~{server.Incarnation}/{server.GetReference("hub").ObjectNumber + 1}";
        (await b.Awaiting(c => c.GetProxy<ICounter>(guessed).IncrementAsync().WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>())
            .Which.Status.Should().Be(RemotingStatus.UnknownObject, "counting on from a named export's number finds nothing");
    }
}
