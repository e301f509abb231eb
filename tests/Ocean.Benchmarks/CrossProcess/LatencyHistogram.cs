using System.Numerics;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// A log-linear latency histogram in nanoseconds (HdrHistogram-like: 64 linear sub-buckets per power of
/// two, so a reported percentile is within about 1.6% of the true value). Recording is an index
/// computation and an increment: no allocation, no lock; one instance per connection, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits; // 64
    private const int LinearLimit = 2 * SubBuckets; // values below 128 ns are exact
    private const int MaxShift = 40; // up to about 2^47 ns (39 hours); larger values land in the last bucket

    private readonly long[] _counts = new long[LinearLimit + (MaxShift * SubBuckets)];

    public long Count { get; private set; }

    public long MaxNanoseconds { get; private set; }

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
        {
            nanoseconds = 0;
        }

        _counts[Index(nanoseconds)]++;
        Count++;
        if (nanoseconds > MaxNanoseconds)
        {
            MaxNanoseconds = nanoseconds;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxNanoseconds = Math.Max(MaxNanoseconds, other.MaxNanoseconds);
    }

    /// <summary>The value at <paramref name="percentile"/> (0-100), as the midpoint of its bucket; 0 when empty.</summary>
    public double PercentileNanoseconds(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * Count);
        rank = Math.Clamp(rank, 1, Count);
        var seen = 0L;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Midpoint(i), MaxNanoseconds);
            }
        }

        return MaxNanoseconds;
    }

    private static int Index(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        var msb = 63 - BitOperations.LeadingZeroCount((ulong)value); // >= 7
        var shift = msb - SubBucketBits; // >= 1
        if (shift > MaxShift)
        {
            return LinearLimit + (MaxShift * SubBuckets) - 1;
        }

        return LinearLimit + ((shift - 1) * SubBuckets) + (int)((value >> shift) - SubBuckets);
    }

    private static double Midpoint(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var shift = ((index - LinearLimit) / SubBuckets) + 1;
        var mantissa = ((index - LinearLimit) % SubBuckets) + SubBuckets;
        return ((double)mantissa * (1L << shift)) + ((1L << shift) / 2.0);
    }
}
