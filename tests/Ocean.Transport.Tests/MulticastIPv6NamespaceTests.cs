using System.Net;
using System.Text;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

/// <summary>
/// IPv6 multicast, which does not work on <c>lo</c>: these run inside the network namespace made by
/// <c>.ci/setup-netns</c> (via <c>tests/run-netns-tests.sh</c>), across a veth pair oc6a ↔ oc6b, and fail
/// when that setup is missing. The ordinary test command leaves category NetNs out.
/// </summary>
[Trait("Category", "NetNs")]
public sealed class MulticastIPv6NamespaceTests
{
    private static readonly string s_senderInterface = RequiredInterface("OCEAN_NETNS_IPV6_SENDER");
    private static readonly string s_receiverInterface = RequiredInterface("OCEAN_NETNS_IPV6_RECEIVER");

    private static string RequiredInterface(string variable) =>
        Environment.GetEnvironmentVariable(variable)
        ?? throw new InvalidOperationException($"{variable} is not set: run these tests with tests/run-netns-tests.sh (as root), which creates the namespace and veth pair.");

    private static DatagramOptions On(string nic, bool loopback = true) => new()
    {
        MulticastInterface = nic,
        ReuseAddress = true,
        MulticastLoopback = loopback,
        ReceiveTimeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task ThreeMembersAcrossTheVethPair_AllReceive_AMemberThatLeftReceivesNothingMore()
    {
        var group = IPAddress.Parse("ff12::4f63:1"); // link-local scope, transient
        await using var first = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), On(s_receiverInterface));
        var port = first.LocalEndPoint.Port;
        await using var second = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, port), On(s_receiverInterface));
        await using var third = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, port), On(s_receiverInterface));
        await using var sender = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), On(s_senderInterface));
        var members = new[] { first, second, third };
        foreach (var member in members)
        {
            member.JoinMulticastGroup(group);
        }

        var destination = new IPEndPoint(group, port);
        await sender.SendAsync("hello, v6 group"u8.ToArray(), destination);
        foreach (var member in members)
        {
            using var datagram = await member.ReceiveAsync().WithTimeout();
            Encoding.UTF8.GetString(datagram.Payload.Span).Should().Be("hello, v6 group");
        }

        third.LeaveMulticastGroup(group);
        await sender.SendAsync("after leave"u8.ToArray(), destination);
        foreach (var member in new[] { first, second })
        {
            using var datagram = await member.ReceiveAsync().WithTimeout();
            Encoding.UTF8.GetString(datagram.Payload.Span).Should().Be("after leave");
        }

        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await FluentActions.Awaiting(() => third.ReceiveAsync(quiet.Token).AsTask())
            .Should().ThrowAsync<OperationCanceledException>("a member that left receives nothing more");
    }

    [Fact]
    public async Task MulticastLoopback_DecidesWhetherTheSendersOwnHostReceives()
    {
        // Only a member on the sending interface: a datagram reaches it through the loopback path alone,
        // since nobody joined the group on the far end of the veth pair.
        var group = IPAddress.Parse("ff12::4f63:2");
        await using var local = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), On(s_senderInterface));
        local.JoinMulticastGroup(group);
        await using var quietSender = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), On(s_senderInterface, loopback: false));
        await using var loudSender = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), On(s_senderInterface, loopback: true));
        var destination = new IPEndPoint(group, local.LocalEndPoint.Port);

        await quietSender.SendAsync("quiet"u8.ToArray(), destination);
        await loudSender.SendAsync("loud"u8.ToArray(), destination);

        using var received = await local.ReceiveAsync().WithTimeout();
        Encoding.UTF8.GetString(received.Payload.Span).Should().Be("loud", "with loopback off the sender's own host does not get its datagram");
        ((IPEndPoint)received.RemoteEndPoint).Port.Should().Be(loudSender.LocalEndPoint.Port);
    }
}
