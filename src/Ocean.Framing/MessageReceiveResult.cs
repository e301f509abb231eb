using System.Buffers;

namespace Ocean.Framing;

/// <summary>What <see cref="MessageConnection.ReceiveAsync"/> returns: one message, or the end of the stream.</summary>
/// <remarks>The message's memory belongs to the connection and stays valid only until the next read (or dispose).</remarks>
public readonly struct MessageReceiveResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="message">The message's bytes.</param>
    /// <param name="isCompleted">Whether the peer has finished: no message, no more to come.</param>
    public MessageReceiveResult(ReadOnlySequence<byte> message, bool isCompleted)
    {
        Message = message;
        IsCompleted = isCompleted;
    }

    /// <summary>The message (empty when <see cref="IsCompleted"/>); a zero-length message is valid.</summary>
    public ReadOnlySequence<byte> Message { get; }

    /// <summary>The peer closed cleanly between messages: nothing more will arrive.</summary>
    public bool IsCompleted { get; }
}
