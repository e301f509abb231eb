namespace Ocean.Framing.Tests.Contract;

/// <summary>The message connection under test and the other end it talks to, plus whatever owns them (a server).</summary>
public sealed class ConnectedPair(MessageConnection local, MessageConnection peer, Func<ValueTask>? cleanup = null) : IAsyncDisposable
{
    /// <summary>The connection whose contract is tested.</summary>
    public MessageConnection Local { get; } = local;

    /// <summary>The other end: sends to <see cref="Local"/> and receives what it sends.</summary>
    public MessageConnection Peer { get; } = peer;

    public async ValueTask DisposeAsync()
    {
        // Both at once: a TCP end that closes waits (a while) for the other end to close too.
        await Task.WhenAll(Local.DisposeAsync().AsTask(), Peer.DisposeAsync().AsTask()).WithTimeout();
        if (cleanup is not null)
        {
            await cleanup();
        }
    }
}
