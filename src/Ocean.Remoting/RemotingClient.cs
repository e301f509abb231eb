using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Internal.Leases;
using Ocean.Remoting.Internal;
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

        _settings = new ConnectionSettings
        {
            Marshaller = marshaller,
            MarshallerId = MarshallerIdentity.Of(marshaller),
            MaxFrameLength = _options.MaxMessageSize, // announced in the preamble: the largest message, prefix excluded
            MaxConcurrentCalls = _options.MaxConcurrentCallbacks,
            Space = _space,
            ClientInterceptors = [.. _options.Interceptors],
            DefaultDeadline = _options.DefaultDeadline,
            InlineContinuations = _options.InlineContinuations,
            Rethrower = _options.RethrownExceptions.Count == 0 ? null : new ExceptionRethrower(_options.RethrownExceptions),
            PingInterval = _options.PingInterval,
            PingTimeout = _options.PingTimeout,
            Logger = _logger,
            TimeProvider = _options.TimeProvider,
        };
    }

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
    /// <param name="connection">A reliable, ordered message connection to a <see cref="RemotingServer.ServeAsync"/>.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="RemotingProtocolException">The peer refused the handshake or is not an Ocean server.</exception>
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
