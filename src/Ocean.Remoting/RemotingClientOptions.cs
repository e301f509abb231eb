using Microsoft.Extensions.Logging;
using Ocean.Marshalling;
using Ocean.Transport;

namespace Ocean.Remoting;

/// <summary>Settings of a <see cref="RemotingClient"/>.</summary>
public sealed class RemotingClientOptions
{
    private TimeSpan? _defaultDeadline;
    private int _maxMessageSize = 4 * 1024 * 1024;
    private TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);
    private TimeSpan _reconnectDelay = TimeSpan.FromMilliseconds(100);
    private TimeSpan _maxReconnectDelay = TimeSpan.FromSeconds(5);
    private TimeSpan _pingInterval = TimeSpan.FromSeconds(30);
    private TimeSpan _pingTimeout = TimeSpan.FromSeconds(10);
    private int _maxConcurrentCallbacks = 100;
    private TimeSpan _leaseDuration = TimeSpan.FromMinutes(10);
    private TimeSpan _retransmitInterval = TimeSpan.FromMilliseconds(200);
    private TimeSpan _maxRetransmitInterval = TimeSpan.FromSeconds(2);
    private int _maxAttempts = 5;

    /// <summary>The marshaller; it must be the server's (see <see cref="RemotingServerOptions.Marshaller"/>). <see langword="null"/>: <see cref="CdrMarshaller.Default"/>.</summary>
    public IMarshaller? Marshaller { get; set; }

    /// <summary>
    /// The deadline of every call that sets none of its own (<see cref="RemoteDeadlineAttribute"/>,
    /// <see cref="RemoteCallScope.WithDeadline"/>); <see langword="null"/> (the default) for none.
    /// </summary>
    public TimeSpan? DefaultDeadline
    {
        get => _defaultDeadline;
        set => _defaultDeadline = value is null || value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Positive or null.");
    }

    /// <summary>The largest message this client reads or writes (256 bytes to 1 GiB, default 4 MiB); a larger request fails with <see cref="RemotingStatus.BadArguments"/> before it is sent.</summary>
    public int MaxMessageSize
    {
        get => _maxMessageSize;
        set => _maxMessageSize = value is >= 256 and <= 1 << 30 ? value : throw new ArgumentOutOfRangeException(nameof(value), "256 bytes to 1 GiB.");
    }

    /// <summary>How long connecting and the handshake may take together (default 10 s).</summary>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        set => _connectTimeout = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Positive.");
    }

    /// <summary>
    /// The wait before reconnecting after a failed connection attempt (default 100 ms); it doubles with each failure
    /// in a row, up to <see cref="MaxReconnectDelay"/>. During the wait calls fail at once with
    /// <see cref="RemotingStatus.Unavailable"/> and completion <see cref="CompletionStatus.No"/>.
    /// </summary>
    public TimeSpan ReconnectDelay
    {
        get => _reconnectDelay;
        set => _reconnectDelay = value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Not negative.");
    }

    /// <summary>The longest wait between reconnection attempts (default 5 s).</summary>
    public TimeSpan MaxReconnectDelay
    {
        get => _maxReconnectDelay;
        set => _maxReconnectDelay = value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Not negative.");
    }

    /// <summary>
    /// After this long without a message from the server, the client sends a ping (default 30 s);
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns pings off.
    /// </summary>
    public TimeSpan PingInterval
    {
        get => _pingInterval;
        set => _pingInterval = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan ? value : throw new ArgumentOutOfRangeException(nameof(value), "Positive or infinite.");
    }

    /// <summary>
    /// How long a ping may go unanswered before the connection is taken as dead (default 10 s): it is closed, its calls
    /// fail with <see cref="RemotingStatus.Unavailable"/> and completion <see cref="CompletionStatus.Maybe"/>, and the
    /// next call reconnects. So a half-open peer is found within <see cref="PingInterval"/> + <see cref="PingTimeout"/>.
    /// </summary>
    public TimeSpan PingTimeout
    {
        get => _pingTimeout;
        set => _pingTimeout = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Positive.");
    }

    /// <summary>
    /// Exception types rethrown as themselves when a remote method throws one (matched by full type name), instead of
    /// <see cref="RemotingException"/>: a caller can then catch, say, <see cref="ArgumentException"/> as if the call were
    /// local. The rethrown exception has the remote message, and the <see cref="RemotingException"/> (status, completion,
    /// remote stack) as its <see cref="Exception.InnerException"/>. Each type needs a public constructor taking a message
    /// and an inner exception; the server always sends type names and messages, so this list is what both sides allow.
    /// Empty by default: every remote exception arrives as <see cref="RemotingException"/>.
    /// </summary>
    public IList<Type> RethrownExceptions { get; } = [];

    /// <summary>
    /// Whether the code after <c>await</c> on a call runs on the connection's read loop, as soon as the reply is read
    /// (default <see langword="false"/>: it runs on the thread pool). Inline is faster (no thread switch, and requests
    /// made by that code leave together with others in one write), but that code then holds up every reply of the
    /// connection while it runs, and if it blocks on another call over the same client it waits for the very loop it
    /// blocks. A synchronous remote method called there is refused with <see cref="InvalidOperationException"/>; other
    /// blocking (<c>.Result</c>, <c>.Wait()</c> on a call) cannot be seen and deadlocks until the call's deadline. Turn
    /// it on only when the code after your awaits never blocks.
    /// </summary>
    public bool InlineContinuations { get; set; }

    /// <summary>
    /// How many calls from the server on this client's own objects (callbacks: objects of a <see cref="RemoteAttribute"/>
    /// interface the client passed) run at once on one connection (default 100); beyond it a callback is answered
    /// <see cref="RemotingStatus.Busy"/> and not run. Announced in the preamble. Callbacks run on the thread pool.
    /// </summary>
    public int MaxConcurrentCallbacks
    {
        get => _maxConcurrentCallbacks;
        set => _maxConcurrentCallbacks = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 1.");
    }

    /// <summary>
    /// The lease this client grants on the objects it passes by reference (default 10 minutes, as Java RMI's): a server
    /// holding a proxy for one renews it; when no lease is left the object is unexported. The objects also go when their
    /// connection closes, since they are bound to it.
    /// </summary>
    public TimeSpan LeaseDuration
    {
        get => _leaseDuration;
        set => _leaseDuration = value >= TimeSpan.FromMilliseconds(100) ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 100 ms.");
    }

    /// <summary>
    /// Over UDP, how long a call waits for its reply before sending its request again (default 200 ms); the wait doubles
    /// after each attempt, up to <see cref="MaxRetransmitInterval"/>. The hello that opens a UDP client is retransmitted
    /// the same way.
    /// </summary>
    public TimeSpan RetransmitInterval
    {
        get => _retransmitInterval;
        set => _retransmitInterval = value >= TimeSpan.FromMilliseconds(1) ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 1 ms.");
    }

    /// <summary>The longest wait between two attempts of one call over UDP (default 2 s).</summary>
    public TimeSpan MaxRetransmitInterval
    {
        get => _maxRetransmitInterval;
        set => _maxRetransmitInterval = value >= TimeSpan.FromMilliseconds(1) ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 1 ms.");
    }

    /// <summary>
    /// How many times a call's request is sent at most, the first time included (default 5, 1 to 100). Over UDP every
    /// call but a <see cref="OneWayAttribute"/> one is retransmitted until its reply arrives or this many attempts went
    /// unanswered; it then fails with <see cref="RemotingStatus.Unavailable"/> and completion
    /// <see cref="CompletionStatus.Maybe"/>. Over TCP only <see cref="IdempotentAttribute"/> calls are sent again, on a
    /// new connection, when the connection was lost before their reply came.
    /// </summary>
    /// <remarks>
    /// With the defaults a call gives up after 200 + 400 + 800 + 1,600 + 2,000 ms = 5 s. Keep that well below the
    /// server's <see cref="RemotingServerOptions.ReplyCacheExpiry"/>: a retransmission arriving after its cached reply
    /// expired would run an at-most-once call again.
    /// </remarks>
    public int MaxAttempts
    {
        get => _maxAttempts;
        set => _maxAttempts = value is >= 1 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(value), "1 to 100.");
    }

    /// <summary>Code that runs around every call, the first outermost (see <see cref="IRemoteClientInterceptor"/>).</summary>
    public IList<IRemoteClientInterceptor> Interceptors { get; } = [];

    /// <summary>Settings of the UDP socket of a client from <see cref="RemotingClient.ConnectUdpAsync"/> or <see cref="RemotingGroupClient"/> (buffers, the multicast interface and time to live); <see langword="null"/> for the defaults.</summary>
    public DatagramOptions? Datagram { get; set; }

    /// <summary>The transport's settings (TLS with <see cref="SocketConnectorOptions.Tls"/>, a client certificate among them); <see langword="null"/> for the defaults.</summary>
    public SocketConnectorOptions? Transport { get; set; }

    /// <summary>Where the client logs; <see langword="null"/> for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for deadlines, pings, reconnection delays and leases.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
