using Microsoft.Extensions.Logging;

namespace Ocean.Remoting.Internal;

/// <summary>Ocean.Remoting's log messages (source-generated: no allocation while a level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "{ConnectionId}: remoting connection open (peer limit {PeerMaxCalls} calls, {PeerMaxFrame} bytes per frame)")]
    public static partial void Opened(ILogger logger, string connectionId, uint peerMaxCalls, uint peerMaxFrame);

    [LoggerMessage(2, LogLevel.Information, "{ConnectionId}: handshake refused: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, string connectionId, string reason);

    [LoggerMessage(3, LogLevel.Debug, "{ConnectionId}: reply for unknown request {RequestId} dropped (cancelled, timed out, or never sent)")]
    public static partial void UnknownReply(ILogger logger, string connectionId, uint requestId);

    [LoggerMessage(4, LogLevel.Warning, "{ConnectionId}: protocol error, closing the connection: {Message}")]
    public static partial void ProtocolError(ILogger logger, string connectionId, string message, Exception exception);

    [LoggerMessage(5, LogLevel.Debug, "{ConnectionId}: connection closed ({Calls} calls pending failed)")]
    public static partial void Closed(ILogger logger, string connectionId, int calls);

    [LoggerMessage(6, LogLevel.Information, "{ConnectionId}: the server is going away ({Reason}: {Message}); new calls use a new connection")]
    public static partial void GoAwayReceived(ILogger logger, string connectionId, RemotingStatus reason, string message);

    [LoggerMessage(7, LogLevel.Warning, "{ConnectionId}: no answer to a ping within {Timeout}; closing the connection")]
    public static partial void PingTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(8, LogLevel.Debug, "{ConnectionId}: {Method} on '{Object}' failed with {Status}: {Message}")]
    public static partial void CallFailed(ILogger logger, string connectionId, string method, string @object, RemotingStatus status, string message);

    [LoggerMessage(9, LogLevel.Error, "{ConnectionId}: a reply could not be sent")]
    public static partial void ReplyNotSent(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "Remoting server listening on {EndPoint} ({Marshaller} marshaller)")]
    public static partial void Listening(ILogger logger, string endPoint, string marshaller);

    [LoggerMessage(11, LogLevel.Warning, "Connecting to {EndPoint} failed; next attempt in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, string endPoint, TimeSpan delay, Exception exception);

    [LoggerMessage(12, LogLevel.Debug, "{ConnectionId}: a one-way request was not run ({Status}: {Message}); one-way requests get no answer")]
    public static partial void OneWayNotRun(ILogger logger, string connectionId, RemotingStatus status, string message);

    [LoggerMessage(13, LogLevel.Debug, "{ConnectionId}: datagram from {Source} dropped: {Reason}")]
    public static partial void DatagramDropped(ILogger logger, string connectionId, string source, string reason);

    [LoggerMessage(14, LogLevel.Information, "Remoting server serving UDP on {EndPoint} ({Marshaller} marshaller)")]
    public static partial void ListeningUdp(ILogger logger, string endPoint, string marshaller);

    [LoggerMessage(20, LogLevel.Debug, "Exported {Object} ({Interface}) implicitly, for a message on {ConnectionId}")]
    public static partial void ExportedImplicitly(ILogger logger, string @object, string @interface, string connectionId);

    [LoggerMessage(21, LogLevel.Debug, "Unexported {Object}: its last lease ended")]
    public static partial void Unexported(ILogger logger, string @object);
}
