using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Internal;
using Ocean.Remoting.Internal.Datagrams;
using Ocean.Remoting.Protocol;
using Ocean.Transport;

namespace Ocean.Remoting;

/// <summary>
/// Serves exported objects to remote callers: listens on an endpoint (TCP, TLS or a Unix socket, from
/// <see cref="RemotingServerOptions.Transport"/>) and also serves any <see cref="MessageConnection"/> handed to
/// <see cref="ServeAsync"/> (an in-memory pair in tests).
/// </summary>
/// <remarks>
/// <para>Each connection opens with the preamble exchange (see the assembly's README); a foreign client (HTTP, TLS to
/// a plain port, a Java writeUTF client, a port scanner) gets a short refusal in its own protocol and is closed.</para>
/// <para>Calls on one connection run concurrently on the thread pool, up to
/// <see cref="RemotingServerOptions.MaxConcurrentCallsPerConnection"/>; beyond it a request is answered at once with
/// <see cref="RemotingStatus.Busy"/>. Unknown objects and methods, unreadable arguments and methods that throw each
/// get their own error reply; none closes the connection. A request that breaks the protocol closes its connection
/// only.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 7000));
/// server.Export&lt;ICalculator&gt;(new Calculator(), "calculator");
/// await server.StartAsync();
/// </code>
/// </example>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
public sealed class RemotingServer : IAsyncDisposable
{
    /// <summary>How long closing the connections may take once calls have finished or been cancelled (the client's FIN, unsent replies).</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly RemotingServerOptions _options;
    private readonly ConnectionSettings _settings;
    private readonly ObjectSpace _space;
    private readonly SocketServer? _listener;
    private readonly Lock _lock = new();
    private readonly HashSet<RemotingConnection> _connections = [];
    private readonly List<DatagramHost> _datagramHosts = [];
    private readonly ILogger _logger;
    private IPEndPoint? _udpEndPoint;
    private readonly CancellationTokenSource _stopped = new();
    private volatile bool _stopping;
    private Task? _stopTask;
    private CancellationTokenSource? _closing;

    /// <summary>A server that listens on <paramref name="endPoint"/> once started (port 0 picks a free port).</summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    public RemotingServer(EndPoint endPoint, RemotingServerOptions? options = null)
        : this(options)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var transport = _options.Transport ?? new SocketServerOptions();
        transport.LoggerFactory ??= _options.LoggerFactory;
        _listener = new SocketServer(endPoint, HandleAsync, transport);
    }

    /// <summary>A server that does not listen: it serves only the connections given to <see cref="ServeAsync"/>.</summary>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    public RemotingServer(RemotingServerOptions? options = null)
    {
        _options = options ?? new RemotingServerOptions();
        var marshaller = ReferenceSurrogates.Install(_options.Marshaller ?? CdrMarshaller.Default);
        _logger = _options.LoggerFactory?.CreateLogger("Ocean.Remoting.RemotingServer") ?? NullLogger.Instance;
        var outbound = _options.OutboundClient ?? new RemotingClientOptions
        {
            Marshaller = _options.Marshaller,
            LoggerFactory = _options.LoggerFactory,
            TimeProvider = _options.TimeProvider,
        };
        _space = new ObjectSpace(ServerIncarnation.New(_options.TimeProvider), marshaller, _logger, _options.TimeProvider, _options.LeaseDuration, Advertise, endPoint => RemotingClient.CreateUnconnected(endPoint, outbound, _space!), _options.AcceptReferencesToOtherServers);
        _settings = new ConnectionSettings
        {
            Marshaller = marshaller,
            MarshallerId = MarshallerIdentity.Of(marshaller),
            MaxFrameLength = _options.MaxMessageSize, // announced in the preamble: the largest message, prefix excluded
            MaxConcurrentCalls = _options.MaxConcurrentCallsPerConnection,
            Space = _space,
            DefaultDeadline = _options.CallbackDeadline,
            DetailedErrors = _options.EnableDetailedErrors,
            InlineDispatch = _options.InlineDispatch,
            ServerInterceptors = [.. _options.Interceptors],
            Logger = _logger,
            TimeProvider = _options.TimeProvider,
        };
        if (_options.EnableReflection)
        {
            Export<IRemotingReflection>(new ReflectionService(_space), IRemotingReflection.WellKnownName);
        }
    }

    /// <summary>The endpoint of the server's UDP socket (<see cref="RemotingServerOptions.UdpEndPoint"/>, with the port chosen), once started.</summary>
    /// <exception cref="InvalidOperationException">The server takes no calls over UDP, or has not been started.</exception>
    public IPEndPoint UdpEndPoint => _udpEndPoint ?? throw new InvalidOperationException("This server does not serve UDP (set RemotingServerOptions.UdpEndPoint), or has not been started.");

    /// <summary>What the server's UDP side has seen (summed over its UDP sockets and the unreliable connections given to <see cref="ServeAsync"/>).</summary>
    public DatagramServerStatistics DatagramStatistics
    {
        get
        {
            DatagramHost[] hosts;
            lock (_lock)
            {
                hosts = [.. _datagramHosts];
            }

            var total = default(DatagramServerStatistics);
            foreach (var host in hosts)
            {
                var s = host.Statistics;
                total = new DatagramServerStatistics(
                    total.Received + s.Received, total.Malformed + s.Malformed, total.Unvalidated + s.Unvalidated, total.Duplicates + s.Duplicates, total.Replayed + s.Replayed,
                    total.Busy + s.Busy, total.Calls + s.Calls, total.CacheEntries + s.CacheEntries, total.CacheBytes + s.CacheBytes, total.Clients + s.Clients);
            }

            return total;
        }
    }

    /// <summary>The endpoint the server listens on (with the port chosen, if 0 was asked for).</summary>
    /// <exception cref="InvalidOperationException">The server does not listen, or has not been started.</exception>
    public EndPoint EndPoint => _listener?.EndPoint ?? throw new InvalidOperationException("This server does not listen on an endpoint.");

    /// <summary>This run of the server: references it hands out name it, so one kept from an earlier run is known to be stale.</summary>
    public ServerIncarnation Incarnation => _space.Incarnation;

    /// <summary>This server's objects (for tests).</summary>
    internal ObjectSpace Space => _space;

    /// <summary>The connections open now (after their handshake).</summary>
    public int ActiveConnections
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Exports <paramref name="instance"/> under <paramref name="name"/>: callers reach it through interface <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The remote interface (both sides share it).</typeparam>
    /// <param name="instance">The object that runs the calls; called concurrently from the thread pool.</param>
    /// <param name="name">1 to 255 UTF-8 bytes.</param>
    /// <exception cref="ArgumentException">The name is empty or too long, or <typeparamref name="T"/> is not an interface.</exception>
    /// <exception cref="NotSupportedException">A member of <typeparamref name="T"/> cannot be remoted (the message says which and why).</exception>
    /// <exception cref="InvalidOperationException">Two methods' ids collide, or the name is taken.</exception>
    public void Export<T>(T instance, string name)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(name);
        var length = System.Text.Encoding.UTF8.GetByteCount(name);
        if (length is < 1 or > 255)
        {
            throw new ArgumentException($"An export name takes 1 to 255 UTF-8 bytes; '{name}' takes {length}.", nameof(name));
        }

        if (name == ObjectSpace.DgcName)
        {
            throw new ArgumentException($"'{ObjectSpace.DgcName}' is reserved for the built-in lease service.", nameof(name));
        }

        var description = RemoteInterface.Get(typeof(T), _settings.Marshaller);
        foreach (var method in description.Methods)
        {
            method.PrepareInvoker();
        }

        _space.ExportNamed(name, description, instance);
    }

    /// <summary>
    /// The reference of the object exported under <paramref name="name"/> (its printed form is
    /// <c>ocean://HOST:PORT/INCARNATION/OBJECT?interface=NAME</c>): what a naming service binds, and what
    /// <see cref="RemotingClient.GetProxy{T}(RemoteReference)"/> turns into a proxy. It names this run of the server: after
    /// a restart it is stale, and calls on it are refused as such.
    /// </summary>
    /// <param name="name">The export name.</param>
    /// <returns>The reference, with <see cref="RemotingServerOptions.AdvertisedEndPoint"/> or the listening endpoint.</returns>
    /// <exception cref="KeyNotFoundException">Nothing is exported under <paramref name="name"/>.</exception>
    /// <exception cref="InvalidOperationException">The server has no IP endpoint (set <see cref="RemotingServerOptions.AdvertisedEndPoint"/>).</exception>
    public RemoteReference GetReference(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _space.GetReference(name);
    }

    /// <summary>Stops exporting the object under <paramref name="name"/>: later calls get <see cref="RemotingStatus.UnknownObject"/>; calls running go on.</summary>
    /// <param name="name">The name.</param>
    /// <returns>Whether an object was exported under it.</returns>
    public bool Unexport(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name != ObjectSpace.DgcName && _space.UnexportNamed(name);
    }

    /// <summary>Starts listening (TCP, TLS or a Unix socket), and serving UDP if <see cref="RemotingServerOptions.UdpEndPoint"/> is set.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the server accepts connections and datagrams.</returns>
    /// <exception cref="InvalidOperationException">The server has neither an endpoint to listen on nor a UDP endpoint.</exception>
    /// <exception cref="TransportException">The UDP endpoint could not be bound (in use, say), or a multicast group not joined.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_listener is null && _options.UdpEndPoint is null)
        {
            throw new InvalidOperationException("This server does not listen on an endpoint; hand it connections with ServeAsync.");
        }

        if (_options.UdpEndPoint is { } udp)
        {
            var datagram = _options.Datagram ?? new DatagramOptions();
            datagram.LoggerFactory ??= _options.LoggerFactory;
            var socket = DatagramSocket.Bind(udp, datagram);
            try
            {
                foreach (var group in _options.MulticastGroups)
                {
                    socket.JoinMulticastGroup(group);
                }
            }
            catch
            {
                await socket.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _udpEndPoint = socket.LocalEndPoint;
            var connection = MessageConnection.Create(socket, socket.LocalEndPoint, new MessageConnectionOptions { LoggerFactory = _options.LoggerFactory, TimeProvider = _options.TimeProvider });
            StartDatagramHost(connection);
            Log.ListeningUdp(_logger, socket.LocalEndPoint.ToString(), _settings.Marshaller.Name);
        }

        if (_listener is not null)
        {
            await _listener.StartAsync(cancellationToken).ConfigureAwait(false);
            Log.Listening(_logger, _listener.EndPoint.ToString() ?? "?", _settings.Marshaller.Name);
        }
    }

    private DatagramHost StartDatagramHost(MessageConnection connection)
    {
        var host = new DatagramHost(connection, _settings, new DatagramHostOptions(_options.MaxReplyCacheEntries, _options.MaxReplyCacheBytes, _options.ReplyCacheExpiry, _options.MulticastGroups.Count > 0), () => _stopping);
        lock (_lock)
        {
            _datagramHosts.Add(host);
        }

        host.Start();
        if (_stopping)
        {
            host.BeginDrain();
        }

        return host;
    }

    /// <summary>
    /// Serves one message connection (the in-memory pair, say): the preamble is its first message each way; returns when
    /// the connection closes. The server takes ownership of <paramref name="connection"/>.
    /// </summary>
    /// <param name="connection">
    /// A reliable, ordered message connection; or an unreliable one (<see cref="MessageConnection.IsReliable"/> false: an
    /// unconnected UDP socket, perhaps behind a <see cref="FaultInjectingConnection"/>), served as the UDP endpoint is:
    /// one request per datagram, replies to each datagram's sender.
    /// </param>
    /// <param name="cancellationToken">Closes the connection when cancelled.</param>
    /// <returns>A task that completes once the connection has closed.</returns>
    public async Task ServeAsync(MessageConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!connection.IsReliable)
        {
            var host = StartDatagramHost(connection);
            using (cancellationToken.UnsafeRegister(static s => _ = ((DatagramHost)s!).DisposeAsync().AsTask(), host))
            {
                await host.Completion.ConfigureAwait(false);
            }

            return;
        }

        Handshake.ServerOutcome outcome;
        using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            try
            {
                outcome = await Handshake.ServerAsync(connection, _settings.MarshallerId, Answer, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or OceanException)
            {
                Log.HandshakeRefused(_logger, connection.Id, e.Message);
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }

        if (!outcome.Accepted)
        {
            Log.HandshakeRefused(_logger, connection.Id, outcome.Reason);
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await RunAsync(new RemotingConnection(connection, _settings, outcome.Client), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops gracefully: stops accepting connections, tells every client go-away (new calls are answered
    /// <see cref="RemotingStatus.Unavailable"/> with completion no, so clients retry elsewhere), lets calls in flight
    /// finish for up to <see cref="RemotingServerOptions.ShutdownTimeout"/>, then cancels what still runs and closes.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait for calls in flight early.</param>
    /// <returns>A task that completes once every connection has closed.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _stopping = true;
            _stopTask ??= StopCoreAsync(cancellationToken);
            return _stopTask;
        }
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes once stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopped.Dispose();
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        RemotingConnection[] connections;
        lock (_lock)
        {
            connections = [.. _connections];
        }

        foreach (var connection in connections)
        {
            connection.BeginDrain("The server is stopping.");
        }

        DatagramHost[] hosts;
        lock (_lock)
        {
            hosts = [.. _datagramHosts];
        }

        foreach (var host in hosts)
        {
            host.BeginDrain();
        }

        try
        {
            await Task.WhenAll(connections.Select(c => c.WhenIdleAsync()).Concat(hosts.Select(h => h.WhenIdleAsync())))
                .WaitAsync(_options.ShutdownTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // calls still running past the deadline are cancelled below
        }

        // Cleans for the callbacks this server still holds go out while their connections are open (bounded).
        await _space.StopRenewingAsync().ConfigureAwait(false);

        // Every close from here on is bounded by one deadline: a graceful close lingers for the client's FIN, and the first
        // close of a connection is the one that waits (a second caller's token is not looked at).
        _closing = new CancellationTokenSource(CloseTimeout, _options.TimeProvider);
        await _stopped.CancelAsync().ConfigureAwait(false);
        lock (_lock)
        {
            connections = [.. _connections];
        }

        foreach (var connection in connections)
        {
            connection.CancelRunningCalls();
        }

        foreach (var host in hosts)
        {
            host.CancelRunningCalls();
            await host.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(connections.Select(c => c.CloseGracefullyAsync(_closing.Token).AsTask())).ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await _space.DisposeAsync().ConfigureAwait(false);
    }

    // The endpoint put in references: the one configured; else the address the client reached (a connection's local
    // address); else the listening endpoint, with the host name for a wildcard address. None without an IP listener.
    private EndPoint? Advertise(RemotingConnection? connection)
    {
        if (_options.AdvertisedEndPoint is { } advertised)
        {
            return advertised;
        }

        if (_listener is null || _listener.EndPoint is not IPEndPoint listening)
        {
            return null;
        }

        if (connection?.LocalEndPoint is IPEndPoint local && local.Port == listening.Port)
        {
            return local;
        }

        return listening.Address.Equals(IPAddress.Any) || listening.Address.Equals(IPAddress.IPv6Any)
            ? new DnsEndPoint(Dns.GetHostName(), listening.Port)
            : listening;
    }

    private async ValueTask HandleAsync(Connection raw, CancellationToken stopping)
    {
        Handshake.ServerOutcome outcome;
        using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping))
        {
            try
            {
                outcome = await Handshake.ServerAsync(raw, _settings.MarshallerId, Answer, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or OceanException or IOException)
            {
                Log.HandshakeRefused(_logger, raw.Id, timeout.IsCancellationRequested ? $"no preamble within {_options.HandshakeTimeout}" : e.Message);
                raw.Abort();
                return;
            }
        }

        if (!outcome.Accepted)
        {
            Log.HandshakeRefused(_logger, raw.Id, outcome.Reason);
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(1), _options.TimeProvider);
            try
            {
                await raw.CloseAsync(closing.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                raw.Abort();
            }

            return;
        }

        var codec = new SplitLimitCodec(_settings.MaxFrameLength, outcome.Client.MaxFrameLength);
        var messages = MessageConnection.Create(raw, codec, new MessageConnectionOptions { LoggerFactory = _options.LoggerFactory, TimeProvider = _options.TimeProvider });
        await RunAsync(new RemotingConnection(messages, _settings, outcome.Client, raw.RemoteCertificate, framedHere: true), stopping).ConfigureAwait(false);
    }

    private async Task RunAsync(RemotingConnection connection, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _connections.Add(connection);
        }

        connection.Start();
        if (_stopping)
        {
            connection.BeginDrain("The server is stopping.");
        }

        using (_stopped.Token.UnsafeRegister(
            static s =>
            {
                var (server, c) = ((RemotingServer, RemotingConnection))s!;
                _ = c.CloseGracefullyAsync(server._closing?.Token ?? CancellationToken.None).AsTask();
            },
            (this, connection)))
        using (cancellationToken.UnsafeRegister(static s => _ = ((RemotingConnection)s!).CloseAsync().AsTask(), connection))
        {
            await connection.Closed.ConfigureAwait(false);
        }

        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }

    private Preamble Answer(PreambleStatus status) =>
        new(Preamble.CurrentVersion, _stopping && status == PreambleStatus.Hello ? PreambleStatus.Unavailable : status, (byte)_settings.MarshallerId, 0, (uint)_settings.MaxFrameLength, (uint)_settings.MaxConcurrentCalls);
}
