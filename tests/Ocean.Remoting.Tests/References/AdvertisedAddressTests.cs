using System.Net;
using System.Net.Sockets;

namespace Ocean.Remoting.Tests.References;

/// <summary>Which endpoint a TCP server writes into its references: the address a client reached, the listening one, IPv6 in brackets.</summary>
public sealed class AdvertisedAddressTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    [Fact]
    public async Task A_server_on_every_address_writes_the_address_the_client_reached_into_references()
    {
        await using var rig = new Rig();
        var server = rig.Add(new RemotingServer(new IPEndPoint(IPAddress.Any, 0)));
        server.Export<IHub>(new Hub(), "hub");
        await server.StartAsync().WaitAsync(Timeout);
        var port = ((IPEndPoint)server.EndPoint).Port;
        var client = rig.Add(await RemotingClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(Timeout));

        var counter = await client.GetProxy<IHub>("hub").NewCounterAsync(0).WaitAsync(Timeout);

        counter.ToString().Should().EndWith($"at 127.0.0.1:{port}", "the reference named 127.0.0.1, the address this client reached");
        (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
        server.ActiveConnections.Should().Be(1, "the reference named the address this client reached, so its own connection carried the call");

        var printed = server.GetReference("hub");
        printed.Host.Should().Be(Dns.GetHostName(), "with no connection to go by, a wildcard listener is named by the host name");
        printed.Port.Should().Be(port);
    }

    [Fact]
    public async Task An_IPv6_loopback_reference_prints_in_brackets_and_is_called()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return; // nothing to test on a host without IPv6
        }

        await using var rig = new Rig();
        RemotingServer server;
        try
        {
            server = rig.Add(new RemotingServer(new IPEndPoint(IPAddress.IPv6Loopback, 0)));
            server.Export<ITally>(new Tally(), "tally");
            await server.StartAsync().WaitAsync(Timeout);
        }
        catch (SocketException)
        {
            return; // IPv6 loopback not configured here
        }

        var port = ((IPEndPoint)server.EndPoint).Port;
        var printed = server.GetReference("tally").ToString();
        printed.Should().StartWith($"ocean://[::1]:{port}/");

        var client = rig.Add(await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout));
        (await client.GetProxy<ITally>(RemoteReference.Parse(printed)).AddAsync(4).WaitAsync(Timeout)).Should().Be(4);
        server.ActiveConnections.Should().Be(1);
    }
}
