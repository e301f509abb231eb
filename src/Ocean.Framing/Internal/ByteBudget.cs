namespace Ocean.Framing.Internal;

/// <summary>
/// A server-wide allowance of bytes shared by its connections: a reservation either fits whole or is refused,
/// so what is reserved never exceeds the limit. Lock-free; only paths that hold memory beyond the
/// per-connection allowance call it.
/// </summary>
internal sealed class ByteBudget(long limit)
{
    private long _used;
    private long _peak;

    /// <summary>The most bytes that may be reserved at once.</summary>
    public long Limit => limit;

    /// <summary>Bytes reserved now.</summary>
    public long Used => Volatile.Read(ref _used);

    /// <summary>The most bytes ever reserved at once (for tests and diagnostics).</summary>
    public long Peak => Volatile.Read(ref _peak);

    /// <summary>Reserves <paramref name="bytes"/> if they fit under the limit.</summary>
    public bool TryReserve(long bytes)
    {
        var used = Volatile.Read(ref _used);
        while (true)
        {
            var wanted = used + bytes;
            if (wanted > limit)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _used, wanted, used);
            if (seen == used)
            {
                RaisePeak(wanted);
                return true;
            }

            used = seen;
        }
    }

    /// <summary>Gives back bytes reserved earlier.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);

    private void RaisePeak(long value)
    {
        var peak = Volatile.Read(ref _peak);
        while (value > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peak, value, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }
}
