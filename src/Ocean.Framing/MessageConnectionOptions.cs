using Microsoft.Extensions.Logging;

namespace Ocean.Framing;

/// <summary>Timeouts and observability for <see cref="MessageConnection"/>.</summary>
public class MessageConnectionOptions
{
    private TimeSpan _frameTimeout = TimeSpan.FromSeconds(30);
    private TimeSpan? _idleTimeout;
    private int _maxHeldReplyBytes = 64 * 1024;

    /// <summary>
    /// How long one frame may take to arrive, counted from its first byte (default 30 seconds). A peer that
    /// sends a length prefix and stalls, or drips a line a byte at a time, gets <see cref="FramingError.FrameTimeout"/>
    /// and its connection closed. Stream connections only: a datagram arrives whole or not at all.
    /// </summary>
    public TimeSpan FrameTimeout
    {
        get => _frameTimeout;
        set => _frameTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }

    /// <summary>
    /// Framing's idle timeout: how long a message connection may go without a message before it is closed.
    /// Default <see cref="Timeout.InfiniteTimeSpan"/>, except for the UDP peers of a datagram <see cref="MessageServer"/>:
    /// when this is left unset they expire after 1 minute, since a server cannot otherwise learn that a UDP peer left.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The one message-level idle timeout, for every kind of message connection. On a stream connection and a
    /// connected datagram socket the read enforces it: a read that waits this long between messages fails with
    /// <see cref="TimeoutException"/> and closes the connection. Only received messages count there: a server that
    /// streams to a client which sends nothing gets the <see cref="TimeoutException"/> all the same. On a UDP peer of a datagram
    /// <see cref="MessageServer"/> the server enforces it: a peer that neither sends nor receives a datagram for
    /// this long expires (its reads return <see cref="MessageReceiveResult.IsCompleted"/>, no exception; log event 504)
    /// and its next datagram starts a new connection. There sending to the peer counts as activity too, so a handler
    /// that answers a slow request in time keeps its peer.
    /// </para>
    /// <para>
    /// Byte-level idleness of a stream connection is the transport's (<see cref="Ocean.Transport.SocketServerOptions.IdleTimeout"/>).
    /// </para>
    /// </remarks>
    public TimeSpan IdleTimeout
    {
        get => _idleTimeout ?? Timeout.InfiniteTimeSpan;
        set => _idleTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }

    /// <summary>
    /// How many bytes of replies a stream connection may hold back to send together with the rest of a pipelined
    /// batch (default 64 KiB). A reply sent while more received messages are already buffered is held until the
    /// reader next waits or 1 ms passes; the send that takes the held bytes past this size flushes them at once and
    /// waits for the transport like any flush, so a peer that pipelines requests without reading its replies meets
    /// back-pressure by bytes, not only by time. Datagram connections hold nothing.
    /// </summary>
    public int MaxHeldReplyBytes
    {
        get => _maxHeldReplyBytes;
        set => _maxHeldReplyBytes = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>Where log messages go; <see langword="null"/> (the default) means no logging.</summary>
    /// <remarks>In <see cref="MessageServerOptions"/>, it applies to every layer beneath the server.</remarks>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for every timeout; tests substitute their own.</summary>
    /// <remarks>In <see cref="MessageServerOptions"/>, it applies to every layer beneath the server.</remarks>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The idle timeout UDP peers of a datagram server get when <see cref="IdleTimeout"/> was left unset.</summary>
    internal static readonly TimeSpan DefaultPeerIdleTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Copies these settings (an unset <see cref="IdleTimeout"/> stays unset) into <paramref name="target"/>.</summary>
    private protected void CopyTo(MessageConnectionOptions target)
    {
        target._frameTimeout = _frameTimeout;
        target._idleTimeout = _idleTimeout;
        target._maxHeldReplyBytes = _maxHeldReplyBytes;
        target.LoggerFactory = LoggerFactory;
        target.TimeProvider = TimeProvider;
    }

    /// <summary><see cref="IdleTimeout"/> if it was set, else <paramref name="unsetDefault"/>.</summary>
    internal TimeSpan IdleTimeoutOr(TimeSpan unsetDefault) => _idleTimeout ?? unsetDefault;
}
