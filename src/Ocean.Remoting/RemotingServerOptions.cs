using Microsoft.Extensions.Logging;
using Ocean.Marshalling;
using Ocean.Transport;

namespace Ocean.Remoting;

/// <summary>Settings of a <see cref="RemotingServer"/>.</summary>
public sealed class RemotingServerOptions
{
    private int _maxConcurrentCalls = 100;
    private int _maxMessageSize = 4 * 1024 * 1024;
    private TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(5);
    private TimeSpan _shutdownTimeout = TimeSpan.FromSeconds(30);
    private TimeSpan _leaseDuration = TimeSpan.FromMinutes(10);
    private TimeSpan? _callbackDeadline = TimeSpan.FromSeconds(30);
    private int _maxReplyCacheEntries = 10_000;
    private long _maxReplyCacheBytes = 16 * 1024 * 1024;
    private TimeSpan _replyCacheExpiry = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The marshaller that carries arguments and results: <see cref="CdrMarshaller"/> (big-endian by default) or a
    /// <see cref="GraphMarshaller"/>. <see langword="null"/> means <see cref="CdrMarshaller.Default"/>. A client using
    /// another marshaller is refused at the handshake with <see cref="RemotingProtocolError.MarshallerMismatch"/>.
    /// </summary>
    public IMarshaller? Marshaller { get; set; }

    /// <summary>
    /// How many calls from one connection run at once (default 100). A request beyond it is answered at once with
    /// <see cref="RemotingStatus.Busy"/> and not run. The limit is announced in the preamble.
    /// </summary>
    public int MaxConcurrentCallsPerConnection
    {
        get => _maxConcurrentCalls;
        set => _maxConcurrentCalls = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 1.");
    }

    /// <summary>
    /// The largest message (request or reply, after the 4-byte length prefix) this server reads or writes: 256 bytes to
    /// 1 GiB, default 4 MiB. A larger frame from a client closes its connection; a larger reply is answered with
    /// <see cref="RemotingStatus.Internal"/> instead.
    /// </summary>
    public int MaxMessageSize
    {
        get => _maxMessageSize;
        set => _maxMessageSize = value is >= 256 and <= 1 << 30 ? value : throw new ArgumentOutOfRangeException(nameof(value), "256 bytes to 1 GiB.");
    }

    /// <summary>
    /// Whether error replies carry the server's stack trace (default off: a stack tells an attacker about the server).
    /// The exception's type name and message always travel.
    /// </summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>
    /// Whether the server exports the reflection service (<see cref="IRemotingReflection"/>, under
    /// <c>ocean.reflection</c>): the names it exports and each method's signature, for tools such as <c>ocean call</c>.
    /// Off by default, as gRPC's server reflection is: it tells a caller what the server offers. Read when the server
    /// is created.
    /// </summary>
    public bool EnableReflection { get; set; }

    /// <summary>
    /// Whether methods returning a task start on the connection's read loop and run there until their first
    /// <c>await</c> (default <see langword="true"/>): a method that completes at once then replies without a thread
    /// switch, and the replies to a pipelined batch leave in one write. Synchronous methods always start on the thread
    /// pool, since they may block.
    /// </summary>
    /// <remarks>
    /// An async method that blocks before its first <c>await</c> (a synchronous wait, long computation) holds up the
    /// other calls of its connection meanwhile, and one that blocks on a call back to the same client would deadlock:
    /// offload such work with <see cref="Task.Run(Func{Task})"/>, declare the method synchronous, or set this to
    /// <see langword="false"/> so that every call starts on the thread pool.
    /// </remarks>
    public bool InlineDispatch { get; set; } = true;

    /// <summary>How long a new connection may take to send its preamble (default 5 s); then it is closed.</summary>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set => _handshakeTimeout = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Positive.");
    }

    /// <summary>How long <see cref="RemotingServer.StopAsync"/> lets calls in flight finish before closing connections (default 30 s).</summary>
    public TimeSpan ShutdownTimeout
    {
        get => _shutdownTimeout;
        set => _shutdownTimeout = value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Not negative.");
    }

    /// <summary>
    /// The lease granted on objects exported implicitly (passed by reference as a <see cref="RemoteAttribute"/>
    /// interface): default 10 minutes, as Java RMI's. Holders renew at half of it; an object whose last lease ends (its
    /// holders said clean, or went away without a word and the lease ran out) is unexported, and a later call on it gets
    /// <see cref="RemotingStatus.UnknownObject"/>, not run. Objects exported by name are never leased.
    /// </summary>
    public TimeSpan LeaseDuration
    {
        get => _leaseDuration;
        set => _leaseDuration = value >= TimeSpan.FromMilliseconds(100) ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 100 ms.");
    }

    /// <summary>
    /// The deadline of calls this server makes on the objects clients passed it (callbacks) when neither
    /// <see cref="RemoteDeadlineAttribute"/> nor <see cref="RemoteCallScope.WithDeadline"/> sets one: default 30 s, so a
    /// client that stops answering cannot hold a server method forever. <see langword="null"/> for none.
    /// </summary>
    public TimeSpan? CallbackDeadline
    {
        get => _callbackDeadline;
        set => _callbackDeadline = value is null || value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), "Positive or null.");
    }

    /// <summary>
    /// The endpoint written into the references this server hands out (Java's <c>java.rmi.server.hostname</c>): a
    /// <see cref="System.Net.DnsEndPoint"/> or <see cref="System.Net.IPEndPoint"/> others can reach. <see langword="null"/>
    /// (the default): the address a client reached this server at (the connection's local address), or for
    /// <see cref="RemotingServer.GetReference"/> the listening endpoint (the machine's host name when listening on any
    /// address). A server without an IP endpoint (a Unix socket, <see cref="RemotingServer.ServeAsync"/> only) hands out
    /// references bound to the connection unless this is set.
    /// </summary>
    public System.Net.EndPoint? AdvertisedEndPoint { get; set; }

    /// <summary>
    /// Whether a reference to an object of <b>another</b> server, arriving in a client's request, becomes a proxy (default
    /// <see langword="false"/>). A proxy renews its lease, so accepting one makes this server connect to whatever endpoint
    /// the reference names: off, such a request is refused with <see cref="RemotingStatus.BadArguments"/> (completion no)
    /// before the method runs. References to this server's own objects, and <see cref="RemoteReference"/> values (a naming
    /// service's bindings), are always accepted. At most 64 other servers are called either way.
    /// </summary>
    public bool AcceptReferencesToOtherServers { get; set; }

    /// <summary>Settings of the clients this server opens to other servers, to call objects whose references it received; <see langword="null"/> for the defaults (this server's marshaller, clock and logger).</summary>
    public RemotingClientOptions? OutboundClient { get; set; }

    /// <summary>
    /// Where the server also takes calls over UDP (one request per datagram, no connection): <see cref="RemotingServer.StartAsync"/>
    /// binds a socket there (port 0 picks a free port; <see cref="RemotingServer.UdpEndPoint"/> tells which).
    /// <see langword="null"/> (the default): no UDP.
    /// </summary>
    public System.Net.IPEndPoint? UdpEndPoint { get; set; }

    /// <summary>Settings of the UDP socket (buffers, <see cref="DatagramOptions.ReuseAddress"/> for several members on one group port, the multicast interface); <see langword="null"/> for the defaults.</summary>
    public DatagramOptions? Datagram { get; set; }

    /// <summary>
    /// Multicast groups the UDP socket joins: the server then answers group calls (<see cref="RemotingGroupClient"/>)
    /// sent to them, on objects it exports. A member that does not export the object called stays silent.
    /// </summary>
    /// <remarks>
    /// A group request carries no token (members have never met the caller), so its source address is unproven: a
    /// member runs it and answers with no more bytes than it sent, but anyone who can reach the port can have a call
    /// run. Export on a group member only what anyone may call. A server with no group here drops requests flagged as
    /// group calls (counted as malformed), so the flag cannot be used to skip the token. For a connection given to
    /// <see cref="RemotingServer.ServeAsync"/> this list only switches group calls on (that socket's owner joins).
    /// </remarks>
    public IList<System.Net.IPAddress> MulticastGroups { get; } = [];

    /// <summary>
    /// Over UDP, how many at-most-once calls the reply cache holds at once, running and finished (default 10,000), how
    /// many clients it tracks, and how many calls of any kind run at once. When full, a new call is answered <see cref="RemotingStatus.Busy"/> (completion no) and not
    /// run, rather than risking running a retransmitted one twice.
    /// </summary>
    public int MaxReplyCacheEntries
    {
        get => _maxReplyCacheEntries;
        set => _maxReplyCacheEntries = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 1.");
    }

    /// <summary>
    /// Over UDP, the bytes of replies the reply cache holds at most (default 16 MiB). A finished call whose reply does not
    /// fit is still remembered as finished (a copy of it is dropped, never run again, so its client ends with completion
    /// maybe if it lost the reply), and from then on new calls are answered <see cref="RemotingStatus.Busy"/> until
    /// acknowledgements or the expiry free bytes.
    /// </summary>
    public long MaxReplyCacheBytes
    {
        get => _maxReplyCacheBytes;
        set => _maxReplyCacheBytes = value >= 64 * 1024 ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 64 KiB.");
    }

    /// <summary>
    /// Over UDP, how long a finished call's reply stays in the cache when its client does not acknowledge it (default
    /// 2 minutes), and how long an idle client is remembered. Acknowledged replies (the client's next request says so)
    /// go at once. A retransmission, or a datagram delayed in the network, that arrives after this may run an at-most-once
    /// call again: keep it well above the clients' retry span (<see cref="RemotingClientOptions.MaxAttempts"/>).
    /// </summary>
    public TimeSpan ReplyCacheExpiry
    {
        get => _replyCacheExpiry;
        set => _replyCacheExpiry = value >= TimeSpan.FromMilliseconds(10) ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least 10 ms.");
    }

    /// <summary>Code that runs around every call, the first outermost (see <see cref="IRemoteServerInterceptor"/>).</summary>
    public IList<IRemoteServerInterceptor> Interceptors { get; } = [];

    /// <summary>
    /// The transport's settings: TLS (set <see cref="SocketServerOptions.Tls"/>; with a client certificate required it
    /// appears in <see cref="RemoteCallContext.ClientCertificate"/>), connection limits, buffers. <see langword="null"/>
    /// for the defaults. When it has no logger factory, it takes this object's.
    /// </summary>
    public SocketServerOptions? Transport { get; set; }

    /// <summary>Where the server logs; <see langword="null"/> for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for deadlines, timeouts and leases (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
