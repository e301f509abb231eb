using System.Buffers;
using System.Net;
using Ocean.Framing.Internal;
using Ocean.Transport;

namespace Ocean.Framing;

/// <summary>
/// Sends and receives whole messages, whatever the transport: a stream connection plus a
/// <see cref="FrameCodec"/> (TCP, TLS, Unix sockets), or datagrams where each datagram is one message (UDP).
/// Layers above are written against this type only.
/// </summary>
/// <remarks>
/// <para>
/// <b>Reading</b>: one reader at a time. <see cref="ReceiveAsync"/> returns the message as a
/// <see cref="ReadOnlySequence{T}"/> over the connection's own buffers, with no copy; it stays valid until the
/// next <see cref="ReceiveAsync"/> or dispose. Copy what must outlive that.
/// </para>
/// <para>
/// <b>Sending</b> is safe for concurrent callers: frames never interleave, and frames written while a flush is
/// in progress go out together in the next one. A slow reader on the far side slows senders down (back-pressure)
/// instead of growing memory.
/// </para>
/// <para>
/// <b>Errors</b>: malformed input raises <see cref="FramingException"/> and closes the connection; later reads
/// raise the same exception. A send on a closed connection raises <see cref="ConnectionAbortedException"/>.
/// </para>
/// </remarks>
public abstract class MessageConnection : IAsyncDisposable
{
    /// <summary>The local endpoint, when the transport has one.</summary>
    public abstract EndPoint? LocalEndPoint { get; }

    /// <summary>The peer's endpoint.</summary>
    public abstract EndPoint? RemoteEndPoint { get; }

    /// <summary>Wraps a stream connection: messages are found and written with <paramref name="codec"/>.</summary>
    /// <param name="connection">The connection; the message connection takes ownership of it.</param>
    /// <param name="codec">How messages are delimited.</param>
    /// <param name="options">Timeouts and logging; <see langword="null"/> for the defaults.</param>
    /// <returns>The message connection.</returns>
    public static MessageConnection Create(Connection connection, FrameCodec codec, MessageConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(codec);
        return new StreamMessageConnection(connection, codec, options ?? new MessageConnectionOptions());
    }

    /// <summary>Wraps a connected UDP socket: each datagram is one message.</summary>
    /// <param name="socket">A socket from <see cref="DatagramSocket.ConnectAsync(IPEndPoint, DatagramOptions?, CancellationToken)"/>; the message connection takes ownership of it.</param>
    /// <param name="options">Idle timeout and logging; <see langword="null"/> for the defaults.</param>
    /// <returns>The message connection.</returns>
    /// <exception cref="ArgumentException">The socket is not connected.</exception>
    public static MessageConnection Create(DatagramSocket socket, MessageConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.RemoteEndPoint is null)
        {
            throw new ArgumentException("The socket must be connected to its peer.", nameof(socket));
        }

        return new DatagramMessageConnection(socket, options ?? new MessageConnectionOptions());
    }

    /// <summary>
    /// Wraps an unconnected UDP socket: each datagram is one message; messages are sent to
    /// <paramref name="remoteEndPoint"/> (a peer or a multicast group) and every datagram arriving at the
    /// socket is read, whoever sent it. For multicast, join the group on the socket first.
    /// </summary>
    /// <param name="socket">A bound socket; the message connection takes ownership of it.</param>
    /// <param name="remoteEndPoint">Where messages are sent.</param>
    /// <param name="options">Idle timeout and logging; <see langword="null"/> for the defaults.</param>
    /// <returns>The message connection.</returns>
    public static MessageConnection Create(DatagramSocket socket, IPEndPoint remoteEndPoint, MessageConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        return new DatagramMessageConnection(socket, options ?? new MessageConnectionOptions(), remoteEndPoint);
    }

    /// <summary>Reads the next message.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// The message (valid until the next read), or <see cref="MessageReceiveResult.IsCompleted"/> when the peer closed
    /// cleanly, or once this connection has been disposed (a reader still running after its server's handler
    /// returned ends cleanly).
    /// </returns>
    /// <exception cref="FramingException">The peer sent bytes that are not valid frames, or a frame missed its deadline; the connection is closed.</exception>
    /// <exception cref="TimeoutException">No message arrived within the idle timeout; the connection is closed.</exception>
    /// <exception cref="InvalidOperationException">Another read is in progress.</exception>
    public abstract ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends one message.</summary>
    /// <param name="message">The message's bytes (copied before this returns).</param>
    /// <param name="cancellationToken">Cancels before the message is written.</param>
    /// <returns>A task that completes once the message has been handed to the transport.</returns>
    /// <exception cref="FramingException">The message cannot be framed (too large, or a line containing a line break).</exception>
    /// <exception cref="ConnectionAbortedException">The connection is closed.</exception>
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);

    /// <summary>Sends one message held in a sequence (for example one just read, when forwarding or echoing).</summary>
    /// <param name="message">The message's bytes (copied before this returns).</param>
    /// <param name="cancellationToken">Cancels before the message is written.</param>
    /// <returns>A task that completes once the message has been handed to the transport.</returns>
    /// <exception cref="FramingException">The message cannot be framed.</exception>
    /// <exception cref="ConnectionAbortedException">The connection is closed.</exception>
    public virtual ValueTask SendAsync(ReadOnlySequence<byte> message, CancellationToken cancellationToken = default) =>
        message.IsSingleSegment
            ? SendAsync(message.First, cancellationToken)
            : SendAsync(message, static (m, output) =>
            {
                foreach (var segment in m)
                {
                    output.Write(segment.Span);
                }
            }, cancellationToken);

    /// <summary>Sends one message whose bytes <paramref name="writeMessage"/> writes (for serializers).</summary>
    /// <typeparam name="TState">What the writer needs.</typeparam>
    /// <param name="state">Passed to <paramref name="writeMessage"/>.</param>
    /// <param name="writeMessage">Writes the message's bytes; if it throws, nothing is sent and the connection stays usable.</param>
    /// <param name="cancellationToken">Cancels before the message is written.</param>
    /// <returns>A task that completes once the message has been handed to the transport.</returns>
    /// <exception cref="FramingException">The message cannot be framed.</exception>
    /// <exception cref="ConnectionAbortedException">The connection is closed.</exception>
    public abstract ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default);

    /// <summary>Finishes sending and closes the connection.</summary>
    /// <param name="cancellationToken">Stops waiting for unsent data; the connection is then aborted.</param>
    /// <returns>A task that completes once closed.</returns>
    public abstract ValueTask CloseAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops the connection at once.</summary>
    /// <param name="reason">Why, for the exceptions pending operations see.</param>
    public abstract void Abort(Exception? reason = null);

    /// <summary>Closes the connection (see <see cref="CloseAsync"/>) and releases it.</summary>
    /// <returns>A task that completes once released.</returns>
    public abstract ValueTask DisposeAsync();
}
