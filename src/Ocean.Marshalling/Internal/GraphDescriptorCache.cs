using System.Collections.Concurrent;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// The version-skewed descriptors a marshaller has planned (<see cref="GraphSkewPlan"/>), by their bytes, so a peer
/// of another version does not cost a plan per stream. Any peer can send new descriptors at will, so the cache is
/// bounded in entries and in bytes and refuses a single large descriptor; when full it evicts by second chance
/// (CLOCK): the oldest entry goes unless a stream has used it since it was added or last spared. A flood of new
/// descriptors, each sent once, can neither grow the cache nor fill it for good, and it evicts its own entries
/// before the ones honest peers keep using. The descriptors of local classes are not kept here, so no stream can
/// evict them.
/// </summary>
internal sealed class GraphDescriptorCache
{
    /// <summary>A descriptor heavier than this (or than <see cref="MaxWeight"/>) is planned for each stream that sends it and never kept.</summary>
    public const int MaxEntryWeight = 64 * 1024;

    private readonly ConcurrentDictionary<byte[], Slot> _slots = new(GraphByteArrayComparer.Instance);
    private readonly ConcurrentDictionary<byte[], Slot>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly Queue<Slot> _oldestFirst = new();
    private readonly Lock _lock = new();
    private long _weight;

    /// <param name="maxEntries">How many descriptors are kept (<see cref="GraphMarshallerOptions.MaxCachedDescriptors"/>).</param>
    /// <param name="maxWeight">How many bytes they may weigh (<see cref="GraphMarshallerOptions.MaxCachedDescriptorBytes"/>).</param>
    public GraphDescriptorCache(int maxEntries, int maxWeight)
    {
        MaxEntries = maxEntries;
        MaxWeight = maxWeight;
        _lookup = _slots.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>How many descriptors are kept.</summary>
    public int MaxEntries { get; }

    /// <summary>How many bytes the kept descriptors and their plans may take, as <see cref="Weight"/> counts them.</summary>
    public long MaxWeight { get; }

    public int Count => _slots.Count;

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

    public bool TryGet(ReadOnlySpan<byte> descriptor, out GraphClassEntry entry)
    {
        if (_lookup.TryGetValue(descriptor, out var slot))
        {
            // Written only when it changes, so a descriptor in steady use costs no cache-line traffic between threads.
            if (!slot.Used)
            {
                slot.Used = true;
            }

            entry = slot.Entry;
            return true;
        }

        entry = null!;
        return false;
    }

    public void Add(ReadOnlySpan<byte> descriptor, GraphClassEntry entry)
    {
        var weight = Weight(descriptor.Length, entry.WireSignatures.Length);
        if (weight > MaxEntryWeight || weight > MaxWeight)
        {
            return;
        }

        lock (_lock)
        {
            if (_lookup.ContainsKey(descriptor))
            {
                return;
            }

            // Each pass either evicts or clears a Used flag, so this ends within two rounds of the queue.
            while (_oldestFirst.Count != 0 && (_oldestFirst.Count >= MaxEntries || _weight + weight > MaxWeight))
            {
                var oldest = _oldestFirst.Dequeue();
                if (oldest.Used)
                {
                    oldest.Used = false;
                    _oldestFirst.Enqueue(oldest);
                    continue;
                }

                _slots.TryRemove(oldest.Key, out _);
                _weight -= oldest.Weight;
            }

            var slot = new Slot(descriptor.ToArray(), entry, weight);
            _slots[slot.Key] = slot;
            _oldestFirst.Enqueue(slot);
            _weight += weight;
        }
    }

    private sealed class Slot(byte[] key, GraphClassEntry entry, int weight)
    {
        public byte[] Key { get; } = key;

        public GraphClassEntry Entry { get; } = entry;

        public int Weight { get; } = weight;

        /// <summary>Set when a stream uses the entry; cleared when eviction spares it once.</summary>
        public bool Used { get; set; }
    }
}
