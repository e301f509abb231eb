using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ocean.Remoting.Internal;

/// <summary>
/// The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>Ocean.Remoting</c>: what OpenTelemetry (or
/// dotnet-counters) listens to. Nothing here costs more than a flag test while nobody listens.
/// </summary>
internal static class RemotingTelemetry
{
    public const string Name = "Ocean.Remoting";

    /// <summary>The W3C trace-context headers, carried as metadata entries of these names.</summary>
    public const string TraceParent = "traceparent";

    public const string TraceState = "tracestate";

    public static readonly ActivitySource Source = new(Name, "1.0.0");

    public static readonly Meter Meter = new(Name, "1.0.0");

    public static readonly Counter<long> CallsStarted = Meter.CreateCounter<long>("ocean.remoting.calls.started", "{call}", "Remote calls started (tag side: client or server).");

    public static readonly Counter<long> CallsCompleted = Meter.CreateCounter<long>("ocean.remoting.calls.completed", "{call}", "Remote calls that returned a result.");

    public static readonly Counter<long> CallsFailed = Meter.CreateCounter<long>("ocean.remoting.calls.failed", "{call}", "Remote calls that failed, by status.");

    public static readonly UpDownCounter<long> CallsInFlight = Meter.CreateUpDownCounter<long>("ocean.remoting.calls.in_flight", "{call}", "Remote calls started and not yet completed.");

    public static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>("ocean.remoting.call.duration", "s", "How long remote calls took, from start to reply.");

    public static readonly Counter<long> Retransmissions = Meter.CreateCounter<long>("ocean.remoting.datagrams.retransmitted", "{datagram}", "Requests a UDP client sent again (no reply in time, or a new token).");

    public static readonly Counter<long> DatagramsDropped = Meter.CreateCounter<long>("ocean.remoting.datagrams.dropped", "{datagram}", "Datagrams dropped unanswered or unrun, by reason (malformed, unvalidated, duplicate, busy).");

    public static void Dropped(string reason) => DatagramsDropped.Add(1, new KeyValuePair<string, object?>("ocean.remoting.reason", reason));

    public static readonly KeyValuePair<string, object?> ClientSide = new("ocean.remoting.side", "client");

    public static readonly KeyValuePair<string, object?> ServerSide = new("ocean.remoting.side", "server");

    /// <summary>Whether any metric instrument has a listener (checked once per call).</summary>
    public static bool MetricsEnabled => CallsStarted.Enabled || CallDuration.Enabled || CallsInFlight.Enabled || CallsFailed.Enabled || CallsCompleted.Enabled;

    public static void Started(in KeyValuePair<string, object?> side, string method)
    {
        var methodTag = new KeyValuePair<string, object?>("ocean.remoting.method", method);
        CallsStarted.Add(1, side, methodTag);
        CallsInFlight.Add(1, side, methodTag);
    }

    public static void Finished(in KeyValuePair<string, object?> side, string method, RemotingStatus status, long startTimestamp)
    {
        var methodTag = new KeyValuePair<string, object?>("ocean.remoting.method", method);
        CallsInFlight.Add(-1, side, methodTag);
        if (status == RemotingStatus.Ok)
        {
            CallsCompleted.Add(1, side, methodTag);
        }
        else
        {
            CallsFailed.Add(1, side, methodTag, new KeyValuePair<string, object?>("ocean.remoting.status", status.ToString()));
        }

        CallDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, side, methodTag);
    }
}
