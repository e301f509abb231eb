using System.Buffers;
using System.Buffers.Binary;

namespace Ocean.Remoting.Protocol;

/// <summary>
/// A request's metadata entries as they arrived: already validated (counts, lengths, key characters, UTF-8), read
/// lazily so a request whose metadata nobody reads costs no string.
/// </summary>
internal readonly struct MetadataSection
{
    private readonly ReadOnlySequence<byte> _bytes;

    public MetadataSection(int count, in ReadOnlySequence<byte> bytes)
    {
        Count = count;
        _bytes = bytes;
    }

    /// <summary>The number of entries.</summary>
    public int Count { get; }

    /// <summary>The entries as strings (allocates; for the call context).</summary>
    public KeyValuePair<string, string>[] ToArray()
    {
        if (Count == 0)
        {
            return [];
        }

        var result = new KeyValuePair<string, string>[Count];
        var reader = new SequenceReader<byte>(_bytes);
        Span<byte> lengthBytes = stackalloc byte[2];
        for (var i = 0; i < Count; i++)
        {
            reader.TryRead(out var keyLength);
            var key = WireReader.Decode(reader.UnreadSequence.Slice(0, keyLength), "metadata key");
            reader.Advance(keyLength);
            reader.TryCopyTo(lengthBytes);
            reader.Advance(2);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
            var value = WireReader.Decode(reader.UnreadSequence.Slice(0, valueLength), "metadata value");
            reader.Advance(valueLength);
            result[i] = new KeyValuePair<string, string>(key, value);
        }

        return result;
    }
}
