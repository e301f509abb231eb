using System.Net;
using System.Net.Sockets;
using System.Text;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

/// <summary>IPv4 multicast on the loopback interface: send and join on <c>lo</c>, so nothing leaves the machine.</summary>
public sealed class MulticastTests
{
    private static DatagramOptions OnLoopback(bool loopback = true) => new()
    {
        MulticastInterface = "lo",
        ReuseAddress = true,
        MulticastLoopback = loopback,
        ReceiveTimeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task ThreeMembers_AllReceiveOneSendersMessage_AMemberThatLeftReceivesNothingMore()
    {
        var group = IPAddress.Parse("239.255.42.1"); // administratively scoped; distinct per test
        await using var first = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), OnLoopback());
        var port = first.LocalEndPoint.Port;
        await using var second = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, port), OnLoopback());
        await using var third = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, port), OnLoopback());
        await using var sender = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), OnLoopback());
        var members = new[] { first, second, third };
        foreach (var member in members)
        {
            member.JoinMulticastGroup(group);
        }

        var destination = new IPEndPoint(group, port);
        await sender.SendAsync("hello, group"u8.ToArray(), destination);
        foreach (var member in members)
        {
            using var datagram = await member.ReceiveAsync().WithTimeout();
            Encoding.UTF8.GetString(datagram.Payload.Span).Should().Be("hello, group");
            ((IPEndPoint)datagram.RemoteEndPoint).Port.Should().Be(sender.LocalEndPoint.Port);
        }

        third.LeaveMulticastGroup(group);
        await sender.SendAsync("after leave"u8.ToArray(), destination);
        foreach (var member in new[] { first, second })
        {
            using var datagram = await member.ReceiveAsync().WithTimeout();
            Encoding.UTF8.GetString(datagram.Payload.Span).Should().Be("after leave");
        }

        // The member that left must not get "after leave". Prove it by sending it a unicast marker
        // afterwards: datagrams on one socket arrive in order on loopback, so the marker comes first.
        await sender.SendAsync("marker"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));

        // The unicast marker reaches exactly one of the sockets sharing the port: take what each has received until the
        // marker has turned up (a loaded machine may deliver it late, so no fixed wait), then once more, for a second copy.
        var received = new List<string>();
        async Task DrainArrivedAsync()
        {
            foreach (var member in members)
            {
                while (member.Socket.Available > 0)
                {
                    using var datagram = await member.ReceiveAsync().WithTimeout();
                    received.Add((member == third ? "third:" : "other:") + Encoding.UTF8.GetString(datagram.Payload.Span));
                }
            }
        }

        using (var patience = new CancellationTokenSource(TestTimeouts.Operation))
        {
            await DrainArrivedAsync();
            while (!received.Any(r => r.EndsWith(":marker", StringComparison.Ordinal)))
            {
                await Task.Delay(5, patience.Token); // throws once the operation timeout has passed
                await DrainArrivedAsync();
            }
        }

        await DrainArrivedAsync();
        received.Should().NotContain("third:after leave");
        received.Should().ContainSingle(r => r.EndsWith(":marker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Options_TtlAndLoopback_AreAppliedToTheSocket()
    {
        // On lo the loopback option cannot be observed (lo delivers what is sent on it); the namespace
        // tests observe it across a veth pair. Here: the options reach the socket.
        var options = OnLoopback(loopback: false);
        options.MulticastTimeToLive = 3;
        await using var sender = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);

        sender.Socket.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive).Should().Be(3);
        sender.Socket.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback).Should().Be(0);
    }

    [Fact]
    public async Task TwoGroupsOnOnePort_EachMemberReceivesOnlyItsOwnGroup()
    {
        var red = IPAddress.Parse("239.255.42.3");
        var blue = IPAddress.Parse("239.255.42.4");
        await using var redMember = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), OnLoopback());
        var port = redMember.LocalEndPoint.Port;
        await using var blueMember = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, port), OnLoopback());
        await using var sender = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), OnLoopback());
        redMember.JoinMulticastGroup(red);
        blueMember.JoinMulticastGroup(blue);

        await sender.SendAsync("to blue"u8.ToArray(), new IPEndPoint(blue, port));
        await sender.SendAsync("to red"u8.ToArray(), new IPEndPoint(red, port));

        using var atRed = await redMember.ReceiveAsync().WithTimeout();
        using var atBlue = await blueMember.ReceiveAsync().WithTimeout();
        Encoding.UTF8.GetString(atRed.Payload.Span).Should().Be("to red", "membership is strict: no datagram for a group the socket did not join");
        Encoding.UTF8.GetString(atBlue.Payload.Span).Should().Be("to blue");
    }

    [Fact]
    public async Task JoinMulticastGroup_UnicastAddress_IsRefused()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), OnLoopback());

        FluentActions.Invoking(() => socket.JoinMulticastGroup(IPAddress.Loopback)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Bind_UnknownInterface_IsRefused() =>
        FluentActions.Invoking(() => DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), new DatagramOptions { MulticastInterface = "no-such-nic0" }))
            .Should().Throw<ArgumentException>().WithMessage("*no-such-nic0*");
}
