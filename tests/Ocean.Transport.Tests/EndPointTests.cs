using System.Net;
using System.Net.Sockets;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class EndPointTests
{
    [Fact]
    public async Task IPv6Loopback_EchoWorks()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, endPoint: new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var client = await SocketConnector.ConnectAsync("::1", server.Port());

        await client.Transport.Output.WriteAsync("six"u8.ToArray());

        (await client.Transport.Input.ReadExactlyAsync(3).WithTimeout()).Should().Equal("six"u8.ToArray());
        client.RemoteEndPoint.Should().Be(new IPEndPoint(IPAddress.IPv6Loopback, server.Port()));
    }

    [Fact]
    public async Task DualMode_ListeningOnIPv6Any_AcceptsIPv4Clients()
    {
        var remote = new TaskCompletionSource<EndPoint?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                remote.TrySetResult(connection.RemoteEndPoint);
                await connection.Transport.EchoAsync(stopping);
            },
            endPoint: new IPEndPoint(IPAddress.IPv6Any, 0));
        await using var v4 = await SocketConnector.ConnectAsync("127.0.0.1", server.Port());
        await using var v6 = await SocketConnector.ConnectAsync("::1", server.Port());

        await v4.Transport.Output.WriteAsync("four"u8.ToArray());
        await v6.Transport.Output.WriteAsync("six!"u8.ToArray());

        (await v4.Transport.Input.ReadExactlyAsync(4).WithTimeout()).Should().Equal("four"u8.ToArray());
        (await v6.Transport.Input.ReadExactlyAsync(4).WithTimeout()).Should().Equal("six!"u8.ToArray());
        var first = (IPEndPoint)(await remote.Task.WithTimeout())!;
        first.Address.IsIPv4MappedToIPv6.Should().BeTrue("the IPv4 client arrives on the dual-mode socket as a mapped address");
        first.Address.MapToIPv4().Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public async Task UnixDomainSocket_EchoWorksAndSocketFileIsRemovedOnStop()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ocean-{Guid.NewGuid():N}.sock");
        var server = await TestServer.StartAsync(TestServer.Echo, endPoint: new UnixDomainSocketEndPoint(path));
        try
        {
            File.Exists(path).Should().BeTrue();
            await using var client = await SocketConnector.ConnectAsync(new UnixDomainSocketEndPoint(path));
            var payload = new byte[100_000];
            new Random(11).NextBytes(payload);

            var echo = client.Transport.Input.ReadExactlyAsync(payload.Length);
            await client.Transport.Output.WriteAsync(payload);

            (await echo.WithTimeout()).AsSpan().SequenceEqual(payload).Should().BeTrue();
        }
        finally
        {
            await server.DisposeAsync();
        }

        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public async Task UnixDomainSocket_NoListener_ThrowsRefused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ocean-{Guid.NewGuid():N}.sock");

        var thrown = await FluentActions.Awaiting(() => SocketConnector.ConnectAsync(new UnixDomainSocketEndPoint(path)).AsTask().WithTimeout())
            .Should().ThrowAsync<ConnectException>();
        thrown.Which.Error.Should().Be(TransportError.ConnectionRefused);
    }

    [Fact]
    public void Server_DnsEndPoint_IsRefusedUpFront() =>
        FluentActions.Invoking(() => new SocketServer(new DnsEndPoint("localhost", 0), TestServer.Echo))
            .Should().Throw<ArgumentException>();
}
