using System.Net;
using System.Net.Sockets;

namespace Ocean.Remoting.Tests.References;

/// <summary>A server on a Unix domain socket has no IP endpoint: it hands out references bound to the connection.</summary>
public sealed class UnixSocketReferenceTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    private static string NewPath() => Path.Combine(Path.GetTempPath(), $"ocean-ref-{Guid.NewGuid():N}.sock");

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_unix_socket_server_hands_out_connection_bound_references_that_work_over_that_connection(string marshaller)
    {
        var path = NewPath();
        try
        {
            await using var rig = new Rig();
            var server = rig.Add(new RemotingServer(new UnixDomainSocketEndPoint(path), RefKit.ServerOptions(marshaller)));
            server.Export<IHub>(new Hub(), "hub");
            server.Export<IValueHub>(new ValueHub(), "values");
            await server.StartAsync().WaitAsync(Timeout);
            var client = rig.Add(await RemotingClient.ConnectAsync(new UnixDomainSocketEndPoint(path), RefKit.ClientOptions(marshaller)).WaitAsync(Timeout));
            var hub = client.GetProxy<IHub>("hub");

            var counter = await hub.NewCounterAsync(1).WaitAsync(Timeout);

            counter.ToString().Should().Contain("'~" + server.Incarnation + "/");
            (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(2);
            (await hub.ReadAsync(counter).WaitAsync(Timeout)).Should().Be(3, "passed back over its connection it is the server's own object");
            var card = await client.GetProxy<IValueHub>("values").DealAsync("uds", 10, null).WaitAsync(Timeout);
            (await card.Counter!.IncrementAsync().WaitAsync(Timeout)).Should().Be(11);
            (await hub.ForwardAsync(new Listener("u"), "x").WaitAsync(Timeout)).Should().Be("hub:u:x", "callbacks work the other way");
            server.ActiveConnections.Should().Be(1, "every call went over the one connection");

            server.Invoking(s => s.GetReference("hub")).Should().Throw<InvalidOperationException>().WithMessage("*AdvertisedEndPoint*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_bound_reference_from_a_unix_socket_server_cannot_be_passed_to_another_client()
    {
        var path = NewPath();
        try
        {
            await using var rig = new Rig();
            var server = rig.Add(new RemotingServer(new UnixDomainSocketEndPoint(path)));
            server.Export<IHub>(new Hub(), "hub");
            await server.StartAsync().WaitAsync(Timeout);
            var first = rig.Add(await RemotingClient.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(Timeout));
            var second = rig.Add(await RemotingClient.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(Timeout));
            var counter = await first.GetProxy<IHub>("hub").NewCounterAsync(0).WaitAsync(Timeout);

            // The server's object, reached through the first client's connection: the second client cannot be given it.
            var refused = (await second.Awaiting(c => c.GetProxy<IHub>("hub").ReadAsync(counter).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;

            refused.Status.Should().Be(RemotingStatus.BadArguments);
            refused.Completion.Should().Be(CompletionStatus.No);
            refused.Message.Should().Contain("third party");
            (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(1, "the refused call did not run");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task With_an_advertised_endpoint_a_unix_socket_server_gives_references_naming_it()
    {
        var path = NewPath();
        try
        {
            var advertised = new DnsEndPoint("objects.example.org", 7000);
            await using var server = new RemotingServer(new UnixDomainSocketEndPoint(path), new RemotingServerOptions { AdvertisedEndPoint = advertised });
            server.Export<IHub>(new Hub(), "hub");
            await server.StartAsync().WaitAsync(Timeout);

            var reference = server.GetReference("hub");

            reference.Host.Should().Be("objects.example.org");
            reference.Port.Should().Be(7000);
            reference.Incarnation.Should().Be(server.Incarnation);
            reference.InterfaceName.Should().Be(typeof(IHub).FullName);
            reference.ToString().Should().StartWith($"ocean://objects.example.org:7000/{server.Incarnation}/");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_server_serving_only_message_connections_has_no_reference_to_give_unless_advertised()
    {
        await using var plain = new RemotingServer();
        plain.Export<IHub>(new Hub(), "hub");
        plain.Invoking(s => s.GetReference("hub")).Should().Throw<InvalidOperationException>().WithMessage("*AdvertisedEndPoint*");
        plain.Invoking(s => s.GetReference("nothing")).Should().Throw<KeyNotFoundException>();

        await using var advertised = new RemotingServer(new RemotingServerOptions { AdvertisedEndPoint = new IPEndPoint(IPAddress.Loopback, 7001) });
        advertised.Export<IHub>(new Hub(), "hub");
        advertised.GetReference("hub").EndPoint.Should().Be(new IPEndPoint(IPAddress.Loopback, 7001));
    }
}
