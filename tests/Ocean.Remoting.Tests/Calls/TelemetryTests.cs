using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ocean.Remoting.Tests.Calls;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    /// <summary>ActivityListener and MeterListener are process-global: these tests run alone.</summary>
    public const string Name = "Remoting telemetry";
}

public interface ITelemetryProbe
{
    Task<int> ProbeAsync(int value);

    Task<int> ProbeFailAsync(int value);
}

public sealed class TelemetryProbe : ITelemetryProbe
{
    public TaskCompletionSource<(ActivityTraceId TraceId, ActivitySpanId SpanId)> ServerActivity { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<int> ProbeAsync(int value)
    {
        if (Activity.Current is { } current)
        {
            ServerActivity.TrySetResult((current.TraceId, current.SpanId));
        }

        return Task.FromResult(value + 1);
    }

    public Task<int> ProbeFailAsync(int value) => throw new ProbeFailedException("telemetry failure");
}

/// <summary>The ActivitySource and Meter named Ocean.Remoting, as OpenTelemetry would see them.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private const string ProbeMethod = "ITelemetryProbe/ProbeAsync";
    private const string FailMethod = "ITelemetryProbe/ProbeFailAsync";
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_call_has_a_client_span_and_a_server_span_in_one_trace(Link link)
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Ocean.Remoting",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == ProbeMethod)
                {
                    stopped.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var probe = new TelemetryProbe();
        await using var loop = await Loopback.StartAsync(s => s.Export<ITelemetryProbe>(probe, "probe"), link);
        (await loop.Proxy<ITelemetryProbe>("probe").ProbeAsync(1).WaitAsync(Timeout)).Should().Be(2);

        await TestTimeouts.UntilAsync(() => stopped.Count >= 2, Timeout, "both spans stop");
        var client = stopped.Should().ContainSingle(a => a.Kind == ActivityKind.Client).Which;
        var server = stopped.Should().ContainSingle(a => a.Kind == ActivityKind.Server).Which;

        server.TraceId.Should().Be(client.TraceId, "the W3C trace context travels in the request");
        server.ParentSpanId.Should().Be(client.SpanId, "the server span's parent is the client span");
        server.HasRemoteParent.Should().BeTrue();
        client.GetTagItem("rpc.system").Should().Be("ocean");
        client.GetTagItem("rpc.method").Should().Be(nameof(ITelemetryProbe.ProbeAsync));
        client.GetTagItem("rpc.ocean.object").Should().Be("probe");
        server.GetTagItem("rpc.ocean.status").Should().Be("Ok");
        client.Status.Should().NotBe(ActivityStatusCode.Error);

        // the method runs inside the server span
        var inside = await probe.ServerActivity.Task.WaitAsync(Timeout);
        inside.TraceId.Should().Be(client.TraceId);
        inside.SpanId.Should().Be(server.SpanId);
    }

    [Fact]
    public async Task A_client_span_continues_the_callers_trace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Ocean.Remoting" or "Ocean.Remoting.Tests.Caller",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == ProbeMethod)
                {
                    stopped.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var callerSource = new ActivitySource("Ocean.Remoting.Tests.Caller");

        await using var loop = await Loopback.StartAsync(s => s.Export<ITelemetryProbe>(new TelemetryProbe(), "probe"));
        ActivityTraceId traceId;
        ActivitySpanId callerSpan;
        using (var caller = callerSource.StartActivity("caller")!)
        {
            traceId = caller.TraceId;
            callerSpan = caller.SpanId;
            (await loop.Proxy<ITelemetryProbe>("probe").ProbeAsync(5).WaitAsync(Timeout)).Should().Be(6);
        }

        await TestTimeouts.UntilAsync(() => stopped.Count >= 2, Timeout, "both spans stop");
        var client = stopped.Single(a => a.Kind == ActivityKind.Client);
        var server = stopped.Single(a => a.Kind == ActivityKind.Server);
        client.TraceId.Should().Be(traceId);
        client.ParentSpanId.Should().Be(callerSpan);
        server.TraceId.Should().Be(traceId);
        server.ParentSpanId.Should().Be(client.SpanId);
    }

    [Fact]
    public async Task A_failed_call_marks_both_spans_as_errors()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Ocean.Remoting",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == FailMethod)
                {
                    stopped.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await using var loop = await Loopback.StartAsync(s => s.Export<ITelemetryProbe>(new TelemetryProbe(), "probe"));
        await loop.Proxy<ITelemetryProbe>("probe").Awaiting(p => p.ProbeFailAsync(1).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();

        await TestTimeouts.UntilAsync(() => stopped.Count >= 2, Timeout, "both spans stop");
        stopped.Should().HaveCount(2).And.OnlyContain(a => a.Status == ActivityStatusCode.Error);
        stopped.Should().OnlyContain(a => (string?)a.GetTagItem("rpc.ocean.status") == nameof(RemotingStatus.ApplicationException));
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task The_meter_counts_started_completed_failed_in_flight_and_duration(Link link)
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Ocean.Remoting")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };

        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            if (map.TryGetValue("ocean.remoting.method", out var method) && method is ProbeMethod or FailMethod)
            {
                measurements.Enqueue((instrument.Name, value, map));
            }
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        await using var loop = await Loopback.StartAsync(s => s.Export<ITelemetryProbe>(new TelemetryProbe(), "probe"), link);
        var probe = loop.Proxy<ITelemetryProbe>("probe");
        for (var i = 0; i < 3; i++)
        {
            (await probe.ProbeAsync(i).WaitAsync(Timeout)).Should().Be(i + 1);
        }

        var failure = (await probe.Awaiting(p => p.ProbeFailAsync(1).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        failure.Status.Should().Be(RemotingStatus.ApplicationException);

        // the server records after sending its reply: wait for both sides' last measurement
        await TestTimeouts.UntilAsync(() => Count("ocean.remoting.call.duration", FailMethod, null) >= 2, Timeout, "both sides record the failed call");
        await TestTimeouts.UntilAsync(() => Count("ocean.remoting.call.duration", ProbeMethod, null) >= 6, Timeout, "both sides record the calls");

        foreach (var side in new[] { "client", "server" })
        {
            Sum("ocean.remoting.calls.started", ProbeMethod, side).Should().Be(3, side);
            Sum("ocean.remoting.calls.completed", ProbeMethod, side).Should().Be(3, side);
            Count("ocean.remoting.calls.failed", ProbeMethod, side).Should().Be(0, side);
            Sum("ocean.remoting.calls.in_flight", ProbeMethod, side).Should().Be(0, side + ": every +1 has its -1");
            measurements.Count(m => m.Instrument == "ocean.remoting.calls.in_flight" && m.Value == 1 && Is(m.Tags, ProbeMethod, side)).Should().Be(3);
            Count("ocean.remoting.call.duration", ProbeMethod, side).Should().Be(3, side);
            measurements.Where(m => m.Instrument == "ocean.remoting.call.duration" && Is(m.Tags, ProbeMethod, side))
                .Should().OnlyContain(m => m.Value > 0 && m.Value < 30, "durations are in seconds");

            Sum("ocean.remoting.calls.started", FailMethod, side).Should().Be(1, side);
            Count("ocean.remoting.calls.completed", FailMethod, side).Should().Be(0, side);
            var failed = measurements.Where(m => m.Instrument == "ocean.remoting.calls.failed" && Is(m.Tags, FailMethod, side)).ToList();
            failed.Should().ContainSingle(side).Which.Tags["ocean.remoting.status"].Should().Be(nameof(RemotingStatus.ApplicationException));
            Sum("ocean.remoting.calls.in_flight", FailMethod, side).Should().Be(0, side);
        }

        double Sum(string instrument, string method, string? side) =>
            measurements.Where(m => m.Instrument == instrument && Is(m.Tags, method, side)).Sum(m => m.Value);

        int Count(string instrument, string method, string? side) =>
            measurements.Count(m => m.Instrument == instrument && Is(m.Tags, method, side));

        static bool Is(Dictionary<string, object?> tags, string method, string? side) =>
            (string?)tags["ocean.remoting.method"] == method && (side is null || (string?)tags["ocean.remoting.side"] == side);
    }
}

/// <summary>The meters of objects exported and leases held, end to end (alone: the meter is process-wide).</summary>
[Collection(TelemetryCollection.Name)]
public sealed class ExportMeterTests
{
    [Fact]
    public async Task Exported_objects_and_leases_are_counted_from_export_to_release()
    {
        long exported = 0;
        long leases = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Ocean.Remoting" && instrument.Name is "ocean.remoting.leases" or "ocean.remoting.objects.exported")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "ocean.remoting.leases")
            {
                Interlocked.Add(ref leases, value);
            }
            else
            {
                Interlocked.Add(ref exported, value);
            }
        });
        listener.Start();

        var server = new RemotingServer(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        server.Export<References.IHub>(new References.Hub(), "hub");
        await server.StartAsync().WithTimeout();
        var client = await RemotingClient.ConnectAsync(server.EndPoint).WithTimeout();
        Interlocked.Read(ref exported).Should().Be(3, "the hub, and each side's built-in lease service");

        var counter = await client.GetProxy<References.IHub>("hub").NewCounterAsync(0).WithTimeout();
        Interlocked.Read(ref exported).Should().Be(4, "the counter, exported implicitly by reference");
        await TestTimeouts.UntilAsync(() => Interlocked.Read(ref leases) == 1, because: "the client's lease (its dirty ended the provisional one)");
        (await counter.IncrementAsync().WithTimeout()).Should().Be(1);

        await client.DisposeAsync(); // cleans its lease: the counter is released; the client's own service goes
        await TestTimeouts.UntilAsync(() => Interlocked.Read(ref exported) == 2, because: "the counter released and the client gone");
        Interlocked.Read(ref leases).Should().Be(0);

        await server.DisposeAsync();
        Interlocked.Read(ref exported).Should().Be(0);
    }
}
