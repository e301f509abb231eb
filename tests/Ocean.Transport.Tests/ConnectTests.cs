using System.Net;
using System.Net.Sockets;
using Ocean.Transport.Internal;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class ConnectTests
{
    [Fact]
    public async Task ConnectAsync_ClosedPort_ThrowsRefused()
    {
        // A bound but not listening socket holds the port, so nothing else can take it meanwhile.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        var act = () => SocketConnector.ConnectAsync("127.0.0.1", port).AsTask().WithTimeout();

        var thrown = await act.Should().ThrowAsync<ConnectException>();
        thrown.Which.Error.Should().Be(TransportError.ConnectionRefused);
        thrown.Which.EndPoint.Should().Be(new IPEndPoint(IPAddress.Loopback, port));
        thrown.Which.InnerException.Should().BeOfType<SocketException>();
        thrown.Which.Message.Should().Contain("refused");
    }

    [Fact]
    public async Task ConnectAsync_PeerNeverAnswers_TimesOutByTheTimeProvider()
    {
        // A listener with a full accept queue drops further SYNs, so those connects hang.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        using var fillers = new CancellationTokenSource(TestTimeouts.Operation);
        var fillerSockets = Enumerable.Range(0, 4).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToArray();
        try
        {
            foreach (var filler in fillerSockets)
            {
                _ = filler.ConnectAsync(endPoint, fillers.Token).AsTask().ContinueWith(t => t.Exception, TaskScheduler.Default);
            }

            // The queue (one connection, at backlog 0) is full only once a filler's handshake has completed: until then
            // the probe's SYN can be answered too (a loaded machine defers loopback packets to ksoftirqd, so SYNs can all
            // be seen before any ACK). A listening socket polls readable once a connection waits in its queue.
            await TestTimeouts.UntilAsync(() => listener.Poll(0, SelectMode.SelectRead), because: "a filler should fill the accept queue");

            var clock = new ManualTimeProvider();
            var options = new SocketConnectorOptions { ConnectTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock };
            var connect = SocketConnector.ConnectAsync(endPoint, options).AsTask();
            await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0 || connect.IsCompleted, because: "the connect timer should be armed");
            connect.IsCompleted.Should().BeFalse("the accept queue is full, so the connect must still be waiting");

            clock.Advance(TimeSpan.FromSeconds(5));

            var thrown = await FluentActions.Awaiting(() => connect.WithTimeout()).Should().ThrowAsync<ConnectException>();
            thrown.Which.Error.Should().Be(TransportError.ConnectTimedOut);
            thrown.Which.InnerException.Should().BeOfType<SocketException>("as documented: the OS reports its own connect timeouts the same way")
                .Which.SocketErrorCode.Should().Be(SocketError.TimedOut);
        }
        finally
        {
            await fillers.CancelAsync();
            foreach (var filler in fillerSockets)
            {
                filler.Dispose();
            }
        }
    }

    [Fact]
    public async Task ConnectAsync_CallerCancels_ThrowsOperationCanceledNotConnectException()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var act = () => SocketConnector.ConnectAsync("127.0.0.1", 9, cancellationToken: cts.Token).AsTask();

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task ConnectAsync_UnknownHostName_ThrowsHostNotFound()
    {
        // .invalid is reserved (RFC 2606) and never resolves; no query leaves the machine for it.
        var act = () => SocketConnector.ConnectAsync("no-such-host.invalid", 80).AsTask().WithTimeout();

        var thrown = await act.Should().ThrowAsync<ConnectException>();
        thrown.Which.Error.Should().Be(TransportError.HostNotFound);
    }

    [Fact]
    public async Task ConnectAsync_ByHostNameLocalhost_Connects()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, endPoint: new IPEndPoint(IPAddress.IPv6Any, 0));

        await using var connection = await SocketConnector.ConnectAsync("localhost", server.Port()).WithTimeout();
        await connection.Transport.Output.WriteAsync("hi"u8.ToArray());
        var echoed = await connection.Transport.Input.ReadExactlyAsync(2).WithTimeout();

        echoed.Should().Equal("hi"u8.ToArray());
        connection.RemoteEndPoint.Should().BeOfType<IPEndPoint>().Which.Port.Should().Be(server.Port());
    }

    [Fact]
    public async Task ConnectAsync_DefaultOptions_SetsNoDelay()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo);
        await using var connection = await server.ConnectAsync();

        connection.Should().BeOfType<SocketConnection>().Which.Socket.NoDelay.Should().BeTrue();
        connection.LocalEndPoint.Should().BeOfType<IPEndPoint>().Which.Address.Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public async Task ConnectAsync_WithKeepAlive_ConnectsAndEchoes()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo);
        var options = new SocketConnectorOptions { KeepAlive = new TcpKeepAliveOptions { Time = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), RetryCount = 3 } };

        await using var connection = await server.ConnectAsync(options);
        var socket = ((SocketConnection)connection).Socket;
        socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive).Should().Be(1);
        socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime).Should().Be(30);
        socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval).Should().Be(5);
        socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount).Should().Be(3);
        await connection.Transport.Output.WriteAsync(new byte[] { 1 });

        (await connection.Transport.Input.ReadExactlyAsync(1).WithTimeout()).Should().Equal(1);
    }

    [Fact]
    public void Options_InvalidValues_AreRefused()
    {
        var connect = new SocketConnectorOptions();
        FluentActions.Invoking(() => connect.ConnectTimeout = TimeSpan.Zero).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => connect.MaxReadBufferSize = 0).Should().Throw<ArgumentOutOfRangeException>();
        var server = new SocketServerOptions();
        FluentActions.Invoking(() => server.MaxConnections = 0).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.IdleTimeout = TimeSpan.FromSeconds(-2)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.Backlog = -1).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.MaxWriteBufferSize = 0).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.CloseTimeout = TimeSpan.FromSeconds(-1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.ShutdownTimeout = TimeSpan.FromSeconds(-1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.TlsHandshakeTimeout = TimeSpan.Zero).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.MaxBufferedBytes = 0).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => server.MaxBufferedBytes = -1).Should().Throw<ArgumentOutOfRangeException>();
        server.MaxBufferedBytes.Should().Be(512L * 1024 * 1024, "the README documents a 512 MiB default");
        var datagram = new DatagramOptions();
        FluentActions.Invoking(() => datagram.ReceiveTimeout = TimeSpan.Zero).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => datagram.MulticastTimeToLive = 256).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, TransportError.ConnectionRefused)]
    [InlineData(SocketError.NetworkUnreachable, TransportError.HostUnreachable)]
    [InlineData(SocketError.HostUnreachable, TransportError.HostUnreachable)]
    [InlineData(SocketError.TimedOut, TransportError.ConnectTimedOut)]
    [InlineData(SocketError.HostNotFound, TransportError.HostNotFound)]
    [InlineData(SocketError.AccessDenied, TransportError.Other)]
    public void ClassifyConnect_MapsSocketErrors(SocketError error, TransportError expected) =>
        SocketErrors.ClassifyConnect(error).Should().Be(expected);

    [Theory]
    [InlineData(SocketError.ConnectionReset, true)]
    [InlineData(SocketError.ConnectionAborted, true)]
    [InlineData(SocketError.Shutdown, true)]
    [InlineData(SocketError.OperationAborted, true)]
    [InlineData(SocketError.AccessDenied, false)]
    [InlineData(SocketError.NoBufferSpaceAvailable, false)]
    public void IsConnectionGone_ClassifiesPeerGoneErrors(SocketError error, bool gone) =>
        SocketErrors.IsConnectionGone(error).Should().Be(gone);

    [Fact]
    public async Task ConnectAsync_TlsPeerNeverAnswersTheHandshake_TimesOutWithSocketExceptionInside()
    {
        // A TCP listener that accepts (in the kernel) but never speaks TLS.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        var clock = new ManualTimeProvider();
        var options = new SocketConnectorOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            TimeProvider = clock,
            Tls = new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" },
        };
        var connect = SocketConnector.ConnectAsync(listener.LocalEndPoint!, options).AsTask();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0 || connect.IsCompleted, because: "the connect timer should be armed");

        clock.Advance(TimeSpan.FromSeconds(5));

        var thrown = await FluentActions.Awaiting(() => connect.WithTimeout()).Should().ThrowAsync<ConnectException>();
        thrown.Which.Error.Should().Be(TransportError.ConnectTimedOut);
        thrown.Which.InnerException.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.TimedOut);
    }

    [Fact]
    public async Task ConnectAsync_RefusedByHostName_MessageNamesHostAndPort()
    {
        // "localhost" may resolve to ::1 too: the port is held in both families (a dual-mode wildcard), since an IPv4
        // holder alone leaves the same port free for an IPv6-only listener of a test running meanwhile.
        using var holder = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        holder.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        var thrown = await FluentActions.Awaiting(() => SocketConnector.ConnectAsync(new DnsEndPoint("localhost", port)).AsTask().WithTimeout())
            .Should().ThrowAsync<ConnectException>();

        thrown.Which.Message.Should().Contain($"localhost:{port}").And.NotContain("Unspecified");
    }

    [Theory]
    [InlineData("dns", "example.org:80")]
    [InlineData("v4", "127.0.0.1:80")]
    [InlineData("v6", "[::1]:80")]
    [InlineData("unix", "unix:/tmp/ocean.sock")]
    public void EndPointText_FormatsEachKind(string kind, string expected)
    {
        EndPoint endPoint = kind switch
        {
            "dns" => new DnsEndPoint("example.org", 80),
            "v4" => new IPEndPoint(IPAddress.Loopback, 80),
            "v6" => new IPEndPoint(IPAddress.IPv6Loopback, 80),
            _ => new UnixDomainSocketEndPoint("/tmp/ocean.sock"),
        };

        EndPointText.Format(endPoint).Should().Be(expected);
        new ConnectException(TransportError.ConnectionRefused, endPoint).Message.Should().Contain(expected);
    }

    [Fact]
    public void TransportExceptions_CarryTheirErrorKind_ThroughTheLayerType()
    {
        TransportException refused = new ConnectException(TransportError.ConnectionRefused, new IPEndPoint(IPAddress.Loopback, 1));
        TransportException aborted = new ConnectionAbortedException("gone");

        refused.Error.Should().Be(TransportError.ConnectionRefused);
        aborted.Error.Should().Be(TransportError.ConnectionAborted);
        new ConnectionAbortedException().Error.Should().Be(TransportError.ConnectionAborted);
        new TransportException("plain").Error.Should().Be(TransportError.Other);
        refused.Should().BeAssignableTo<OceanException>();
    }
}
