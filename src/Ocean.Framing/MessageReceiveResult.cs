using System.Buffers;
using System.Net;

namespace Ocean.Framing;

/// <summary>What <see cref="MessageConnection.ReceiveAsync"/> returns: one message, the end of the stream, or a cancelled read.</summary>
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

    /// <summary>Creates a result.</summary>
    /// <param name="message">The message's bytes.</param>
    /// <param name="isCanceled">Whether the read was cancelled by <see cref="MessageConnection.CancelPendingReceive"/> (no message).</param>
    /// <param name="isCompleted">Whether the peer has finished: no message, no more to come.</param>
    /// <param name="remoteEndPoint">Who sent the message.</param>
    public MessageReceiveResult(ReadOnlySequence<byte> message, bool isCanceled, bool isCompleted, EndPoint? remoteEndPoint)
    {
        Message = message;
        IsCanceled = isCanceled;
        IsCompleted = isCompleted;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>The message (empty when <see cref="IsCompleted"/> or <see cref="IsCanceled"/>); a zero-length message is valid.</summary>
    public ReadOnlySequence<byte> Message { get; }

    /// <summary>The peer closed cleanly between messages: nothing more will arrive.</summary>
    public bool IsCompleted { get; }

    /// <summary>
    /// The read was cut short by <see cref="MessageConnection.CancelPendingReceive"/>: no message, the connection is
    /// still open, and the next read goes on where this one stopped.
    /// </summary>
    public bool IsCanceled { get; }

    /// <summary>
    /// The message's sender: on an unconnected (or multicast) UDP socket, the source of this datagram, to reply to
    /// with <see cref="MessageConnection.SendAsync(ReadOnlyMemory{byte}, EndPoint, CancellationToken)"/>; on a
    /// connection with one peer, its <see cref="MessageConnection.RemoteEndPoint"/> (<see langword="null"/> for an
    /// in-memory pair). <see langword="null"/> when there is no message.
    /// </summary>
    public EndPoint? RemoteEndPoint { get; }

    internal static MessageReceiveResult Completed => new(default, isCanceled: false, isCompleted: true, remoteEndPoint: null);

    internal static MessageReceiveResult Canceled => new(default, isCanceled: true, isCompleted: false, remoteEndPoint: null);
}
