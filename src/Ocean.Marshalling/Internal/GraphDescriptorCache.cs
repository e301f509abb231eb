using System.Collections.Concurrent;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// The version-skewed descriptors a marshaller has planned (<see cref="GraphSkewPlan"/>), by their bytes, so a peer
/// of another version does not cost a plan per stream. Any peer can send new descriptors at will, so the cache is
/// bounded in entries and in bytes, refuses a single large descriptor, and when full drops its oldest entries: a
/// flood can neither grow it nor fill it for good (an honest descriptor is planned again the next time it comes).
/// The descriptors of local classes are not kept here, so no stream can evict them.
/// </summary>
internal sealed class GraphDescriptorCache
{
    /// <summary>How many descriptors are kept.</summary>
    public const int MaxEntries = 1024;

    /// <summary>How many bytes the kept descriptors and their plans may take, as <see cref="Weight"/> counts them.</summary>
    public const long MaxWeight = 4 * 1024 * 1024;

    /// <summary>A descriptor heavier than this is planned for each stream that sends it and never kept.</summary>
    public const int MaxEntryWeight = 64 * 1024;

    private readonly ConcurrentDictionary<byte[], GraphClassEntry> _entries = new(GraphByteArrayComparer.Instance);
    private readonly ConcurrentDictionary<byte[], GraphClassEntry>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly Queue<(byte[] Key, int Weight)> _oldestFirst = new();
    private readonly Lock _lock = new();
    private long _weight;

    public GraphDescriptorCache() => _lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();

    public int Count => _entries.Count;

    public long TotalWeight
    {
        get
        {
            lock (_lock)
            {
                return _weight;
            }
        }
    }

    /// <summary>
    /// What an entry is taken to cost: its bytes (the key), and for each wire member its step, signature and
    /// signature list slot in the plan.
    /// </summary>
    public static int Weight(int descriptorLength, int memberCount) => (int)Math.Min(int.MaxValue, descriptorLength + (128L * memberCount));

    public bool TryGet(ReadOnlySpan<byte> descriptor, out GraphClassEntry entry) => _lookup.TryGetValue(descriptor, out entry!);

    public void Add(ReadOnlySpan<byte> descriptor, GraphClassEntry entry)
    {
        var weight = Weight(descriptor.Length, entry.WireSignatures.Length);
        if (weight > MaxEntryWeight)
        {
            return;
        }

        lock (_lock)
        {
            if (_lookup.ContainsKey(descriptor))
            {
                return;
            }

            while (_oldestFirst.Count != 0 && (_oldestFirst.Count >= MaxEntries || _weight + weight > MaxWeight))
            {
                var (oldest, oldestWeight) = _oldestFirst.Dequeue();
                _entries.TryRemove(oldest, out _);
                _weight -= oldestWeight;
            }

            var key = descriptor.ToArray();
            _entries[key] = entry;
            _oldestFirst.Enqueue((key, weight));
            _weight += weight;
        }
    }
}
