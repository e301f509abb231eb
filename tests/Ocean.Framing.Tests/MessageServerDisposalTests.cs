using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary><see cref="MessageServer.ForStream"/> disposes each message connection it creates once its handler returns.</summary>
public sealed class MessageServerDisposalTests
{
    [Fact]
    public async Task ForStream_HandlerReturned_ItsConnectionIsDisposed_ReadsEndCleanlySendsFailAndClosedFires()
    {
        var codec = new LengthPrefixedCodec();
        var handed = new TaskCompletionSource<MessageConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), codec, async (connection, stopping) =>
        {
            await connection.ReceiveAsync(stopping);
            handed.SetResult(connection); // kept past the handler's end, as a careless handler's background task would
        });
        await server.StartAsync();
        await using var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);
        await client.SendAsync("hello"u8.ToArray());
        var leftover = await handed.Task.WithTimeout();

        (await client.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue("the server closed the connection");

        // Disposed through the framing layer: a late read ends cleanly instead of touching a released pipe.
        await TestTimeouts.UntilAsync(() => leftover.ConnectionClosed.IsCancellationRequested, because: "the connection should be closed");
        (await leftover.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue();
        await FluentActions.Awaiting(() => leftover.SendAsync("late"u8.ToArray()).AsTask().WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
    }
}
