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
/// After <see cref="Abort"/>, pending and later reads and sends raise <see cref="ConnectionAbortedException"/>
/// with the abort's reason as its <see cref="Exception.InnerException"/>; after <see cref="CloseAsync"/> or
/// <see cref="DisposeAsync"/>, reads end cleanly (<see cref="MessageReceiveResult.IsCompleted"/>) and sends raise
/// <see cref="ConnectionAbortedException"/>.
/// </para>
/// <para>
/// <b>What each kind promises</b>: a stream connection is reliable and ordered and carries up to its codec's
/// <see cref="FrameCodec.MaxPayloadLength"/>; a UDP connection is neither and carries one datagram
/// (<see cref="DatagramSocket.MaxDatagramSize"/>: 65,507 bytes over IPv4, 65,527 over IPv6); the in-memory pair
/// (<see cref="CreatePair"/>) is reliable and ordered. A message larger than <see cref="MaxMessageSize"/> raises
/// <see cref="FramingException"/> with <see cref="FramingError.FrameTooLarge"/> (<see cref="FramingError.LineTooLong"/>
/// for lines) and nothing is sent.
/// </para>
/// </remarks>
public abstract class MessageConnection : IAsyncDisposable
{
    /// <summary>
    /// A short identifier unique within the process, used in logs: a stream connection has its transport
    /// <see cref="Connection.Id"/> (<c>C</c> and 8 hex digits), so Transport's and Framing's logs name it alike; a
    /// UDP connection has one of the same shape starting with <c>U</c>, an in-memory one with <c>M</c>.
    /// </summary>
    public abstract string Id { get; }

    /// <summary>
    /// The largest message this connection can send: the codec's <see cref="FrameCodec.MaxPayloadLength"/> on a
    /// stream, one datagram's payload over UDP (65,507 bytes to an IPv4 peer, 65,527 to IPv6), the configured
    /// size for an in-memory pair. A larger message raises <see cref="FramingException"/> and is not sent.
    /// </summary>
    public abstract int MaxMessageSize { get; }

    /// <summary>Whether every message sent arrives, unless the connection fails (a stream or in-memory pair: yes; UDP: no, a datagram may be lost).</summary>
    public abstract bool IsReliable { get; }

    /// <summary>Whether messages arrive in the order they were sent (a stream or in-memory pair: yes; UDP: no).</summary>
    public abstract bool IsOrdered { get; }

    /// <summary>
    /// Fires once the connection is closed, for whatever reason: <see cref="CloseAsync"/>, <see cref="Abort"/>,
    /// <see cref="DisposeAsync"/>, an idle timeout or bad input, the transport reporting it gone, or a read reaching
    /// the peer's clean end (<see cref="MessageReceiveResult.IsCompleted"/>).
    /// </summary>
    /// <remarks>
    /// The token is already cancelled when <see cref="CloseAsync"/>, <see cref="Abort"/> or <see cref="DisposeAsync"/>
    /// returns (the returned task may still be completing); its callbacks run on the thread pool, never inside the
    /// call that closed the connection, so they may take locks the closing code holds. A peer's close is
    /// noticed by the reader first: a connection nobody reads learns of it only from the transport.
    /// </remarks>
    public abstract CancellationToken ConnectionClosed { get; }

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
    /// socket is read, whoever sent it: <see cref="MessageReceiveResult.RemoteEndPoint"/> names the sender, and
    /// <see cref="SendAsync(ReadOnlyMemory{byte}, EndPoint, CancellationToken)"/> replies to it. For multicast, join
    /// the group on the socket first.
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

    /// <summary>
    /// Creates two connected in-memory message connections, no sockets involved: what one sends, the other
    /// receives. For testing code written against <see cref="MessageConnection"/>.
    /// </summary>
    /// <param name="maxMessageSize">The largest message either end can send (default 1 MiB).</param>
    /// <param name="capacity">How many messages may wait unread at each end before a sender waits (default 64).</param>
    /// <returns>The two ends.</returns>
    /// <remarks>
    /// Reliable and ordered, like a stream. A message's bytes are copied on send; the receiver's sequence is valid
    /// until its next read. Closing one end lets the other read what was already sent and then see
    /// <see cref="MessageReceiveResult.IsCompleted"/>; its sends then raise <see cref="ConnectionAbortedException"/>.
    /// Aborting one end does the same for the other end (an abort reaches a TCP peer as the end of its input too).
    /// </remarks>
    public static (MessageConnection First, MessageConnection Second) CreatePair(int maxMessageSize = 1024 * 1024, int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        return InMemoryMessageConnection.CreateConnectedPair(maxMessageSize, capacity);
    }

    /// <summary>Reads the next message.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// The message (valid until the next read), or <see cref="MessageReceiveResult.IsCompleted"/> when the peer closed
    /// cleanly, or once this connection has been disposed (a reader still running after its server's handler
    /// returned ends cleanly), or, on a UDP peer of a datagram <see cref="MessageServer"/>, once the peer expired
    /// after <see cref="MessageConnectionOptions.IdleTimeout"/> (the server enforces it: no exception).
    /// </returns>
    /// <exception cref="FramingException">The peer sent bytes that are not valid frames, or a frame missed its deadline; the connection is closed.</exception>
    /// <exception cref="TimeoutException">
    /// No message arrived within the idle timeout (stream connections and connected UDP sockets: only received messages
    /// count, so one that only sends still times out); the connection is closed. Never on a datagram server's UDP peer.
    /// </exception>
    /// <exception cref="ConnectionAbortedException">The connection was aborted; <see cref="Exception.InnerException"/> is the reason given to <see cref="Abort"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">Another read is in progress.</exception>
    /// <remarks>
    /// The result's <see cref="MessageReceiveResult.RemoteEndPoint"/> names the sender: on an unconnected UDP socket,
    /// the datagram's source (reply with <see cref="SendAsync(ReadOnlyMemory{byte}, EndPoint, CancellationToken)"/>);
    /// elsewhere, <see cref="RemoteEndPoint"/>.
    /// </remarks>
    public abstract ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the pending <see cref="ReceiveAsync"/>, or the next one if none is pending, return at once with
    /// <see cref="MessageReceiveResult.IsCanceled"/> (as <see cref="System.IO.Pipelines.PipeReader.CancelPendingRead"/> does).
    /// </summary>
    /// <remarks>
    /// The connection stays open and no message is lost: one that has arrived is returned by the read after.
    /// Unlike a cancelled token, the read does not throw, so a read loop can be woken to look at something else.
    /// Safe to call from any thread; several calls before a read count once.
    /// </remarks>
    public abstract void CancelPendingReceive();

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
    /// <exception cref="FramingException">The message cannot be framed (raised as soon as it passes <see cref="MaxMessageSize"/>; nothing is sent).</exception>
    /// <exception cref="ConnectionAbortedException">The connection is closed.</exception>
    /// <remarks>
    /// On a stream connection <paramref name="writeMessage"/> writes straight into the connection's output, under
    /// its send lock, and the codec fills in the frame's header afterwards: no copy for the built-in codecs
    /// (except a varint length, and a message that outgrows the output's current buffer, which are copied once).
    /// So it must be quick and must not send on the same connection; it should not wait for anything.
    /// </remarks>
    public abstract ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default);

    /// <summary>Sends one message to <paramref name="destination"/>: a reply to the sender of a datagram read from an unconnected UDP socket.</summary>
    /// <param name="message">The message's bytes (copied before this returns).</param>
    /// <param name="destination">Where to send it: an <see cref="IPEndPoint"/>, typically a received <see cref="MessageReceiveResult.RemoteEndPoint"/>.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes once the message has been handed to the transport.</returns>
    /// <exception cref="NotSupportedException">The connection has one peer (a stream, a connected UDP socket, a server's UDP peer, an in-memory pair): use <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</exception>
    /// <exception cref="FramingException">The message is larger than one datagram to <paramref name="destination"/>.</exception>
    /// <exception cref="ConnectionAbortedException">The connection is closed.</exception>
    public virtual ValueTask SendAsync(ReadOnlyMemory<byte> message, EndPoint destination, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This connection has one peer; only an unconnected UDP message connection sends to an endpoint of the caller's choice.");

    /// <summary>Sends one message, written by <paramref name="writeMessage"/>, to <paramref name="destination"/> (see <see cref="SendAsync(ReadOnlyMemory{byte}, EndPoint, CancellationToken)"/>).</summary>
    /// <typeparam name="TState">What the writer needs.</typeparam>
    /// <param name="state">Passed to <paramref name="writeMessage"/>.</param>
    /// <param name="writeMessage">Writes the message's bytes; if it throws, nothing is sent.</param>
    /// <param name="destination">Where to send it.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes once the message has been handed to the transport.</returns>
    /// <exception cref="NotSupportedException">The connection has one peer.</exception>
    /// <exception cref="FramingException">The message is larger than one datagram to <paramref name="destination"/>.</exception>
    /// <exception cref="ConnectionAbortedException">The connection is closed.</exception>
    public virtual ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, EndPoint destination, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This connection has one peer; only an unconnected UDP message connection sends to an endpoint of the caller's choice.");

    /// <summary>Finishes sending and closes the connection.</summary>
    /// <param name="cancellationToken">Stops waiting for unsent data; the connection is then aborted.</param>
    /// <returns>A task that completes once closed.</returns>
    public abstract ValueTask CloseAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops the connection at once: unsent messages are lost.</summary>
    /// <param name="reason">Why: the <see cref="Exception.InnerException"/> of the <see cref="ConnectionAbortedException"/> that pending and later reads and sends raise.</param>
    public abstract void Abort(Exception? reason = null);

    /// <summary>Closes the connection (see <see cref="CloseAsync"/>) and releases it.</summary>
    /// <returns>A task that completes once released.</returns>
    public abstract ValueTask DisposeAsync();
}
