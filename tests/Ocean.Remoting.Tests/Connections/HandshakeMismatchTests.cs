using System.Net;
using System.Net.Sockets;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>Version, marshaller and protocol mismatches are reported as exactly that, before any call.</summary>
public sealed class HandshakeMismatchTests
{
    [Fact]
    public async Task GraphClient_AgainstCdrServer_GetsMarshallerMismatch_NotExecuted()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);

        var options = new RemotingClientOptions { Marshaller = new GraphMarshaller(new GraphTypeRegistry()) };
        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(server.EndPoint, options).WithTimeout())
            .Should().ThrowAsync<RemotingProtocolException>()).Which;

        thrown.Error.Should().Be(RemotingProtocolError.MarshallerMismatch);
        thrown.Completion.Should().Be(CompletionStatus.No);
        thrown.Message.Should().Contain("graph").And.Contain("CDR", "both marshallers are named");

        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;
        (await proxy.AddAsync(1, 1).WithTimeout()).Should().Be(2);
    }

    [Fact]
    public async Task RawClientOfVersion2_IsAnsweredVersionNotSupported_WithTheServersVersion_ThenClosed()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        using var raw = await Kit.ConnectRawAsync(server.EndPoint);

        // Version 2 may lay out bytes 6-15 differently; the server reads only bytes 0-5 of it.
        byte[] hello = [0xCE, 0x4F, 0x43, 0x4E, 0x02, 0x00, 0x99, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        await raw.SendAsync(hello).WithTimeout();
        var (answer, _) = await Kit.ReadToEndAsync(raw, TimeSpan.FromSeconds(10));

        answer.Should().HaveCount(Preamble.Length);
        answer[..4].Should().Equal(0xCE, 0x4F, 0x43, 0x4E);
        answer[4].Should().Be(0x01, "the server's own version");
        answer[5].Should().Be((byte)PreambleStatus.VersionNotSupported);
        answer[6].Should().Be((byte)MarshallerId.CdrBigEndian);
        server.ActiveConnections.Should().Be(0);
    }

    [Fact]
    public async Task RawClientWithUnknownMarshaller_IsAnsweredMarshallerNotSupported_WithTheServersMarshaller()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        using var raw = await Kit.ConnectRawAsync(server.EndPoint);

        await raw.SendAsync(Kit.PreambleBytes(Kit.ClientHello(marshaller: (MarshallerId)0x80))).WithTimeout();
        var (answer, _) = await Kit.ReadToEndAsync(raw, TimeSpan.FromSeconds(10));

        answer.Should().HaveCount(Preamble.Length);
        answer[4].Should().Be(0x01);
        answer[5].Should().Be((byte)PreambleStatus.MarshallerNotSupported);
        answer[6].Should().Be((byte)MarshallerId.CdrBigEndian);
    }

    [Fact]
    public async Task ServerAnsweringVersion2_IsReportedAsVersionMismatch_NotExecuted()
    {
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await Kit.ReadExactlyAsync(connection.Socket, Preamble.Length);
            byte[] answer = [0xCE, 0x4F, 0x43, 0x4E, 0x02, 0x01, 0x01, 0x00, 0, 0, 1, 0, 0, 0, 0, 0];
            await connection.SendRawAsync(answer);
        });

        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(fake.EndPoint).WithTimeout())
            .Should().ThrowAsync<RemotingProtocolException>()).Which;

        thrown.Error.Should().Be(RemotingProtocolError.VersionMismatch);
        thrown.Completion.Should().Be(CompletionStatus.No);
        thrown.Message.Should().Contain("2");
    }

    [Fact]
    public async Task PlainTcpServerSayingHello_IsReportedAsNotOceanPeer()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        var serve = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptAsync().WithTimeout();
            await accepted.SendAsync("hello\n"u8.ToArray());
            await Kit.ReadToEndAsync(accepted);
        });

        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(listener.LocalEndPoint!).WithTimeout())
            .Should().ThrowAsync<RemotingProtocolException>()).Which;

        thrown.Error.Should().Be(RemotingProtocolError.NotOceanPeer);
        thrown.Completion.Should().Be(CompletionStatus.No);
        await serve.WithTimeout();
    }

    [Fact]
    public async Task ServerThatNeverAnswersTheHandshake_FailsConnectAsyncUnavailableNo_AtTheConnectTimeout()
    {
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await Kit.ReadExactlyAsync(connection.Socket, Preamble.Length);
            await Kit.ReadToEndAsync(connection.Socket);
        });
        var connectTimeout = TimeSpan.FromMilliseconds(300);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(fake.EndPoint, new RemotingClientOptions { ConnectTimeout = connectTimeout }).WithTimeout())
            .Should().ThrowAsync<RemotingException>()).Which;
        watch.Stop();

        thrown.Status.Should().Be(RemotingStatus.Unavailable);
        thrown.Completion.Should().Be(CompletionStatus.No);
        watch.Elapsed.Should().BeGreaterThanOrEqualTo(connectTimeout - TimeSpan.FromMilliseconds(50));
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ServerClosingWithoutAnswering_IsUnavailableNo_NotAProtocolError()
    {
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await Kit.ReadExactlyAsync(connection.Socket, Preamble.Length);
            connection.Socket.Shutdown(SocketShutdown.Send);
            await Kit.ReadToEndAsync(connection.Socket);
        });

        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(fake.EndPoint).WithTimeout())
            .Should().ThrowAsync<RemotingException>()).Which;

        thrown.Should().NotBeOfType<RemotingProtocolException>();
        thrown.Status.Should().Be(RemotingStatus.Unavailable);
        thrown.Completion.Should().Be(CompletionStatus.No);
    }

    [Fact]
    public async Task ServerClosingInsideItsAnswer_IsTruncated()
    {
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await Kit.ReadExactlyAsync(connection.Socket, Preamble.Length);
            await connection.SendRawAsync([0xCE, 0x4F, 0x43, 0x4E, 0x01, 0x00]);
            connection.Socket.Shutdown(SocketShutdown.Send);
            await Kit.ReadToEndAsync(connection.Socket);
        });

        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(fake.EndPoint).WithTimeout())
            .Should().ThrowAsync<RemotingProtocolException>()).Which;

        thrown.Error.Should().Be(RemotingProtocolError.Truncated);
        thrown.Completion.Should().Be(CompletionStatus.No);
    }
}
