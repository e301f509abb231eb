using Ocean.Transport;

namespace Ocean.Framing;

/// <summary>Settings for <see cref="MessageServer"/>: the message timeouts, plus the transport's own settings.</summary>
public sealed class MessageServerOptions : MessageConnectionOptions
{
    private int _maxPeers = 1024;
    private TimeSpan _peerIdleTimeout = TimeSpan.FromMinutes(1);
    private int _peerQueueCapacity = 64;
    private long _maxQueuedDatagramBytes = 32L * 1024 * 1024;
    private long _maxBufferedBytes = 256L * 1024 * 1024;

    /// <summary>Settings of the underlying stream server (limits, TLS, shutdown); used by <see cref="MessageServer.ForStream"/>.</summary>
    public SocketServerOptions Stream { get; set; } = new();

    /// <summary>Settings of the underlying UDP socket; used by <see cref="MessageServer.ForDatagrams"/>.</summary>
    public DatagramOptions Datagram { get; set; } = new();

    /// <summary>How many UDP peers may have a message connection at once (default 1,024); datagrams from more are dropped and counted.</summary>
    public int MaxPeers
    {
        get => _maxPeers;
        set => _maxPeers = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>A UDP peer's message connection ends (its reads complete) after this long without a datagram. Default 1 minute.</summary>
    public TimeSpan PeerIdleTimeout
    {
        get => _peerIdleTimeout;
        set => _peerIdleTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
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
}
