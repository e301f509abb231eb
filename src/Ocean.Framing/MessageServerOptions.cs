using Ocean.Transport;

namespace Ocean.Framing;

/// <summary>Settings for <see cref="MessageServer"/>: the message timeouts, the server's limits and deadline, plus the transport's own settings.</summary>
/// <remarks>
/// <para>
/// Logging and the clock are set in one place: <see cref="MessageConnectionOptions.LoggerFactory"/> and
/// <see cref="MessageConnectionOptions.TimeProvider"/> here apply to every layer beneath the server (its message
/// connections, the server core, the stream server's connections or the UDP socket), and so does
/// <see cref="ShutdownTimeout"/>. The <see cref="Stream"/> and <see cref="Datagram"/> objects carry the other
/// transport settings only. The server takes a copy of all these settings when it is created (later changes to the
/// caller's objects have no effect) and never changes the caller's objects, and
/// <see cref="MessageServer.ForStream"/> and <see cref="MessageServer.ForDatagrams"/> throw
/// <see cref="ArgumentException"/> if their own logger factory, clock or shutdown timeout differ from the server's,
/// instead of silently ignoring them. The check compares values: a nested value set explicitly to the default
/// (<see cref="TimeProvider.System"/>, a 30-second shutdown timeout) cannot be told from an unset one and is replaced
/// by the server's.
/// </para>
/// <para>
/// One idle timeout per layer: <see cref="MessageConnectionOptions.IdleTimeout"/> (none by default on streams, 1 minute for UDP peers) is the
/// message-level one, for every kind of message connection, UDP peers included; <see cref="SocketServerOptions.IdleTimeout"/>
/// in <see cref="Stream"/> is the transport's, counting bytes on a stream connection.
/// </para>
/// </remarks>
public sealed class MessageServerOptions : MessageConnectionOptions
{
    private int _maxPeers = 1024;
    private int _peerQueueCapacity = 64;
    private long _maxQueuedDatagramBytes = 32L * 1024 * 1024;
    private long _maxBufferedBytes = 256L * 1024 * 1024;
    private TimeSpan _shutdownTimeout = TimeSpan.FromSeconds(30);
    private SocketServerOptions _stream = new();
    private DatagramOptions _datagram = new();

    /// <summary>Creates the default settings.</summary>
    public MessageServerOptions()
    {
    }

    /// <summary>
    /// Settings of the underlying stream server (connection limit, TLS, buffers, the transport's byte-level idle
    /// timeout); used by <see cref="MessageServer.ForStream"/>. Leave its logger factory, clock and shutdown timeout
    /// unset: this object's apply.
    /// </summary>
    public SocketServerOptions Stream
    {
        get => _stream;
        set => _stream = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Settings of the underlying UDP socket (buffers, address reuse); used by <see cref="MessageServer.ForDatagrams"/>.
    /// Leave its logger factory and clock unset: this object's apply.
    /// </summary>
    public DatagramOptions Datagram
    {
        get => _datagram;
        set => _datagram = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// How long <see cref="MessageServer.StopAsync"/> lets running handlers finish before it aborts their connections,
    /// for stream and datagram servers alike. Default 30 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout
    {
        get => _shutdownTimeout;
        set => _shutdownTimeout = value >= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must not be negative.");
    }

    /// <summary>
    /// How many UDP peers' handlers may run at once (default 1,024); datagrams from new peers beyond that are dropped
    /// and counted. A peer counts from its first datagram until its handler returns, even after it expired or closed.
    /// </summary>
    public int MaxPeers
    {
        get => _maxPeers;
        set => _maxPeers = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>Datagrams queued per UDP peer before its handler reads them (default 64); more are dropped and counted, as UDP would.</summary>
    public int PeerQueueCapacity
    {
        get => _peerQueueCapacity;
        set => _peerQueueCapacity = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// How many bytes of received datagrams a UDP server may hold at once, across all its peers' queues
    /// (default 32 MiB). Each queued datagram counts at the size of the pooled buffer holding it, from arrival
    /// until its handler reads the next one. A datagram that does not fit is dropped and counted
    /// (<c>ocean.framing.datagrams.dropped</c>, reason <c>byte_limit</c>): <see cref="MaxPeers"/> ×
    /// <see cref="PeerQueueCapacity"/> full-size datagrams would otherwise be about 4 GiB.
    /// </summary>
    public long MaxQueuedDatagramBytes
    {
        get => _maxQueuedDatagramBytes;
        set => _maxQueuedDatagramBytes = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// How many bytes of partial frames the connections of a stream server may buffer together beyond each
    /// connection's own <see cref="ConnectionOptions.MaxReadBufferSize"/> (default 256 MiB). A frame longer
    /// than the read buffer has to be held whole before it is delivered; the connection reserves what it
    /// holds beyond its read buffer from this budget, and one that finds the budget used up is closed with
    /// <see cref="FramingError.BufferBudgetExhausted"/> (other connections go on). Without it,
    /// <see cref="SocketServerOptions.MaxConnections"/> peers each announcing a maximum-size frame could make
    /// the server hold that many maximum frames.
    /// </summary>
    public long MaxBufferedBytes
    {
        get => _maxBufferedBytes;
        set => _maxBufferedBytes = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// A copy the server works on, so changes to the caller's object after the server was created have no effect
    /// (<see cref="Stream"/> and <see cref="Datagram"/> are copied too).
    /// </summary>
    /// <returns>A copy of these settings.</returns>
    internal MessageServerOptions Snapshot()
    {
        var copy = new MessageServerOptions
        {
            _maxPeers = _maxPeers,
            _peerQueueCapacity = _peerQueueCapacity,
            _maxQueuedDatagramBytes = _maxQueuedDatagramBytes,
            _maxBufferedBytes = _maxBufferedBytes,
            _shutdownTimeout = _shutdownTimeout,
            _stream = _stream.Clone(),
            _datagram = _datagram.Clone(),
        };
        CopyTo(copy);
        return copy;
    }

    /// <summary>The stream server's settings with this object's logger factory, clock and deadline; the caller's object is not changed.</summary>
    /// <returns>A copy of <see cref="Stream"/>.</returns>
    /// <exception cref="ArgumentException"><see cref="Stream"/> sets a logger factory, clock or shutdown timeout of its own.</exception>
    internal SocketServerOptions StreamServerOptions()
    {
        var stream = _stream;
        RefuseOwn(stream.LoggerFactory, stream.TimeProvider, "Stream");
        if (stream.ShutdownTimeout != SocketServerOptions.DefaultShutdownTimeout && stream.ShutdownTimeout != ShutdownTimeout)
        {
            throw new ArgumentException("Set ShutdownTimeout on the MessageServerOptions, not on its Stream options: the server's deadline applies to every layer.");
        }

        var copy = stream.Clone();
        copy.LoggerFactory = LoggerFactory;
        copy.TimeProvider = TimeProvider;
        copy.ShutdownTimeout = ShutdownTimeout;
        return copy;
    }

    /// <summary>The UDP socket's settings with this object's logger factory and clock; the caller's object is not changed.</summary>
    /// <returns>A copy of <see cref="Datagram"/>.</returns>
    /// <exception cref="ArgumentException"><see cref="Datagram"/> sets a logger factory or clock of its own.</exception>
    internal DatagramOptions DatagramSocketOptions()
    {
        RefuseOwn(_datagram.LoggerFactory, _datagram.TimeProvider, "Datagram");
        var copy = _datagram.Clone();
        copy.LoggerFactory = LoggerFactory;
        copy.TimeProvider = TimeProvider;
        return copy;
    }

    // A logger or clock set on a nested object and then ignored would be a silent surprise: refuse it, unless it is this one.
    private void RefuseOwn(Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory, TimeProvider timeProvider, string property)
    {
        if (loggerFactory is not null && !ReferenceEquals(loggerFactory, LoggerFactory))
        {
            throw new ArgumentException($"Set LoggerFactory on the MessageServerOptions, not on its {property} options: it applies to every layer of the server.");
        }

        if (!ReferenceEquals(timeProvider, TimeProvider.System) && !ReferenceEquals(timeProvider, TimeProvider))
        {
            throw new ArgumentException($"Set TimeProvider on the MessageServerOptions, not on its {property} options: it applies to every layer of the server.");
        }
    }
}
