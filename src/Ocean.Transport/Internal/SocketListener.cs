using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Ocean.Transport.Internal;

/// <summary>A listening stream socket (TCP or Unix domain) as the source of a <see cref="SocketServer"/>'s connections.</summary>
internal sealed class SocketListener : ServerListener<SocketConnection>
{
    private readonly EndPoint _requestedEndPoint;
    private readonly SocketServerOptions _options;
    private readonly ILogger _logger;
    private readonly ReadBudget _readBudget;
    private Socket? _listenSocket;
    private EndPoint? _endPoint;
    private TagList _tags;
    private long _connectionsBuilt;

    public SocketListener(EndPoint endPoint, SocketServerOptions options, ILogger logger)
    {
        _requestedEndPoint = endPoint;
        _options = options;
        _logger = logger;
        _readBudget = new ReadBudget(options.MaxBufferedBytes);
    }

    /// <summary>How the accept loop accepts (tests substitute one that fails).</summary>
    public Func<Socket, CancellationToken, ValueTask<Socket>> AcceptHook { get; set; } = static (socket, cancellationToken) => socket.AcceptAsync(cancellationToken);

    public override EndPoint? EndPoint => _endPoint;

    /// <summary>Accepted sockets made into connections so far (for tests).</summary>
    public long ConnectionsBuilt => Interlocked.Read(ref _connectionsBuilt);

    /// <summary>Received bytes the connections hold unconsumed (see <see cref="SocketServerOptions.MaxBufferedBytes"/>).</summary>
    public ReadBudget ReadBudget => _readBudget;

    public override void Start()
    {
        _listenSocket = Bind(_requestedEndPoint, _options.Backlog);
        _endPoint = _listenSocket.LocalEndPoint!;
        _tags = TransportMetrics.ServerTags(_endPoint.ToString() ?? string.Empty);
        Log.Listening(_logger, _endPoint);
    }

    public override async ValueTask<SocketConnection?> AcceptAsync(CancellationToken stopping)
    {
        while (true)
        {
            var accepted = await AcceptHook(_listenSocket!, stopping).ConfigureAwait(false);
            if (TryRefuseAtLimit())
            {
                // Before any pipe, buffer or id is made for it: a flood of connections over the limit costs only sockets.
                TransportMetrics.AcceptedConnections.Add(1, _tags);
                RefuseSocket(accepted);
                continue;
            }

            try
            {
                SocketConnection.Configure(accepted, _options);
                var connection = new SocketConnection(accepted, _options, _logger, _tags, _readBudget);
                Interlocked.Increment(ref _connectionsBuilt);
                TransportMetrics.AcceptedConnections.Add(1, _tags);
                return connection;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                accepted.Dispose(); // gone before it could be set up
            }
        }
    }

    public override AcceptErrorAction OnAcceptError(Exception error, TimeSpan retryDelay)
    {
        if (error is not SocketException socketError)
        {
            Log.AcceptFailed(_logger, error);
            return AcceptErrorAction.Stop;
        }

        if (SocketErrors.IsConnectionGone(socketError.SocketErrorCode))
        {
            return AcceptErrorAction.RetryNow; // a client that gave up before we accepted it
        }

        // Out of descriptors or buffer memory (the client stays in the backlog until some are free again), or another
        // error accept(2) reports for one attempt (ENETDOWN, EPROTO, ...). Either way the server is still running.
        if (SocketErrors.IsResourceExhausted(socketError))
        {
            Log.AcceptOutOfResources(_logger, socketError.SocketErrorCode, socketError.NativeErrorCode, retryDelay, socketError);
        }
        else
        {
            Log.AcceptFailedRetrying(_logger, socketError.SocketErrorCode, socketError.NativeErrorCode, retryDelay, socketError);
        }

        return AcceptErrorAction.RetryLater;
    }

    public override void Refuse(SocketConnection connection, int maxConnections)
    {
        TransportMetrics.RefusedConnections.Add(1, _tags);
        Log.ConnectionOverLimit(_logger, connection.RemoteEndPoint, maxConnections);
        connection.Socket.Dispose(); // never started: there is nothing else to release
    }

    private void RefuseSocket(Socket accepted)
    {
        TransportMetrics.RefusedConnections.Add(1, _tags);
        EndPoint? remote = null;
        try
        {
            remote = accepted.RemoteEndPoint;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Gone already: logged without its address.
        }

        Log.ConnectionOverLimit(_logger, remote, _options.MaxConnections);
        accepted.Dispose();
    }

    public override long GetLastActivity(SocketConnection connection) => connection.LastActivityTimestamp;

    public override void Expire(SocketConnection connection, TimeSpan idleTimeout)
    {
        if (!connection.IsAborted)
        {
            Log.IdleTimeout(_logger, connection.Id, idleTimeout);
            connection.Abort(new TimeoutException($"No data was received or sent for {idleTimeout}."));
        }
    }

    // Before the stopping token fires, so the closes it triggers see it.
    public override void OnStopping(SocketConnection connection) => connection.SkipLingerForIdlePeer();

    public override void StopAccepting() => _listenSocket?.Dispose();

    public override void Abort(SocketConnection connection) => connection.Abort(new ConnectionAbortedException("The server shut down."));

    public override ValueTask DisposeAsync()
    {
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

        return ValueTask.CompletedTask;
    }

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
}
