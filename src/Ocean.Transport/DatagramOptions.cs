using Microsoft.Extensions.Logging;

namespace Ocean.Transport;

/// <summary>Settings for <see cref="DatagramSocket"/>: buffers, receive timeout, address reuse and multicast.</summary>
/// <remarks>
/// Used as the <c>Datagram</c> settings of an Ocean.Framing message server, the message server's own
/// <c>LoggerFactory</c> and <c>TimeProvider</c> apply instead of <see cref="LoggerFactory"/> and
/// <see cref="TimeProvider"/>, which must then be left at their defaults (the message server refuses options
/// that set them, rather than ignore them).
/// </remarks>
public sealed class DatagramOptions
{
    private TimeSpan _receiveTimeout = Timeout.InfiniteTimeSpan;
    private int _multicastTimeToLive = 1;

    /// <summary>
    /// How long <see cref="DatagramSocket.ReceiveAsync(CancellationToken)"/> waits for a datagram before it
    /// throws <see cref="TimeoutException"/>. Default <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    public TimeSpan ReceiveTimeout
    {
        get => _receiveTimeout;
        set => _receiveTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }

    /// <summary>The OS receive buffer (<c>SO_RCVBUF</c>) in bytes; <see langword="null"/> keeps the OS default. Datagrams that arrive while it is full are dropped by the OS.</summary>
    public int? ReceiveBufferSize { get; set; }

    /// <summary>The OS send buffer (<c>SO_SNDBUF</c>) in bytes; <see langword="null"/> keeps the OS default.</summary>
    public int? SendBufferSize { get; set; }

    /// <summary>Let several sockets bind the same port (<c>SO_REUSEADDR</c>), as multicast members on one host must. Default <see langword="false"/>.</summary>
    public bool ReuseAddress { get; set; }

    /// <summary>
    /// The network interface (by name, such as <c>lo</c> or <c>eth0</c>) that multicast is sent from and
    /// joined on. <see langword="null"/> leaves the choice to the OS routing table; on a host whose only
    /// interface is loopback, name <c>lo</c> or nothing is received.
    /// </summary>
    public string? MulticastInterface { get; set; }

    /// <summary>Hops a multicast datagram may travel (IPv4 TTL, IPv6 hop limit). Default 1: the local network only.</summary>
    public int MulticastTimeToLive
    {
        get => _multicastTimeToLive;
        set => _multicastTimeToLive = value is >= 0 and <= 255 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be 0 to 255.");
    }

    /// <summary>
    /// Deliver this host's own multicast datagrams to its own member sockets (<c>IP_MULTICAST_LOOP</c>).
    /// Default <see langword="true"/>. Sending on the loopback interface loops back regardless: <c>lo</c>
    /// itself delivers what is sent on it.
    /// </summary>
    public bool MulticastLoopback { get; set; } = true;

    /// <summary>Where log messages go; <see langword="null"/> (the default) means no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for the receive timeout; tests substitute their own.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>A copy, for a server above that fills in its own logger and clock without touching the caller's object.</summary>
    /// <returns>A shallow copy.</returns>
    internal DatagramOptions Clone() => (DatagramOptions)MemberwiseClone();
}
