using System.Diagnostics.Metrics;

namespace Ocean.Framing.Tests.Hostile;

/// <summary>Counts <c>ocean.framing.datagrams.dropped</c> measurements with one <c>reason</c> tag, from every server in the process.</summary>
internal sealed class DroppedDatagramCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public DroppedDatagramCounter(string reason)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Ocean.Framing" && instrument.Name == "ocean.framing.datagrams.dropped")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason" && (string?)tag.Value == reason)
                {
                    Interlocked.Add(ref _count, value);
                }
            }
        });
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
