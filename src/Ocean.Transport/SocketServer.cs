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
    private readonly ConnectionHandler _handler;
    private readonly SocketServerOptions _options;
    private readonly ILogger _logger;
    private readonly SocketListener _listener;
    private readonly ServerCore<SocketConnection> _core;

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

        _handler = handler;
        _options = options ?? new SocketServerOptions();
        _logger = _options.LoggerFactory?.CreateLogger("Ocean.Transport.SocketServer") ?? NullLogger.Instance;
        _listener = new SocketListener(endPoint, _options, _logger);
        _core = new ServerCore<SocketConnection>(
            _listener,
            RunConnectionAsync,
            _options.MaxConnections,
            _options.IdleTimeout,
            _options.ShutdownTimeout,
            _options.TimeProvider,
            _logger);
    }

    /// <summary>The endpoint actually bound (with the real port when 0 was asked for).</summary>
    /// <exception cref="InvalidOperationException">The server has not been started.</exception>
    public EndPoint EndPoint => _core.EndPoint ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>Connections open now.</summary>
    public int ActiveConnections => _core.ActiveConnections;

    /// <summary>Connections accepted since start, including those refused over the limit.</summary>
    public long AcceptedConnections => _core.AcceptedConnections;

    /// <summary>Connections accepted and closed at once because <see cref="SocketServerOptions.MaxConnections"/> were open.</summary>
    public long RefusedConnections => _core.RefusedConnections;

    /// <summary>Received bytes the server's connections hold unconsumed now (see <see cref="SocketServerOptions.MaxBufferedBytes"/>).</summary>
    internal long BufferedBytes => _listener.ReadBudget.Used;

    /// <summary>How the accept loop accepts (tests substitute one that fails).</summary>
    internal Func<Socket, CancellationToken, ValueTask<Socket>> AcceptHook
    {
        get => _listener.AcceptHook;
        set => _listener.AcceptHook = value;
    }

    /// <summary>The server core (for the message server built on this one).</summary>
    internal ServerCore Core => _core;

    /// <summary>Accepted sockets made into connections so far (for tests: refused ones are not).</summary>
    internal long ConnectionsBuilt => _listener.ConnectionsBuilt;

    /// <summary>Binds, listens and starts the accept loop; connections are accepted once this returns.</summary>
    /// <param name="cancellationToken">Not used after binding; present for symmetry with other starts.</param>
    /// <returns>A task that completes once the server is listening.</returns>
    /// <exception cref="SocketException">The endpoint could not be bound (in use, not permitted).</exception>
    /// <exception cref="InvalidOperationException">The server was already started, or stopped.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default) => _core.StartAsync(cancellationToken);

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
    public Task StopAsync(CancellationToken cancellationToken = default) => _core.StopAsync(cancellationToken);

    /// <summary>Stops the server (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes once the server has stopped.</returns>
    /// <remarks>The token sources are not disposed: handlers still running past the shutdown deadline may read their tokens.</remarks>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task RunConnectionAsync(SocketConnection connection, CancellationToken stopping)
    {
        Connection application = connection;
        try
        {
            connection.Start();
            if (_options.Tls is { } tls)
            {
                var secured = await HandshakeAsync(connection, tls, stopping).ConfigureAwait(false);
                if (secured is null)
                {
                    return;
                }

                application = secured;
            }

            await _handler(application, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
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
            if (stopping.IsCancellationRequested)
            {
                connection.SkipLingerForIdlePeer(); // a stopping server does not wait CloseTimeout for an idle peer's FIN
            }

            try
            {
                await application.CloseAsync(_core.Aborting).ConfigureAwait(false);
                await connection.CloseAsync(_core.Aborting).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.ConnectionError(_logger, connection.Id, ex);
            }

            // The handler is done with the input: what is still unconsumed goes back to the budget once the receive
            // loops have ended too (at once if they have).
            (application as TlsConnection)?.EndReading();
            connection.EndReading();
        }
    }

    /// <summary>Runs the server side of the TLS handshake; on failure logs it, drops the connection and returns null.</summary>
    private async ValueTask<Connection?> HandshakeAsync(SocketConnection connection, System.Net.Security.SslServerAuthenticationOptions tls, CancellationToken stopping)
    {
        using var timeout = _options.TlsHandshakeTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(_options.TlsHandshakeTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
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
}
