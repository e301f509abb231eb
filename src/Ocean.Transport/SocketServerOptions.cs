using System.Net.Security;

namespace Ocean.Transport;

/// <summary>Settings for <see cref="SocketServer"/>.</summary>
/// <remarks>
/// Used as the <c>Stream</c> settings of an Ocean.Framing message server, the message server's own
/// <c>LoggerFactory</c>, <c>TimeProvider</c> and <c>ShutdownTimeout</c> apply instead of
/// <see cref="ConnectionOptions.LoggerFactory"/>, <see cref="ConnectionOptions.TimeProvider"/> and
/// <see cref="ShutdownTimeout"/>, which must then be left at their defaults (the message server refuses
/// options that set them, rather than ignore them).
/// </remarks>
public sealed class SocketServerOptions : ConnectionOptions
{
    /// <summary>The default of <see cref="ShutdownTimeout"/>.</summary>
    internal static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    private int _maxConnections = 10_000;
    private int _backlog = 512;
    private long _maxBufferedBytes = 512L * 1024 * 1024;
    private TimeSpan _idleTimeout = TimeSpan.FromMinutes(5);
    private TimeSpan _shutdownTimeout = DefaultShutdownTimeout;
    private TimeSpan _tlsHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Speak TLS on every accepted connection with these settings (server certificate, whether to ask for
    /// client certificates and how to validate them, protocol versions); <see langword="null"/> (the default)
    /// for plain TCP. The handler receives the connection once the handshake has succeeded; a failed
    /// handshake closes that connection only.
    /// </summary>
    public SslServerAuthenticationOptions? Tls { get; set; }

    /// <summary>How long a client may take to complete the TLS handshake. Default 10 seconds.</summary>
    public TimeSpan TlsHandshakeTimeout
    {
        get => _tlsHandshakeTimeout;
        set => _tlsHandshakeTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }

    /// <summary>
    /// How many connections may be open at once (default 10,000). A connection over the limit is accepted,
    /// closed at once and counted in <see cref="SocketServer.RefusedConnections"/>.
    /// </summary>
    public int MaxConnections
    {
        get => _maxConnections;
        set => _maxConnections = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// The most received bytes all of the server's connections together may hold unconsumed (received into their input
    /// pipes and not yet consumed by the application's <c>AdvanceTo</c>; for TLS, encrypted bytes not yet decrypted
    /// and decrypted bytes not yet consumed). Default 512 MiB.
    /// </summary>
    /// <remarks>
    /// Each connection is bounded by <see cref="ConnectionOptions.MaxReadBufferSize"/> too, but that times
    /// <see cref="MaxConnections"/> is no safe total. A receive that would take the server over this budget aborts
    /// the connection it arrived on, with a <see cref="ConnectionAbortedException"/> that says so (log event 107,
    /// metric <c>ocean.transport.connections.over_budget</c>); the other connections are unaffected, and what the
    /// application consumed before is never lost. Unsent output is bounded per connection only, by
    /// <see cref="ConnectionOptions.MaxWriteBufferSize"/>.
    /// </remarks>
    public long MaxBufferedBytes
    {
        get => _maxBufferedBytes;
        set => _maxBufferedBytes = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>The listen backlog: connections the OS queues before they are accepted. Default 512.</summary>
    public int Backlog
    {
        get => _backlog;
        set => _backlog = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must not be negative.");
    }

    /// <summary>
    /// A connection that neither receives nor sends a byte for this long is aborted. Default 5 minutes;
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none.
    /// </summary>
    /// <remarks>
    /// The transport's idle timeout: it counts bytes, whatever they mean, and the server's heartbeat enforces it
    /// (log event 106). Idleness at the level of messages (a connection whose peer sends bytes but no complete
    /// message, or a UDP peer) belongs to Ocean.Framing's <c>MessageConnectionOptions.IdleTimeout</c>.
    /// </remarks>
    public TimeSpan IdleTimeout
    {
        get => _idleTimeout;
        set => _idleTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }

    /// <summary>
    /// How long <see cref="SocketServer.StopAsync"/> lets running handlers finish before it aborts their
    /// connections. Default 30 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout
    {
        get => _shutdownTimeout;
        set => _shutdownTimeout = value >= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must not be negative.");
    }

    /// <summary>A copy, for a server above that fills in its own logger, clock and deadline without touching the caller's object.</summary>
    /// <returns>A shallow copy (the TLS and keep-alive settings are shared).</returns>
    internal SocketServerOptions Clone() => (SocketServerOptions)MemberwiseClone();
}
