using Microsoft.Extensions.Logging;

namespace Ocean.Transport;

/// <summary>Settings shared by client connections and the connections a server accepts.</summary>
public class ConnectionOptions
{
    private int _maxReadBufferSize = 1024 * 1024;
    private int _maxWriteBufferSize = 1024 * 1024;
    private TimeSpan _closeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Disable Nagle's algorithm on TCP sockets (default <see langword="true"/>): small writes go out at once.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>TCP keep-alive probing; <see langword="null"/> (the default) leaves it off.</summary>
    public TcpKeepAliveOptions? KeepAlive { get; set; }

    /// <summary>
    /// How many received bytes may wait unread in the input pipe before the connection stops reading from
    /// the socket (back-pressure). Default 1 MiB.
    /// </summary>
    public int MaxReadBufferSize
    {
        get => _maxReadBufferSize;
        set => _maxReadBufferSize = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// How many written bytes may wait unsent in the output pipe before <c>FlushAsync</c> waits for the
    /// socket to drain (back-pressure). Default 1 MiB.
    /// </summary>
    public int MaxWriteBufferSize
    {
        get => _maxWriteBufferSize;
        set => _maxWriteBufferSize = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// Wait for the socket to become readable before renting a receive buffer (default <see langword="true"/>),
    /// so an idle connection holds no buffer. Turning it off saves one system call per receive.
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>
    /// How long each step of a graceful close may take (default 5 seconds): first, for unsent data to drain
    /// (a peer that never reads cannot hold a close forever: the connection is then aborted); then, after
    /// the FIN, for the peer to finish too, reading and discarding what still arrives. Closing a socket with
    /// unread input makes the OS reset the connection, which can destroy data the peer has not read yet.
    /// </summary>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        set => _closeTimeout = value >= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must not be negative.");
    }

    /// <summary>Where log messages go; <see langword="null"/> (the default) means no logging at no cost.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for every timeout; tests substitute their own.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
