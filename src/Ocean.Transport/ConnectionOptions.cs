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
    /// How many received bytes may wait in the input pipe unexamined before the connection stops reading from
    /// the socket (back-pressure). Default 1 MiB. Applies to TLS connections too (to the decrypted bytes).
    /// </summary>
    /// <remarks>
    /// The bound counts bytes the reader has not examined (<c>AdvanceTo(consumed, examined)</c>), as
    /// System.IO.Pipelines' pause threshold does: a reader that examines everything without consuming it (a frame
    /// decoder waiting for the rest of a frame) makes room for more, so the buffer can grow past this size. Bounding
    /// that is the reader's job: Ocean.Framing's codecs bound it by their maximum frame length.
    /// </remarks>
    public int MaxReadBufferSize
    {
        get => _maxReadBufferSize;
        set => _maxReadBufferSize = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// How many written bytes may wait unsent in the output pipe before <c>FlushAsync</c> waits for the
    /// socket to drain (back-pressure). Default 1 MiB. A TLS connection has two such pipes, one before encryption
    /// and one after, each bounded by this size.
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

    /// <summary>Where the connection's pipes rent their segments; <see langword="null"/> (the default) for the shared array pool. For tests that count what a peer makes a connection hold.</summary>
    internal System.Buffers.MemoryPool<byte>? MemoryPool { get; set; }

    /// <summary>
    /// How long each step of a graceful close may take (default 5 seconds): first, for unsent data to drain
    /// (a peer that never reads cannot hold a close forever: the connection is then aborted); then, after
    /// the FIN, for the peer to finish too, reading and discarding what still arrives. Closing a socket with
    /// unread input makes the OS reset the connection, which can destroy data the peer has not read yet.
    /// </summary>
    /// <remarks>
    /// So closing a connection whose peer stays silent and open takes this long. A stopping
    /// <see cref="SocketServer"/> does not wait for the FIN of a peer with nothing waiting unread in the socket
    /// (closing then sends a FIN, not a reset); it still lingers for a peer whose bytes are waiting.
    /// </remarks>
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
