using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Internal.Leases;
using Ocean.Remoting.Internal;
using Ocean.Remoting.Internal.Datagrams;
using Ocean.Transport;

namespace Ocean.Remoting;

/// <summary>
/// Calls remote objects: one connection to a server, shared by every proxy from <see cref="GetProxy{T}(string)"/>, with many
/// calls in flight on it at once.
/// </summary>
/// <remarks>
/// <para><b>Reconnection.</b> When the connection is lost, calls in flight on it fail with
/// <see cref="RemotingStatus.Unavailable"/> and completion <see cref="CompletionStatus.Maybe"/> (they may have run);
/// the next call opens a new connection. A failed attempt is retried after
/// <see cref="RemotingClientOptions.ReconnectDelay"/>, doubling up to <see cref="RemotingClientOptions.MaxReconnectDelay"/>;
/// meanwhile calls fail at once with completion no. When the server says go-away, calls in flight finish on the old
/// connection and new calls use a new one.</para>
/// <para><b>Liveness.</b> After <see cref="RemotingClientOptions.PingInterval"/> without a message from the server the
/// client pings; no answer within <see cref="RemotingClientOptions.PingTimeout"/> closes the connection.</para>
/// <para>A client made over a <see cref="MessageConnection"/> (<see cref="ConnectAsync(MessageConnection, RemotingClientOptions?, CancellationToken)"/>)
/// has only that connection and does not reconnect.</para>
/// </remarks>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
public sealed class RemotingClient : IAsyncDisposable, IRemoteCaller
{
    private readonly RemotingClientOptions _options;
    private readonly ConnectionSettings _settings;
    private readonly EndPoint? _endPoint;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly HashSet<RemotingConnection> _connections = [];
    private readonly string _description;
    private readonly ObjectSpace _space;
    private readonly bool _ownsSpace;
    private DgcLeaseOwner? _leaseOwner;
    private RemotingConnection? _current;
    private DatagramChannel? _datagram;
    private long _retries;
    private Task<RemotingConnection>? _connecting;
    private int _failures;
    private long _retryAt;
    private bool _disposed;

    private RemotingClient(EndPoint? endPoint, string description, RemotingClientOptions? options, ObjectSpace? sharedSpace = null)
    {
        _options = options ?? new RemotingClientOptions();
        _endPoint = endPoint;
        _description = description;
        var marshaller = ReferenceSurrogates.Install(_options.Marshaller ?? CdrMarshaller.Default);
        _logger = _options.LoggerFactory?.CreateLogger("Ocean.Remoting.RemotingClient") ?? NullLogger.Instance;
        if (sharedSpace is not null)
        {
            // A client a side opened to another server, to call an object whose reference it read: it carries that
            // side's objects (its incarnation, exports, endpoint and leases), so they travel as they would from it.
            _space = sharedSpace;
        }
        else
        {
            var shared = _options;
            _ownsSpace = true;
            _space = new ObjectSpace(
                ServerIncarnation.New(_options.TimeProvider),
                marshaller,
                _logger,
                _options.TimeProvider,
                _options.LeaseDuration,
                static _ => null, // a client has no endpoint: what it passes by reference is bound to the connection
                other => new RemotingClient(other, other.ToString() ?? "server", shared, _space));
            if (endPoint is not null)
            {
                _space.Self = (this, endPoint);
            }
        }

        _settings = CreateSettings(_options, marshaller, _logger, _space);
    }

    /// <summary>What a client brings to its connections; <paramref name="space"/> is <see langword="null"/> only for a group client, which never serves or passes objects.</summary>
    internal static ConnectionSettings CreateSettings(RemotingClientOptions options, IMarshaller marshaller, ILogger logger, ObjectSpace? space) => new()
    {
        Marshaller = marshaller,
        MarshallerId = MarshallerIdentity.Of(marshaller),
        MaxFrameLength = options.MaxMessageSize, // announced in the preamble: the largest message, prefix excluded
        MaxConcurrentCalls = options.MaxConcurrentCallbacks,
        Space = space!,
        ClientInterceptors = [.. options.Interceptors],
        DefaultDeadline = options.DefaultDeadline,
        InlineContinuations = options.InlineContinuations,
        Rethrower = options.RethrownExceptions.Count == 0 ? null : new ExceptionRethrower(options.RethrownExceptions),
        PingInterval = options.PingInterval,
        PingTimeout = options.PingTimeout,
        Logger = logger,
        TimeProvider = options.TimeProvider,
    };

    /// <summary>A client that connects on its first call (a server's client to another server whose reference it read).</summary>
    internal static RemotingClient CreateUnconnected(EndPoint endPoint, RemotingClientOptions options, ObjectSpace space) =>
        new(endPoint, endPoint.ToString() ?? "server", options, space);

    /// <summary>How a lease renewer reaches this client's server's lease service (for proxies from endpoint references).</summary>
    internal DgcLeaseOwner LeaseOwner
    {
        get
        {
            var owner = Volatile.Read(ref _leaseOwner);
            if (owner is null)
            {
                owner = new DgcLeaseOwner(this, _settings.Marshaller, _description, static c => ((RemotingClient)c).IsDisposed);
                owner = Interlocked.CompareExchange(ref _leaseOwner, owner, null) ?? owner;
            }

            return owner;
        }
    }

    /// <summary>This client's objects (for tests).</summary>
    internal ObjectSpace Space => _space;

    private bool IsDisposed
    {
        get
        {
            lock (_lock)
            {
                return _disposed;
            }
        }
    }

    /// <summary>The server's endpoint (<see langword="null"/> for a client over a message connection).</summary>
    public EndPoint? RemoteEndPoint => _endPoint;

    /// <summary>
    /// Requests sent again so far: over UDP, retransmissions after a reply did not come in time (or after the server's
    /// welcome gave a new token); over TCP, <see cref="IdempotentAttribute"/> calls retried on a new connection.
    /// </summary>
    public long Retransmissions => (_datagram?.Retransmissions ?? 0) + Interlocked.Read(ref _retries);

    /// <summary>
    /// Opens a client that calls <paramref name="endPoint"/> over UDP: one request per datagram, no connection. The
    /// server's welcome is awaited first (retransmitted like a call), which checks the marshaller and gives the token
    /// later requests carry. Calls are at-most-once (retransmitted, filtered by the server), at-least-once for
    /// <see cref="IdempotentAttribute"/> methods, maybe for <see cref="OneWayAttribute"/> ones. A request and a reply must
    /// each fit in one datagram (65,507 bytes over IPv4); objects cannot be passed by reference.
    /// </summary>
    /// <param name="endPoint">The server's UDP endpoint (<see cref="RemotingServer.UdpEndPoint"/>).</param>
    /// <param name="options">Settings (<see cref="RemotingClientOptions.RetransmitInterval"/>, <see cref="RemotingClientOptions.MaxAttempts"/>, <see cref="RemotingClientOptions.Datagram"/>); <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The client.</returns>
    /// <exception cref="RemotingException">The server did not answer within the attempts (<see cref="RemotingStatus.Unavailable"/>), or refused (<see cref="RemotingProtocolException"/>: another version or marshaller, or stopping).</exception>
    public static async Task<RemotingClient> ConnectUdpAsync(IPEndPoint endPoint, RemotingClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var datagram = options?.Datagram ?? new DatagramOptions();
        datagram.LoggerFactory ??= options?.LoggerFactory;
        var socket = await DatagramSocket.ConnectAsync(endPoint, datagram, cancellationToken).ConfigureAwait(false);
        return await ConnectAsync(MessageConnection.Create(socket, new MessageConnectionOptions { LoggerFactory = options?.LoggerFactory, TimeProvider = options?.TimeProvider ?? TimeProvider.System }), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects to the server at <paramref name="endPoint"/> and completes the handshake.</summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/>, a <see cref="DnsEndPoint"/> or a Unix socket endpoint.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="RemotingException">
    /// The server could not be reached (<see cref="RemotingStatus.Unavailable"/>), or it refused the handshake
    /// (<see cref="RemotingProtocolException"/>: another protocol, version or marshaller, or shutting down).
    /// </exception>
    public static async Task<RemotingClient> ConnectAsync(EndPoint endPoint, RemotingClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var client = new RemotingClient(endPoint, endPoint.ToString() ?? "server", options);
        try
        {
            await client.ConnectNowAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return client;
    }

    /// <summary>
    /// Makes a client over a message connection (an in-memory pair, say): the preamble is its first message each way.
    /// The client takes ownership of <paramref name="connection"/> and never reconnects.
    /// </summary>
    /// <param name="connection">
    /// A reliable, ordered message connection to a <see cref="RemotingServer.ServeAsync"/>; or an unreliable one (a UDP
    /// message connection whose destination is the server, perhaps behind a <see cref="FaultInjectingConnection"/>): the
    /// client then calls over datagrams, as <see cref="ConnectUdpAsync"/> does.
    /// </param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="RemotingProtocolException">The peer refused the handshake or is not an Ocean server.</exception>
    /// <exception cref="RemotingException">Over datagrams: the server did not answer (<see cref="RemotingStatus.Unavailable"/>).</exception>
    public static async Task<RemotingClient> ConnectAsync(MessageConnection connection, RemotingClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        RemotingClient client;
        try
        {
            client = new RemotingClient(null, connection.RemoteEndPoint?.ToString() ?? connection.Id, options); // bad options: the connection is still ours to close
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (!connection.IsReliable)
        {
            try
            {
                client._datagram = await DatagramChannel.ConnectAsync(connection, client._settings, client._options, client._description, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return client;
        }

        try
        {
            using var timeout = new CancellationTokenSource(client._options.ConnectTimeout, client._options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            var peer = await Handshake.ClientAsync(connection, client._settings.Hello, linked.Token).ConfigureAwait(false);
            client.Adopt(new RemotingConnection(connection, client._settings, peer));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return client;
    }

    /// <summary>A proxy for the object exported under <paramref name="name"/>: calling its methods calls the remote object.</summary>
    /// <typeparam name="T">The remote interface (the server exports the object through the same interface).</typeparam>
    /// <param name="name">The name the object is exported under.</param>
    /// <returns>The proxy; cheap to keep, safe to share between threads.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not an interface, or the name is not 1 to 255 UTF-8 bytes.</exception>
    /// <exception cref="NotSupportedException">
    /// A member of <typeparamref name="T"/> cannot be remoted: <c>ref</c>/<c>out</c>/<c>in</c> parameters, pointers or
    /// spans, generic methods, <see cref="IAsyncEnumerable{T}"/>, events, or a type the marshaller cannot carry.
    /// </exception>
    /// <exception cref="InvalidOperationException">Two methods' ids collide.</exception>
    public T GetProxy<T>(string name)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(name);
        var length = System.Text.Encoding.UTF8.GetByteCount(name);
        if (length is < 1 or > 255)
        {
            throw new ArgumentException($"An object name takes 1 to 255 UTF-8 bytes; '{name}' takes {length}.", nameof(name));
        }

        return RemotingProxy.Create<T>(RemoteInterface.Get(typeof(T), _settings.Marshaller), this, name);
    }

    /// <summary>
    /// A proxy for the object <paramref name="reference"/> names. A reference to the server this client is connected to
    /// is called over this client's connection; one to another server over a connection this client opens to it on the
    /// first call (with this client's options) and closes when it is disposed. The proxy holds a lease on the object,
    /// renewed until the proxy is garbage collected or the client disposed.
    /// </summary>
    /// <typeparam name="T">The remote interface.</typeparam>
    /// <param name="reference">The reference (<see cref="RemoteReference.Parse"/> reads its printed form).</param>
    /// <returns>The proxy. A reference from an earlier run of the server is not refused here: calls on it fail with
    /// <see cref="RemotingStatus.UnknownObject"/> and completion <see cref="CompletionStatus.No"/>, saying it is stale.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not an interface.</exception>
    /// <exception cref="NotSupportedException">A member of <typeparamref name="T"/> cannot be remoted.</exception>
    public T GetProxy<T>(RemoteReference reference)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(reference);
        return (T)_space.ResolveEndPoint(typeof(T), reference, connection: null);
    }

    /// <summary>
    /// The reference a proxy stands for, to print it, store it or bind it in a naming service: for a proxy made from an
    /// endpoint reference (received in a result, or from <see cref="GetProxy{T}(RemoteReference)"/>).
    /// </summary>
    /// <param name="proxy">A proxy.</param>
    /// <returns>
    /// The reference; <see langword="null"/> for anything else: a proxy from <see cref="GetProxy{T}(string)"/> (it has
    /// no object number), one for a client's object (bound to its connection, it has no endpoint), or no proxy at all.
    /// </returns>
    public static RemoteReference? GetReference(object proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        return (proxy as RemotingProxy)?.Reference;
    }

    /// <summary>Closes every connection; calls in flight fail with <see cref="RemotingStatus.Unavailable"/>.</summary>
    /// <returns>A task that completes once closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_ownsSpace)
        {
            await _space.StopRenewingAsync().ConfigureAwait(false); // cleans go out while the connection is still open
        }

        RemotingConnection[] connections;
        lock (_lock)
        {
            _disposed = true;
            connections = [.. _connections];
            _connections.Clear();
            _current = null;
        }

        foreach (var connection in connections)
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }

        if (_datagram is { } datagram)
        {
            await datagram.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsSpace)
        {
            await _space.DisposeAsync().ConfigureAwait(false);
        }
    }

    string IRemoteCaller.Describe() => _description;

    ValueTask<TResult> IRemoteCaller.CallAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, CancellationToken cancellationToken)
    {
        var scope = RemoteCallScope.Current;
        var deadline = scope?.Deadline ?? method.Deadline ?? _settings.DefaultDeadline;
        var metadata = scope is { Metadata.Count: > 0 } ? scope.Metadata : null;
        if (_settings.ClientInterceptors.Length != 0)
        {
            return CallWithInterceptorsAsync(objectKey, method, args, metadata, deadline, cancellationToken);
        }

        if (_datagram is { } datagram)
        {
            return datagram.CallAsync(objectKey, method, args, metadata, deadline, cancellationToken);
        }

        if (method.Semantics == CallSemantics.AtLeastOnce)
        {
            return CallIdempotentAsync(objectKey, method, args, metadata, deadline, cancellationToken);
        }

        var connection = _current;
        if (connection is not null && connection.IsAcceptingCalls)
        {
            // Flagged nested when made from a callback on this very connection: the server may have begun to stop
            // before this client read its go-away, and its call in flight waits for this one.
            return connection.CallAsync(objectKey, method, args, metadata, deadline, cancellationToken, nested: ReferenceEquals(RemoteCallContext.CurrentConnection, connection));
        }

        return NestedConnection() is { } nested
            ? nested.CallAsync(objectKey, method, args, metadata, deadline, cancellationToken, nested: true)
            : CallAfterConnectingAsync(objectKey, method, args, metadata, deadline, cancellationToken);
    }

    // At-least-once over TCP: a call whose connection was lost (Unavailable, it may or may not have run) is sent again on
    // a new connection, after the retransmission interval (doubling), up to MaxAttempts.
    private async ValueTask<TResult> CallIdempotentAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, IReadOnlyList<KeyValuePair<string, string>>? metadata, TimeSpan? deadline, CancellationToken cancellationToken)
    {
        var interval = _options.RetransmitInterval;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var connection = _current is { IsAcceptingCalls: true } current ? current : NestedConnection() ?? await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
                return await connection.CallAsync(objectKey, method, args, metadata, deadline, cancellationToken, nested: ReferenceEquals(RemoteCallContext.CurrentConnection, connection)).ConfigureAwait(false);
            }
            catch (RemotingException e) when (e.Status == RemotingStatus.Unavailable && attempt < _options.MaxAttempts && !IsDisposed && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _retries);
                try
                {
                    await Task.Delay(interval, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException cancelled)
                {
                    throw new RemotingException(RemotingStatus.Cancelled, e.Completion, $"The call to {method.DisplayName} was cancelled by the caller while waiting to be retried; the last attempt failed with: {e.Message}", cancelled);
                }

                interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, _options.MaxRetransmitInterval.Ticks));
            }
        }
    }

    // Code handling the server's call on one of this client's objects (a callback) calls the server back: the server's
    // call in flight waits for it, so it goes out on the callback's own connection even after the server said go-away.
    private RemotingConnection? NestedConnection()
    {
        if (RemoteCallContext.CurrentConnection is not { } connection || connection.Closed.IsCompleted)
        {
            return null;
        }

        lock (_lock)
        {
            return _connections.Contains(connection) ? connection : null;
        }
    }

    private async ValueTask<TResult> CallAfterConnectingAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, IReadOnlyList<KeyValuePair<string, string>>? metadata, TimeSpan? deadline, CancellationToken cancellationToken)
    {
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.CallAsync(objectKey, method, args, metadata, deadline, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<TResult> CallWithInterceptorsAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, IReadOnlyList<KeyValuePair<string, string>>? metadata, TimeSpan? deadline, CancellationToken cancellationToken)
    {
        var context = new ClientCallContext(_description, objectKey, method.Method, metadata is null ? [] : [.. metadata], deadline, cancellationToken);
        TResult result = default!;
        var called = false;
        await Intercept(0, context).ConfigureAwait(false);
        if (!called)
        {
            throw new RemotingException(RemotingStatus.Internal, CompletionStatus.No, $"A client interceptor completed the call to {method.DisplayName} without calling next or throwing; nothing was sent.");
        }

        return result;

        ValueTask Intercept(int index, ClientCallContext c) =>
            index == _settings.ClientInterceptors.Length
                ? Last(c)
                : _settings.ClientInterceptors[index].InterceptAsync(c, next => Intercept(index + 1, next));

        async ValueTask Last(ClientCallContext c)
        {
            called = true;
            var list = (List<KeyValuePair<string, string>>)c.Metadata;
            if (_datagram is { } datagram)
            {
                result = await datagram.CallAsync(objectKey, method, args, list.Count == 0 ? null : list, c.Deadline, c.CancellationToken).ConfigureAwait(false);
                return;
            }

            if (method.Semantics == CallSemantics.AtLeastOnce)
            {
                result = await CallIdempotentAsync(objectKey, method, args, list.Count == 0 ? null : list, c.Deadline, c.CancellationToken).ConfigureAwait(false);
                return;
            }

            var nested = _current is { IsAcceptingCalls: true } ? null : NestedConnection();
            var connection = _current is { IsAcceptingCalls: true } current ? current : nested ?? await GetConnectionAsync(c.CancellationToken).ConfigureAwait(false);
            result = await connection.CallAsync(objectKey, method, args, list.Count == 0 ? null : list, c.Deadline, c.CancellationToken, nested: ReferenceEquals(RemoteCallContext.CurrentConnection, connection)).ConfigureAwait(false);
        }
    }

    private async ValueTask<RemotingConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        Task<RemotingConnection> connecting;
        lock (_lock)
        {
            if (_disposed)
            {
                throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, "The client is disposed.");
            }

            if (_current is { IsAcceptingCalls: true } current)
            {
                return current;
            }

            if (_endPoint is null)
            {
                throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, $"The connection to {_description} is closed; a client over a message connection does not reconnect.");
            }

            if (_connecting is null)
            {
                var time = _options.TimeProvider;
                var wait = _retryAt - time.GetTimestamp();
                if (wait > 0)
                {
                    throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, $"{_description} is unreachable; the next connection attempt is in {time.GetElapsedTime(0, wait).TotalMilliseconds:F0} ms.");
                }

                // ConnectNowAsync clears _connecting when it ends (under this lock, which is re-entrant). A refused
                // connect to a local port can end synchronously, inside this call: storing that finished task would
                // make every later call reuse its outcome (the same refusal, or a connection since lost) forever.
                connecting = ConnectNowAsync(CancellationToken.None);
                if (!connecting.IsCompleted)
                {
                    _connecting = connecting;
                }
            }
            else
            {
                connecting = _connecting;
            }
        }

        return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<RemotingConnection> ConnectNowAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                _failures = 0;
                _connecting = null;
            }

            Adopt(connection);
            return connection;
        }
        catch (Exception e)
        {
            TimeSpan delay;
            lock (_lock)
            {
                _failures++;
                var ticks = _options.ReconnectDelay.Ticks * (1L << Math.Min(_failures - 1, 20));
                delay = TimeSpan.FromTicks(Math.Min(ticks, _options.MaxReconnectDelay.Ticks));
                _retryAt = _options.TimeProvider.GetTimestamp() + (long)(delay.TotalSeconds * _options.TimeProvider.TimestampFrequency);
                _connecting = null;
            }

            Log.ConnectFailed(_logger, _description, delay, e);
            if (e is RemotingException)
            {
                throw;
            }

            throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, $"Could not connect to {_description}: {e.Message}", e);
        }
    }

    private async Task<RemotingConnection> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var raw = await SocketConnector.ConnectAsync(_endPoint!, _options.Transport, linked.Token).ConfigureAwait(false);
        try
        {
            var peer = await Handshake.ClientAsync(raw, _settings.Hello, linked.Token).ConfigureAwait(false);
            var codec = new SplitLimitCodec(_settings.MaxFrameLength, peer.MaxFrameLength);
            var messages = MessageConnection.Create(raw, codec, new MessageConnectionOptions { LoggerFactory = _options.LoggerFactory, TimeProvider = _options.TimeProvider });
            return new RemotingConnection(messages, _settings, peer, framedHere: true);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Aborted, not closed: a graceful close lingers for the peer's FIN (seconds), and this peer is not answering.
            raw.Abort();
            await raw.DisposeAsync().ConfigureAwait(false);
            throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, $"{_description} did not complete the handshake within {_options.ConnectTimeout}.", e);
        }
        catch
        {
            raw.Abort();
            await raw.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void Adopt(RemotingConnection connection)
    {
        connection.Retired = OnRetired;
        bool disposed;
        lock (_lock)
        {
            disposed = _disposed;
            if (!disposed)
            {
                _connections.Add(connection);
                _current = connection;
            }
        }

        connection.Start();
        if (disposed)
        {
            _ = connection.CloseAsync().AsTask();
        }

        _ = connection.Closed.ContinueWith(
            static (_, s) =>
            {
                var (client, c) = ((RemotingClient, RemotingConnection))s!;
                lock (client._lock)
                {
                    client._connections.Remove(c);
                }
            },
            (this, connection),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void OnRetired(RemotingConnection connection)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_current, connection))
            {
                _current = null;
            }
        }
    }
}
