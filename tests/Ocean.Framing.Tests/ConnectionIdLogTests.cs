using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>Framing's log messages name the connection by the same <see cref="MessageConnection.Id"/> the application sees.</summary>
public sealed class ConnectionIdLogTests
{
    [Fact]
    public async Task HandlerFailed_StreamServer_LogNamesTheConnectionsId()
    {
        var logs = new CapturingLoggerFactory();
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var codec = new LengthPrefixedCodec();
        await using var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), codec, async (connection, stopping) =>
        {
            await connection.ReceiveAsync(stopping);
            seen.SetResult(connection.Id);
            throw new InvalidOperationException("handler bug");
        }, new MessageServerOptions { LoggerFactory = logs });
        await server.StartAsync();
        await using var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);

        await client.SendAsync("hi"u8.ToArray());
        var id = await seen.Task.WithTimeout();

        await TestTimeouts.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 502), because: "the failure should be logged");
        logs.Entries.Single(e => e.EventId.Id == 502).Message.Should().Contain(id);
    }

    [Fact]
    public async Task HandlerFailed_DatagramServer_LogNamesThePeersConnectionId()
    {
        var logs = new CapturingLoggerFactory();
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            await connection.ReceiveAsync(stopping);
            seen.SetResult(connection.Id);
            throw new InvalidOperationException("handler bug");
        }, new MessageServerOptions { LoggerFactory = logs });
        await server.StartAsync();
        await using var client = MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));

        await client.SendAsync("hi"u8.ToArray());
        var id = await seen.Task.WithTimeout();

        id.Should().MatchRegex("^U[0-9A-F]{8}$");
        await TestTimeouts.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 502), because: "the failure should be logged");
        logs.Entries.Single(e => e.EventId.Id == 502).Message.Should().Contain(id);
    }
}
