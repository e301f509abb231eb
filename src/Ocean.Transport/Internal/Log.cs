using System.Net;
using Microsoft.Extensions.Logging;

namespace Ocean.Transport.Internal;

/// <summary>Every log message Ocean.Transport writes, with stable event ids (1xx connections, 2xx servers, 3xx clients).</summary>
internal static partial class Log
{
    [LoggerMessage(101, LogLevel.Debug, "Connection {ConnectionId} opened: {LocalEndPoint} <-> {RemoteEndPoint}.")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, EndPoint? localEndPoint, EndPoint? remoteEndPoint);

    [LoggerMessage(102, LogLevel.Debug, "Connection {ConnectionId} closed.")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId);

    [LoggerMessage(103, LogLevel.Debug, "Connection {ConnectionId}: the peer went away ({SocketError}).")]
    public static partial void ConnectionGone(ILogger logger, string connectionId, System.Net.Sockets.SocketError socketError);

    [LoggerMessage(104, LogLevel.Warning, "Connection {ConnectionId} failed.")]
    public static partial void ConnectionError(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(105, LogLevel.Debug, "Connection {ConnectionId} aborted: {Reason}")]
    public static partial void ConnectionAborted(ILogger logger, string connectionId, string reason);

    [LoggerMessage(106, LogLevel.Information, "Connection {ConnectionId} idle for longer than {IdleTimeout}; aborting it.")]
    public static partial void IdleTimeout(ILogger logger, string connectionId, TimeSpan idleTimeout);

    [LoggerMessage(107, LogLevel.Warning, "Connection {ConnectionId} aborted: the server's receive buffer budget of {MaxBufferedBytes} bytes (SocketServerOptions.MaxBufferedBytes) is exhausted.")]
    public static partial void BufferBudgetExhausted(ILogger logger, string connectionId, long maxBufferedBytes);

    [LoggerMessage(201, LogLevel.Information, "Listening on {EndPoint}.")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(202, LogLevel.Warning, "Connection from {RemoteEndPoint} refused: {MaxConnections} connections already open.")]
    public static partial void ConnectionOverLimit(ILogger logger, EndPoint? remoteEndPoint, int maxConnections);

    [LoggerMessage(203, LogLevel.Error, "The handler of connection {ConnectionId} failed; closing that connection.")]
    public static partial void HandlerFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(204, LogLevel.Information, "Stopping the server on {EndPoint}: {OpenConnections} connections open.")]
    public static partial void Stopping(ILogger logger, EndPoint? endPoint, int openConnections);

    [LoggerMessage(205, LogLevel.Warning, "Shutdown deadline passed; aborting {OpenConnections} connections.")]
    public static partial void ShutdownDeadlinePassed(ILogger logger, int openConnections);

    [LoggerMessage(210, LogLevel.Error, "Accepting a connection failed ({SocketError}, errno {NativeError}); retrying in {Delay}.")]
    public static partial void AcceptFailedRetrying(ILogger logger, System.Net.Sockets.SocketError socketError, int nativeError, TimeSpan delay, Exception exception);

    [LoggerMessage(206, LogLevel.Error, "Accepting a connection failed; the server accepts no more connections.")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(211, LogLevel.Error, "Refusing a connection over the limit failed; the server goes on accepting.")]
    public static partial void RefuseFailed(ILogger logger, Exception exception);

    [LoggerMessage(207, LogLevel.Information, "Server on {EndPoint} stopped.")]
    public static partial void Stopped(ILogger logger, EndPoint? endPoint);

    [LoggerMessage(401, LogLevel.Debug, "Joined multicast group {Group} on interface {Interface}.")]
    public static partial void JoinedGroup(ILogger logger, IPAddress group, string @interface);

    [LoggerMessage(402, LogLevel.Debug, "Left multicast group {Group} on interface {Interface}.")]
    public static partial void LeftGroup(ILogger logger, IPAddress group, string @interface);

    [LoggerMessage(403, LogLevel.Debug, "This kernel does not support restricting multicast delivery on {AddressFamily} sockets ({SocketError}); the socket may also receive groups other sockets on the host joined.")]
    public static partial void MulticastAllNotSupported(ILogger logger, System.Net.Sockets.AddressFamily addressFamily, System.Net.Sockets.SocketError socketError);

    [LoggerMessage(208, LogLevel.Warning, "TLS handshake with {RemoteEndPoint} on connection {ConnectionId} failed; closing it.")]
    public static partial void TlsHandshakeFailed(ILogger logger, string connectionId, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(209, LogLevel.Warning, "Accepting a connection failed for lack of resources ({SocketError}, errno {NativeError}); retrying in {Delay}.")]
    public static partial void AcceptOutOfResources(ILogger logger, System.Net.Sockets.SocketError socketError, int nativeError, TimeSpan delay, Exception exception);

    [LoggerMessage(301, LogLevel.Debug, "Connect to {EndPoint} failed: {Failure}.")]
    public static partial void ConnectFailed(ILogger logger, string endPoint, TransportError failure);
}
