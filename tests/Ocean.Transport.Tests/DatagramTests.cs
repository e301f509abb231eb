using System.Net;
using System.Net.Sockets;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class DatagramTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Echo_ThousandDatagramsIncludingEmptyAndLargest_AllVerified(string loopback)
    {
        var address = IPAddress.Parse(loopback);
        var options = new DatagramOptions { ReceiveBufferSize = 4 * 1024 * 1024, ReceiveTimeout = TimeSpan.FromSeconds(30) };
        await using var server = DatagramSocket.Bind(new IPEndPoint(address, 0), options);
        await using var client = DatagramSocket.Bind(new IPEndPoint(address, 0), options);
        using var stop = new CancellationTokenSource(TestTimeouts.Load);
        var echo = Task.Run(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                using var datagram = await server.ReceiveAsync(stop.Token);
                await server.SendAsync(datagram.Payload, (IPEndPoint)datagram.RemoteEndPoint, stop.Token);
            }
        });

        var random = new Random(2026);
        var max = DatagramSocket.MaxDatagramSize(server.LocalEndPoint);
        for (var i = 0; i < 1000; i++)
        {
            var length = i switch { 0 => 0, 1 => max, 2 => 1, _ => random.Next(0, 2000) };
            var payload = new byte[length];
            random.NextBytes(payload);

            // One in flight at a time: UDP has no flow control, and this test is about integrity.
            await client.SendAsync(payload, server.LocalEndPoint, stop.Token);
            using var reply = await client.ReceiveAsync(stop.Token);

            reply.Length.Should().Be(length, $"datagram {i}");
            reply.Payload.Span.SequenceEqual(payload).Should().BeTrue($"datagram {i} must come back byte for byte");
            reply.RemoteEndPoint.Should().Be(server.LocalEndPoint);
        }

        await echo.WithTimeout(TestTimeouts.Load);
        max.Should().Be(loopback == "::1" ? 65_527 : 65_507);
    }

    [Fact]
    public async Task SendAsync_ToEndPoint_LargerThanUdpAllows_IsRefusedBeforeSending()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var act = () => socket.SendAsync(new byte[65_508], socket.LocalEndPoint).AsTask();

        var thrown = await act.Should().ThrowAsync<ArgumentOutOfRangeException>();
        thrown.Which.ParamName.Should().Be("datagram");
        thrown.Which.Message.Should().Contain("65508").And.Contain("65507");
    }

    [Fact]
    public async Task ReceiveAsync_NothingArrives_TimesOutByTheTimeProvider()
    {
        var clock = new ManualTimeProvider();
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new DatagramOptions { ReceiveTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock });

        var receive = socket.ReceiveAsync().AsTask();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0);
        receive.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(5));

        await FluentActions.Awaiting(() => receive.WithTimeout()).Should().ThrowAsync<TimeoutException>();
    }

    [Fact]
    public async Task ReceiveAsync_Cancelled_ThrowsOperationCanceled_AndSocketStillWorks()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource();

        var receive = socket.ReceiveAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await FluentActions.Awaiting(() => receive.WithTimeout()).Should().ThrowAsync<OperationCanceledException>();

        await socket.SendAsync(new byte[] { 42 }, socket.LocalEndPoint);
        using var datagram = await socket.ReceiveAsync().WithTimeout();
        datagram.Payload.ToArray().Should().Equal(42);
    }

    [Fact]
    public async Task ConnectedMode_SendsAndReceivesOnlyWithItsPeer()
    {
        await using var server = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var stranger = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var client = await DatagramSocket.ConnectAsync("127.0.0.1", server.LocalEndPoint.Port);
        client.RemoteEndPoint.Should().Be(server.LocalEndPoint);

        await client.SendAsync("ping"u8.ToArray());
        using var ping = await server.ReceiveAsync().WithTimeout();
        ping.Payload.ToArray().Should().Equal("ping"u8.ToArray());

        // The kernel filters a connected socket's input: the stranger's datagram never arrives.
        await stranger.SendAsync("noise"u8.ToArray(), client.LocalEndPoint);
        await server.SendAsync("pong"u8.ToArray(), (IPEndPoint)ping.RemoteEndPoint);
        using var pong = await client.ReceiveAsync().WithTimeout();
        pong.Payload.ToArray().Should().Equal("pong"u8.ToArray());
    }

    [Fact]
    public async Task SendAsync_NotConnected_Throws()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        await FluentActions.Awaiting(() => socket.SendAsync(new byte[1]).AsTask()).Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task ReceiveAsync_Concurrently_SecondIsRefused()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var first = socket.ReceiveAsync().AsTask();

        await FluentActions.Awaiting(() => socket.ReceiveAsync().AsTask()).Should().ThrowAsync<InvalidOperationException>();

        await socket.SendAsync(new byte[] { 1 }, socket.LocalEndPoint);
        using var datagram = await first.WithTimeout();
        datagram.Length.Should().Be(1);
    }

    [Fact]
    public async Task ReceiveAsync_CallerBufferTooSmall_IsRefused()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        await FluentActions.Awaiting(() => socket.ReceiveAsync(new byte[1024]).AsTask()).Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task ReceiveAsync_IntoCallerBuffer_NoCopy()
    {
        await using var socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var buffer = new byte[DatagramSocket.MaxIPv6DatagramSize];

        await socket.SendAsync("direct"u8.ToArray(), socket.LocalEndPoint);
        var result = await socket.ReceiveAsync(buffer).WithTimeout();

        buffer.AsSpan(0, result.Length).ToArray().Should().Equal("direct"u8.ToArray());
        result.RemoteEndPoint.Should().Be(socket.LocalEndPoint);
    }

    [Fact]
    public async Task DualMode_BoundToIPv6Any_ReceivesIPv4()
    {
        await using var server = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        await using var client = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        await client.SendAsync("v4"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port));
        using var datagram = await server.ReceiveAsync().WithTimeout();

        datagram.Payload.ToArray().Should().Equal("v4"u8.ToArray());
        ((IPEndPoint)datagram.RemoteEndPoint).Address.MapToIPv4().Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public void Datagram_Disposed_PayloadNoLongerAccessible()
    {
        var datagram = new Datagram(System.Buffers.ArrayPool<byte>.Shared.Rent(4), 4, new IPEndPoint(IPAddress.Loopback, 1));
        datagram.Dispose();
        datagram.Dispose();

        FluentActions.Invoking(() => datagram.Payload).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task Bind_PortInUseWithoutReuse_Throws()
    {
        await using var first = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        FluentActions.Invoking(() => DatagramSocket.Bind(first.LocalEndPoint)).Should().Throw<SocketException>();
    }

    [Theory]
    [InlineData(SocketError.ProtocolOption, true)]         // ENOPROTOOPT: IPV6_MULTICAST_ALL before Linux 4.20
    [InlineData(SocketError.InvalidArgument, true)]        // EINVAL
    [InlineData(SocketError.OperationNotSupported, true)]  // EOPNOTSUPP
    [InlineData(SocketError.AccessDenied, false)]
    [InlineData(SocketError.AddressAlreadyInUse, false)]
    public void IsOptionNotSupported_ClassifiesWhatABestEffortOptionMayIgnore(SocketError error, bool ignorable) =>
        Ocean.Transport.Internal.SocketErrors.IsOptionNotSupported(error).Should().Be(ignorable);

    [Fact]
    public void TrySetBestEffortOption_OptionTheKernelDoesNotKnow_ReturnsFalseInsteadOfThrowing()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);

        // IPPROTO_IPV6 option 9999 exists on no kernel: what an old kernel answers for IPV6_MULTICAST_ALL (ENOPROTOOPT).
        var set = DatagramSocket.TrySetBestEffortOption(socket, 41, 9999, 0, out var error);

        set.Should().BeFalse();
        error.Should().Be(SocketError.ProtocolOption);
    }

    [Fact]
    public async Task Bind_IPv6Unicast_RestrictsMulticastDeliveryAndStillWorks()
    {
        await using var receiver = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var sender = DatagramSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        if (OperatingSystem.IsLinux())
        {
            var value = new byte[4];
            receiver.Socket.GetRawSocketOption(41, 29, value); // IPV6_MULTICAST_ALL: this kernel (4.20+) knows it
            BitConverter.ToInt32(value).Should().Be(0);
        }

        await sender.SendAsync("v6"u8.ToArray(), receiver.LocalEndPoint);
        using var datagram = await receiver.ReceiveAsync().WithTimeout();

        datagram.Payload.ToArray().Should().Equal("v6"u8.ToArray());
        await using var connected = await DatagramSocket.ConnectAsync(receiver.LocalEndPoint);
        if (OperatingSystem.IsLinux())
        {
            var value = new byte[4];
            connected.Socket.GetRawSocketOption(41, 29, value);
            BitConverter.ToInt32(value).Should().Be(1, "a connected socket receives from its one peer only, so the option is left alone");
        }
    }
}
