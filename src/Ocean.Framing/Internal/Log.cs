using System.Net;
using Microsoft.Extensions.Logging;

namespace Ocean.Framing.Internal;

/// <summary>Every log message Ocean.Framing writes, with stable event ids (5xx).</summary>
internal static partial class Log
{
    [LoggerMessage(501, LogLevel.Warning, "Closing connection {ConnectionId} to {RemoteEndPoint} ({Error}): {Reason}")]
    public static partial void BadInput(ILogger logger, string connectionId, EndPoint? remoteEndPoint, string error, string reason);

    [LoggerMessage(502, LogLevel.Error, "The message handler for connection {ConnectionId} to {RemoteEndPoint} failed; closing that connection.")]
    public static partial void HandlerFailed(ILogger logger, string connectionId, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(503, LogLevel.Warning, "Datagram from {RemoteEndPoint} dropped: {MaxPeers} peers' handlers already running ({Dropped} datagrams dropped at the limit since the last report; reported at most every {Interval}).")]
    public static partial void PeerLimit(ILogger logger, EndPoint remoteEndPoint, int maxPeers, long dropped, TimeSpan interval);

    [LoggerMessage(504, LogLevel.Debug, "Connection {ConnectionId} to datagram peer {RemoteEndPoint} expired after {IdleTimeout} idle.")]
    public static partial void PeerExpired(ILogger logger, string connectionId, EndPoint remoteEndPoint, TimeSpan idleTimeout);

    [LoggerMessage(505, LogLevel.Debug, "Datagram from {RemoteEndPoint} dropped: its queue of {Capacity} is full.")]
    public static partial void PeerQueueFull(ILogger logger, EndPoint remoteEndPoint, int capacity);

    [LoggerMessage(506, LogLevel.Warning, "Receiving datagrams failed; continuing.")]
    public static partial void ReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(507, LogLevel.Debug, "Datagram of {Length} bytes from {RemoteEndPoint} dropped: the server already holds {QueuedBytes} of its {MaxQueuedBytes} queued bytes.")]
    public static partial void QueuedBytesLimit(ILogger logger, EndPoint remoteEndPoint, int length, long queuedBytes, long maxQueuedBytes);
}
