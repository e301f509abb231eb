using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ocean.Framing.Internal;

/// <summary>The <c>Ocean.Framing</c> meter.</summary>
internal static class FramingMetrics
{
    public const string MeterName = "Ocean.Framing";

    private static readonly Meter s_meter = new(MeterName, typeof(FramingMetrics).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> FramesReceived =
        s_meter.CreateCounter<long>("ocean.framing.frames.received", "{frame}", "Frames (messages) read.");

    public static readonly Counter<long> FramesSent =
        s_meter.CreateCounter<long>("ocean.framing.frames.sent", "{frame}", "Frames (messages) sent.");

    public static readonly Counter<long> Errors =
        s_meter.CreateCounter<long>("ocean.framing.errors", "{error}", "Connections closed for bad framing, by kind (tag error.kind).");

    public static readonly Counter<long> DatagramsDropped =
        s_meter.CreateCounter<long>("ocean.framing.datagrams.dropped", "{datagram}", "Datagrams a datagram server dropped, by reason (tag reason: peer_limit, queue_full, byte_limit).");

    public static void CountError(string kind) => Errors.Add(1, new KeyValuePair<string, object?>("error.kind", kind));

    public static void CountDropped(string reason) => DatagramsDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public static TagList None => default;
}
