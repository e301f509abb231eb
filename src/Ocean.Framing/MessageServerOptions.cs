using Ocean.Transport;

namespace Ocean.Framing;

/// <summary>Settings for <see cref="MessageServer"/>: the message timeouts, plus the transport's own settings.</summary>
public sealed class MessageServerOptions : MessageConnectionOptions
{
    private int _maxPeers = 1024;
    private TimeSpan _peerIdleTimeout = TimeSpan.FromMinutes(1);
    private int _peerQueueCapacity = 64;

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
}
