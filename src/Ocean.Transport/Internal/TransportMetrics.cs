using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ocean.Transport.Internal;

/// <summary>The <c>Ocean.Transport</c> meter. Instruments cost a flag check when nobody listens.</summary>
internal static class TransportMetrics
{
    public const string MeterName = "Ocean.Transport";

    private static readonly Meter s_meter = new(MeterName, typeof(TransportMetrics).Assembly.GetName().Version?.ToString());

    /// <summary>Connections open now, tagged with <c>ocean.role</c> (client or server) and, for servers, <c>ocean.server.endpoint</c>.</summary>
    public static readonly UpDownCounter<long> ActiveConnections =
        s_meter.CreateUpDownCounter<long>("ocean.transport.connections.active", "{connection}", "Connections open now.");

    public static readonly Counter<long> AcceptedConnections =
        s_meter.CreateCounter<long>("ocean.transport.connections.accepted", "{connection}", "Connections accepted by servers, refused ones included.");

    public static readonly Counter<long> RefusedConnections =
        s_meter.CreateCounter<long>("ocean.transport.connections.refused", "{connection}", "Connections closed at once because the server was at its connection limit.");

    public static readonly Counter<long> BudgetAbortedConnections =
        s_meter.CreateCounter<long>("ocean.transport.connections.over_budget", "{connection}", "Connections aborted because their server's receive buffer budget (MaxBufferedBytes) was exhausted.");

    public static readonly Counter<long> ClosedConnections =
        s_meter.CreateCounter<long>("ocean.transport.connections.closed", "{connection}", "Connections closed, gracefully or not.");

    public static readonly Counter<long> BytesReceived =
        s_meter.CreateCounter<long>("ocean.transport.bytes.received", "By", "Bytes received, streams and datagrams.");

    public static readonly Counter<long> BytesSent =
        s_meter.CreateCounter<long>("ocean.transport.bytes.sent", "By", "Bytes sent, streams and datagrams.");

    public static readonly Counter<long> DatagramsReceived =
        s_meter.CreateCounter<long>("ocean.transport.datagrams.received", "{datagram}", "UDP datagrams received.");

    public static readonly Counter<long> DatagramsSent =
        s_meter.CreateCounter<long>("ocean.transport.datagrams.sent", "{datagram}", "UDP datagrams sent.");

    public static TagList ClientTags() => new() { { "ocean.role", "client" } };

    public static TagList ServerTags(string endPoint) => new() { { "ocean.role", "server" }, { "ocean.server.endpoint", endPoint } };
}
