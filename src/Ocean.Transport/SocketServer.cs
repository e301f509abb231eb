using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Transport.Internal;

namespace Ocean.Transport;

/// <summary>
/// A stream-socket server (TCP or Unix domain socket): one accept loop, and one task per connection running
/// the application's <see cref="ConnectionHandler"/>.
/// </summary>
/// <remarks>
/// <para>
/// Listening on <see cref="IPAddress.IPv6Any"/> (<c>[::]</c>) accepts IPv4 clients too (dual mode). Port 0
/// picks a free port; <see cref="EndPoint"/> reports the one bound.
/// </para>
/// <para>
/// <see cref="StopAsync"/> shuts down gracefully: it stops accepting, signals the handlers' <c>stopping</c>
/// token, waits up to <see cref="SocketServerOptions.ShutdownTimeout"/> for them to return, then aborts the
/// connections still open and returns.
/// </para>
/// <para>
/// The accept loop outlives a shortage of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): it logs
/// (event 209), waits (5 ms, doubling up to 1 s, through the options' <see cref="TimeProvider"/>) and accepts
/// again; clients wait in the backlog meanwhile. Any other accept error stops the loop (event 206).
/// </para>
/// </remarks>
public sealed class SocketServer : IAsyncDisposable
{
    /// <summary>The first pause of the accept loop after the OS ran out of descriptors or memory; it doubles up to <see cref="MaxAcceptBackoff"/>.</summary>
    internal static readonly TimeSpan MinAcceptBackoff = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest pause of the accept loop between attempts while resources stay exhausted.</summary>
    internal static readonly TimeSpan MaxAcceptBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How the accept loop accepts (tests substitute one that fails).</summary>
    internal Func<Socket, CancellationToken, ValueTask<Socket>> AcceptHook { get; set; } = static (socket, cancellationToken) => socket.AcceptAsync(cancellationToken);

    private readonly EndPoint _requestedEndPoint;
    private readonly ConnectionHandler _handler;
    private readonly SocketServerOptions _options;
    private readonly ILogger _logger;
    private readonly ReadBudget _readBudget;
    private readonly ConcurrentDictionary<SocketConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborting = new();
    private readonly Lock _stateLock = new();
    private Socket? _listenSocket;
    private EndPoint? _endPoint;
    private TagList _tags;
    private Task _acceptLoop = Task.CompletedTask;
    private Task? _stopTask;
    private ITimer? _heartbeat;
    private int _activeConnections;
    private long _acceptedConnections;
    private long _refusedConnections;

    /// <summary>Creates a server; nothing is bound until <see cref="StartAsync"/>.</summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> (port 0 for an ephemeral port) or a <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="handler">Runs once per accepted connection.</param>
    /// <param name="options">Limits, timeouts and connection settings; <see langword="null"/> for the defaults.</param>
    public SocketServer(EndPoint endPoint, ConnectionHandler handler, SocketServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        if (endPoint is not (IPEndPoint or UnixDomainSocketEndPoint))
        {
            throw new ArgumentException($"A server listens on an IPEndPoint or a UnixDomainSocketEndPoint, not a {endPoint.GetType().Name}.", nameof(endPoint));
        }

        _requestedEndPoint = endPoint;
        _handler = handler;
        _options = options ?? new SocketServerOptions();
        _logger = _options.LoggerFactory?.CreateLogger("Ocean.Transport.SocketServer") ?? NullLogger.Instance;
        _readBudget = new ReadBudget(_options.MaxBufferedBytes);
    }

    /// <summary>The endpoint actually bound (with the real port when 0 was asked for).</summary>
    /// <exception cref="InvalidOperationException">The server has not been started.</exception>
    public EndPoint EndPoint => _endPoint ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>Connections open now.</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Connections accepted since start, including those refused over the limit.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _acceptedConnections);

    /// <summary>Connections accepted and closed at once because <see cref="SocketServerOptions.MaxConnections"/> were open.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);

    /// <summary>Received bytes the server's connections hold unconsumed now (see <see cref="SocketServerOptions.MaxBufferedBytes"/>).</summary>
    internal long BufferedBytes => _readBudget.Used;

    /// <summary>Binds, listens and starts the accept loop; connections are accepted once this returns.</summary>
    /// <param name="cancellationToken">Not used after binding; present for symmetry with other starts.</param>
    /// <returns>A task that completes once the server is listening.</returns>
    /// <exception cref="SocketException">The endpoint could not be bound (in use, not permitted).</exception>
    /// <exception cref="InvalidOperationException">The server was already started.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // All of the start happens under the lock, so a StopAsync racing with it either sees nothing started
        // (and makes a later start throw) or everything started, the heartbeat timer included.
        lock (_stateLock)
        {
            if (_listenSocket is not null || _stopTask is not null)
            {
                throw new InvalidOperationException("A server can be started once.");
            }

            _listenSocket = Bind(_requestedEndPoint, _options.Backlog);
            _endPoint = _listenSocket.LocalEndPoint!;
            _tags = TransportMetrics.ServerTags(_endPoint.ToString() ?? string.Empty);
            Log.Listening(_logger, _endPoint);

            if (_options.IdleTimeout != Timeout.InfiniteTimeSpan)
            {
                var period = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, _options.IdleTimeout.Ticks / 2));
                _heartbeat = _options.TimeProvider.CreateTimer(static state => ((SocketServer)state!).OnHeartbeat(), this, period, period);
            }

            _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops accepting, asks handlers to finish, waits for them up to the shutdown deadline, then aborts
    /// the connections still open. Safe to call more than once; later calls return the first call's task.
    /// </summary>
    /// <remarks>
    /// Each connection whose handler returns is closed gracefully: unsent data drains (at most
    /// <see cref="ConnectionOptions.CloseTimeout"/>, 5 seconds by default), then a FIN. A stopping server does not
    /// linger for the FIN of an idle peer, so idle clients do not hold the stop; it lingers (up to
    /// <see cref="ConnectionOptions.CloseTimeout"/>) only for a peer whose bytes wait unread in the socket, which
    /// closing would otherwise answer with a reset.
    /// </remarks>
    /// <param name="cancellationToken">Cuts the wait short: firing it is the same as reaching the deadline.</param>
    /// <returns>A task that completes once the server has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stateLock)
        {
            return _stopTask ??= StopCoreAsync(cancellationToken);
        }
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes once the server has stopped.</returns>
    /// <remarks>The token sources are not disposed: handlers still running past the shutdown deadline may read their tokens.</remarks>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static Socket Bind(EndPoint endPoint, int backlog)
    {
        Socket socket;
        if (endPoint is UnixDomainSocketEndPoint)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        else
        {
            var ip = (IPEndPoint)endPoint;
            socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (ip.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true; // [::] accepts IPv4 clients too
            }
        }

        try
        {
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        var listenSocket = _listenSocket!;
        var stopping = _stopping.Token;
        var backoff = TimeSpan.Zero;
        while (!stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await AcceptHook(listenSocket, stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex) when (SocketErrors.IsConnectionGone(ex.SocketErrorCode))
            {
                continue; // a client that gave up before we accepted it
            }
            catch (SocketException ex)
            {
                // Out of descriptors or buffer memory (the client stays in the backlog until some are free again), or
                // another error accept(2) reports for one attempt (ENETDOWN, EPROTO, ...). Either way the server is
                // still running: back off (bounded) so a lasting error does not make this loop spin, then go on.
                backoff = backoff == TimeSpan.Zero ? MinAcceptBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxAcceptBackoff.Ticks));
                if (SocketErrors.IsResourceExhausted(ex))
                {
                    Log.AcceptOutOfResources(_logger, ex.SocketErrorCode, ex.NativeErrorCode, backoff, ex);
                }
                else
                {
                    Log.AcceptFailedRetrying(_logger, ex.SocketErrorCode, ex.NativeErrorCode, backoff, ex);
                }

                try
                {
                    await Task.Delay(backoff, _options.TimeProvider, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }
            catch (Exception ex)
            {
                Log.AcceptFailed(_logger, ex);
                break;
            }

            backoff = TimeSpan.Zero;

            Interlocked.Increment(ref _acceptedConnections);
            TransportMetrics.AcceptedConnections.Add(1, _tags);
            if (Interlocked.Increment(ref _activeConnections) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _activeConnections);
                Interlocked.Increment(ref _refusedConnections);
                TransportMetrics.RefusedConnections.Add(1, _tags);
                Log.ConnectionOverLimit(_logger, SafeRemoteEndPoint(accepted), _options.MaxConnections);
                accepted.Dispose();
                continue;
            }

            SocketConnection connection;
            try
            {
                SocketConnection.Configure(accepted, _options);
                connection = new SocketConnection(accepted, _options, _logger, _tags, _readBudget);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Interlocked.Decrement(ref _activeConnections);
                accepted.Dispose();
                continue;
            }

            // Registered before the handler starts, so StopAsync and the heartbeat always see it.
            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = completion.Task;
            ThreadPool.UnsafeQueueUserWorkItem(
                static state => _ = state.Server.RunConnectionAsync(state.Connection, state.Completion),
                (Server: this, Connection: connection, Completion: completion),
                preferLocal: false);
        }
    }

    private async Task RunConnectionAsync(SocketConnection connection, TaskCompletionSource completion)
    {
        Connection application = connection;
        try
        {
            connection.Start();
            if (_options.Tls is { } tls)
            {
                var secured = await HandshakeAsync(connection, tls).ConfigureAwait(false);
                if (secured is null)
                {
                    return;
                }

                application = secured;
            }

            await _handler(application, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The handler honoured the stopping token.
        }
        catch (Exception ex)
        {
            if (!connection.IsAborted)
            {
                Log.HandlerFailed(_logger, connection.Id, ex);
            }

            connection.Abort(ex);
        }
        finally
        {
            if (_stopping.IsCancellationRequested)
            {
                connection.SkipLingerForIdlePeer(); // a stopping server does not wait CloseTimeout for an idle peer's FIN
            }

            try
            {
                await application.CloseAsync(_aborting.Token).ConfigureAwait(false);
                await connection.CloseAsync(_aborting.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.ConnectionError(_logger, connection.Id, ex);
            }

            // The handler is done with the input: what is still unconsumed goes back to the budget once the receive
            // loops have ended too (at once if they have).
            (application as TlsConnection)?.EndReading();
            connection.EndReading();

            _connections.TryRemove(connection, out _);
            Interlocked.Decrement(ref _activeConnections);
            completion.SetResult();
        }
    }

    /// <summary>Runs the server side of the TLS handshake; on failure logs it, drops the connection and returns null.</summary>
    private async ValueTask<Connection?> HandshakeAsync(SocketConnection connection, System.Net.Security.SslServerAuthenticationOptions tls)
    {
        using var timeout = _options.TlsHandshakeTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(_options.TlsHandshakeTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        try
        {
            return await TlsConnection.AuthenticateAsServerAsync(connection, tls, _logger, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException or TransportException)
        {
            Log.TlsHandshakeFailed(_logger, connection.Id, connection.RemoteEndPoint, ex);
            connection.Abort(ex);
            return null;
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        Log.Stopping(_logger, _endPoint, ActiveConnections);
        foreach (var connection in _connections.Keys)
        {
            connection.SkipLingerForIdlePeer(); // before the stopping token fires, so closes it triggers see it
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listenSocket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        _heartbeat?.Dispose();

        using var deadline = _options.ShutdownTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(_options.ShutdownTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.ShutdownDeadlinePassed(_logger, _connections.Count);
            await _aborting.CancelAsync().ConfigureAwait(false);
            foreach (var connection in _connections.Keys)
            {
                connection.Abort(new ConnectionAbortedException("The server shut down."));
            }
        }

        if (_endPoint is UnixDomainSocketEndPoint unix && unix.ToString() is { Length: > 0 } path && path[0] != '\0')
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Someone else removed or replaced it; not ours to worry about.
            }
        }

        Log.Stopped(_logger, _endPoint);
    }

    private void OnHeartbeat()
    {
        var now = _options.TimeProvider.GetTimestamp();
        var idleTimeout = _options.IdleTimeout;
        foreach (var entry in _connections)
        {
            var connection = entry.Key;
            if (_options.TimeProvider.GetElapsedTime(connection.LastActivityTimestamp, now) >= idleTimeout && !connection.IsAborted)
            {
                Log.IdleTimeout(_logger, connection.Id, idleTimeout);
                connection.Abort(new TimeoutException($"No data was received or sent for {idleTimeout}."));
            }
        }
    }

    private static EndPoint? SafeRemoteEndPoint(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
