using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Reads one object-graph stream from contiguous bytes. Every read checks the bytes that remain, and every
/// limit is checked before allocating. One per thread, reused; holds the handle and descriptor tables.
/// </summary>
internal sealed class GraphReader
{
    /// <summary>A handle whose object is still being read and not yet constructed.</summary>
    private static readonly object s_pending = new();

    /// <summary>A handle of a collection in a member this reader does not know (parsed, never built).</summary>
    private static readonly object s_skipped = new();

    /// <summary>The memory every stream may create beyond <see cref="GraphLimits.MaxMemoryMultiple"/> times its length.</summary>
    public const long MemoryAllowance = 1024 * 1024;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [ThreadStatic]
    private static GraphReader? t_cached;

    private readonly List<object?> _handles = [];
    private bool _inUse;
    private readonly List<GraphClassEntry> _classes = [];
    private byte[] _buffer = [];
    private int _position;
    private int _start;
    private int _end;
    private int _depth;
    private int _objects;
    private long _memoryLeft;
    private long _keyComparisonsLeft;
    private GraphLimits _limits;

    private Dictionary<(Type Declared, object Value), object?>? _surrogateIdentity;

    public GraphCodecFactory Factory { get; private set; } = null!;

    public int Remaining => _end - _position;

    /// <summary>The bytes of the stream read so far.</summary>
    public int Position => _position - _start;

    /// <summary>The per-message state handed to the surrogate provider (null outside a message reader).</summary>
    public MarshallingContext? Context { get; set; }

    /// <summary>
    /// This stream's what each surrogate was resolved to (see <see cref="GraphSurrogateCodec{TDeclared, TSurrogate}"/>): created on first use, so
    /// only a marshaller with a surrogate provider ever has one, and kept with the pooled instance.
    /// </summary>
    public Dictionary<(Type Declared, object Value), object?> SurrogateIdentity => _surrogateIdentity ??= new(GraphSurrogateKeyComparer.Instance);

    public static GraphReader Rent(GraphCodecFactory factory, byte[] buffer, int offset, int count)
    {
        // Marked in use rather than taken out of the slot, so a re-entrant call gets its own (not kept).
        var reader = t_cached;
        if (reader is null || reader._inUse)
        {
            // The new one takes the slot: one left in use (a message never disposed) does not keep every later call from pooling.
            reader = new GraphReader();
            t_cached = reader;
        }

        reader._inUse = true;
        reader.Factory = factory;
        reader._limits = factory.Limits;
        reader._buffer = buffer;
        reader._position = offset;
        reader._start = offset;
        reader._end = offset + count;
        reader._memoryLeft = ((long)reader._limits.MaxMemoryMultiple * count) + MemoryAllowance;
        reader._keyComparisonsLeft = reader._limits.MaxKeyComparisons;
        return reader;
    }

    public void Return()
    {
        // Drop references to the caller's bytes and objects.
        _buffer = [];
        Context = null;
        if (_surrogateIdentity is { } identity)
        {
            // Keep a small table for the next stream; drop a large one rather than hold its memory.
            _surrogateIdentity = identity.Count > 1024 ? null : identity;
            identity.Clear();
        }

        _depth = 0;
        _objects = 0;
        _handles.Clear();
        if (_handles.Capacity > 1024)
        {
            _handles.Capacity = 16;
        }

        _classes.Clear();
        Factory = null!;
        _inUse = false;
    }

    public void ReadHeader(byte[] expected)
    {
        ReadMagic();
        ReadRootSignature(expected);
    }

    /// <summary>Reads the value's signature and refuses one that is not <paramref name="expected"/> (see <see cref="GraphWire.Equivalent"/>).</summary>
    public void ReadRootSignature(byte[] expected)
    {
        var signature = ReadSignature();
        if (!GraphWire.Equivalent(signature, expected))
        {
            throw new MarshallingException(MarshallingError.Incompatible, $"The stream holds {GraphWire.Describe(signature)}, not {GraphWire.Describe(expected)}.");
        }
    }

    /// <summary>Reads the stream's magic and version.</summary>
    public void ReadMagic()
    {
        // Malformed as soon as a byte present is not the magic's; truncated only when what is there is a prefix of it.
        var present = Math.Min(Remaining, 2);
        ReadOnlySpan<byte> magic = [GraphWire.Magic0, GraphWire.Magic1];
        if (!_buffer.AsSpan(_position, present).SequenceEqual(magic[..present]))
        {
            throw new MarshallingException(MarshallingError.Malformed, "The bytes are not an object-graph stream (no 'OG' magic).");
        }

        if (Remaining < 3)
        {
            throw new MarshallingException(MarshallingError.Truncated, "The stream ends inside its 'OG' magic and version.");
        }

        if (_buffer[_position + 2] != GraphWire.Version)
        {
            throw new MarshallingException(MarshallingError.Incompatible, $"The object-graph stream has format version {_buffer[_position + 2]}; this reader knows version {GraphWire.Version}.");
        }

        _position += 3;
    }

    /// <summary>Reads a signature and returns its bytes (a view of the input, valid until the reader is returned).</summary>
    public ReadOnlySpan<byte> ReadSignature()
    {
        var rest = _buffer.AsSpan(_position, Remaining);
        var length = GraphWire.Measure(rest);
        if (length < 0)
        {
            throw new MarshallingException(rest.IsEmpty ? MarshallingError.Truncated : MarshallingError.Malformed, rest.IsEmpty ? "The stream is truncated." : "The stream has a malformed type signature.");
        }

        _position += length;
        return rest[..length];
    }

    public GraphClassEntry ReadClassRef() => ReadClassRef(null);

    /// <summary>
    /// Reads a class reference or a new descriptor. <paramref name="expected"/> is the local class the declared type
    /// most likely sends: a descriptor equal to its bytes is taken as its exact entry without being parsed again or
    /// looked up (a descriptor parses deterministically, so one that starts with a whole valid descriptor is that
    /// descriptor and ends where it ends; the local one is registered, well formed and fingerprinted).
    /// </summary>
    public GraphClassEntry ReadClassRef(GraphClass? expected)
    {
        var reference = ReadVarint();
        if (reference != 0)
        {
            if (reference > (uint)_classes.Count)
            {
                throw new MarshallingException(MarshallingError.Malformed, $"Class reference {reference} comes before its descriptor.");
            }

            return _classes[(int)reference - 1];
        }

        CountObject();
        if (expected is not null && _buffer.AsSpan(_position, _end - _position).StartsWith(expected.Descriptor))
        {
            _position += expected.Descriptor.Length;
            _classes.Add(expected.ExactEntry);
            return expected.ExactEntry;
        }

        var start = _position;
        SkipDescriptor();
        var entry = Factory.ResolveDescriptor(_buffer.AsSpan(start, _position - start));
        _classes.Add(entry);
        return entry;
    }

    /// <summary>Gives the next handle to an object not constructed yet (see <see cref="Complete"/>), charging its size in memory.</summary>
    public int ReserveHandle(int instanceSize)
    {
        CountObject();
        Charge(instanceSize);
        _handles.Add(s_pending);
        return _handles.Count - 1;
    }

    public void AddHandle(object value)
    {
        CountObject();
        _handles.Add(value);
    }

    public void AddSkippedHandle()
    {
        CountObject();
        _handles.Add(s_skipped);
    }

    public void Complete(int handle, object value) => _handles[handle] = value;

    /// <summary>The object a back reference names; refuses one still under construction or one never built.</summary>
    public object GetReference()
    {
        var handle = ReadVarint();
        if (handle >= (uint)_handles.Count)
        {
            throw new MarshallingException(MarshallingError.Malformed, $"Reference to handle {handle}, which has not been read.");
        }

        var value = _handles[(int)handle]!;
        if (ReferenceEquals(value, s_pending))
        {
            throw new MarshallingException(MarshallingError.Malformed, $"Reference to handle {handle}, whose object is still being constructed: a cycle through a constructor parameter cannot be rebuilt.");
        }

        if (ReferenceEquals(value, s_skipped))
        {
            throw new MarshallingException(MarshallingError.Incompatible, $"Reference to handle {handle}, a collection in a member this reader does not know.");
        }

        return value;
    }

    /// <summary>Checks a back reference read while skipping (it need not be usable, only valid).</summary>
    public void SkipReference()
    {
        if (ReadVarint() >= (uint)_handles.Count)
        {
            throw new MarshallingException(MarshallingError.Malformed, "Reference to a handle that has not been read.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        var depth = ++_depth;
        if (depth > _limits.MaxDepth)
        {
            ThrowTooDeep();
        }

        // Every 8th level is enough (as in CdrReader): 8 levels take a few KB of stack, far less than the margin the probe keeps.
        if ((depth & 7) == 0 && !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            ThrowStackExhausted();
        }
    }

    private void ThrowTooDeep() => throw new MarshallingException(MarshallingError.LimitExceeded, $"The stream nests deeper than the limit of {_limits.MaxDepth}.");

    private static void ThrowStackExhausted() => throw new MarshallingException(MarshallingError.LimitExceeded, "The stream nests too deeply for the stack.");

    public void Exit() => _depth--;

    /// <summary>
    /// Reads a collection's count, refused when over the limit or beyond what the remaining bytes can hold. A
    /// collection that is then created is charged to the memory budget (<see cref="Charge"/>) before it is.
    /// </summary>
    public int ReadCount(int minimumElementSize)
    {
        var count = ReadVarint();
        if (count > (uint)_limits.MaxCollectionLength)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"A collection claims {count} elements; the limit is {_limits.MaxCollectionLength}.");
        }

        if ((long)count * minimumElementSize > Remaining)
        {
            throw new MarshallingException(MarshallingError.Truncated, $"A collection claims {count} elements, more than the {Remaining} remaining bytes can hold.");
        }

        return (int)count;
    }

    /// <summary>
    /// Charges memory about to be allocated to the stream's one budget, refusing the stream once it is spent: the
    /// wire size of a value says little about its size in memory (a struct of 256 bytes may take one byte on the
    /// wire when its descriptor lists no members), so every allocation counts against the input's length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Charge(long bytes)
    {
        if ((_memoryLeft -= bytes) < 0)
        {
            ThrowMemorySpent();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        if (_position >= _end)
        {
            ThrowTruncated();
        }

        return _buffer[_position++];
    }

    public uint ReadVarint()
    {
        // Most varints (counts, references, short string lengths) are one byte.
        var position = _position;
        if (position < _end && _buffer[position] < 0x80)
        {
            _position = position + 1;
            return _buffer[position];
        }

        return ReadLongVarint();
    }

    private uint ReadLongVarint()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = ReadByte();
            if (shift == 28 && b > 0x0F)
            {
                throw new MarshallingException(MarshallingError.Malformed, "A varint is longer than 32 bits.");
            }

            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new MarshallingException(MarshallingError.Malformed, "A varint is longer than 32 bits.");
    }

    public void Skip(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            ThrowTruncated();
        }

        _position += count;
    }

    public ReadOnlySpan<byte> ReadSpan(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            ThrowTruncated();
        }

        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new MarshallingException(MarshallingError.Malformed, $"A bool is {b}; only 0 and 1 are allowed."),
    };

    public byte ReadUInt8() => ReadByte();

    public sbyte ReadInt8() => (sbyte)ReadByte();

    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(ReadSpan(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadSpan(2));

    public char ReadChar() => (char)BinaryPrimitives.ReadUInt16LittleEndian(ReadSpan(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(ReadSpan(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadSpan(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(ReadSpan(8));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadSpan(8));

    public float ReadSingle() => BinaryPrimitives.ReadSingleLittleEndian(ReadSpan(4));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(ReadSpan(8));

    public decimal ReadDecimal()
    {
        var span = ReadSpan(16);
        var lo = BinaryPrimitives.ReadInt32LittleEndian(span);
        var mid = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        var hi = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var flags = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var scale = (flags >> 16) & 0xFF;
        if ((flags & 0x7F00FFFF) != 0 || scale > 28)
        {
            throw new MarshallingException(MarshallingError.Malformed, "A decimal has invalid flags.");
        }

        return new decimal(lo, mid, hi, flags < 0, (byte)scale);
    }

    public string? ReadString()
    {
        var prefix = ReadVarint();
        if (prefix == 0)
        {
            return null;
        }

        var length = prefix - 1;
        if (length > (uint)_limits.MaxStringLength)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"A string claims {length} bytes; the limit is {_limits.MaxStringLength}.");
        }

        if (length != 0)
        {
            // A string object: about 24 bytes, then at most two bytes per UTF-8 byte.
            Charge(24 + (2L * length));
        }

        return Decode(ReadSpan((int)length));
    }

    public void SkipString()
    {
        var prefix = ReadVarint();
        if (prefix > 1)
        {
            var length = prefix - 1;
            if (length > (uint)_limits.MaxStringLength)
            {
                throw new MarshallingException(MarshallingError.LimitExceeded, $"A string claims {length} bytes; the limit is {_limits.MaxStringLength}.");
            }

            Skip((int)length);
        }
    }

    /// <summary>Reads a name (stable or member name): varint length 1..1024, then UTF-8.</summary>
    public static string ReadName(ReadOnlySpan<byte> descriptor, ref int offset)
    {
        var length = ReadNameLength(descriptor, ref offset);
        var name = Decode(descriptor.Slice(offset, length));
        offset += length;
        return name;
    }

    public static int ReadNameLength(ReadOnlySpan<byte> bytes, ref int offset)
    {
        uint length = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (offset >= bytes.Length || shift > 14)
            {
                throw new MarshallingException(MarshallingError.Malformed, "A name is truncated or too long.");
            }

            var b = bytes[offset++];
            length |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }
        }

        if (length == 0 || length > GraphWire.MaxNameLength || length > (uint)(bytes.Length - offset))
        {
            throw new MarshallingException(MarshallingError.Malformed, $"A name claims {length} bytes; names take 1 to {GraphWire.MaxNameLength} bytes and must fit the stream.");
        }

        return (int)length;
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        // One strict decoder validates while it counts and transcodes (no separate validation pass, no buffer).
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new MarshallingException(MarshallingError.Malformed, "A string is not valid UTF-8.");
        }
    }

    /// <summary>Moves past a class descriptor, checking its structure (the factory decodes it when it is new).</summary>
    private void SkipDescriptor()
    {
        var bytes = _buffer.AsSpan(_position, Remaining);
        var offset = 0;
        var nameLength = ReadNameLength(bytes, ref offset);
        offset += nameLength;
        if (bytes.Length - offset < 8)
        {
            ThrowTruncated();
        }

        offset += 8;
        _position += offset;
        var members = ReadVarint();
        if ((long)members * 2 > Remaining)
        {
            throw new MarshallingException(MarshallingError.Truncated, $"A class descriptor claims {members} members, more than the remaining bytes can hold.");
        }

        for (var i = 0; i < members; i++)
        {
            bytes = _buffer.AsSpan(_position, Remaining);
            offset = 0;
            var memberNameLength = ReadNameLength(bytes, ref offset);
            _position += offset + memberNameLength;
            ReadSignature();
        }
    }

    /// <summary>Adds one key comparison per entry of a dictionary about to be read (<see cref="GraphKeyComparer{T}"/>).</summary>
    public void AllowKeyComparisons(int entries) => _keyComparisonsLeft += entries;

    /// <summary>Charges one key comparison to the stream; false once its budget is spent.</summary>
    public bool TrySpendKeyComparison() => --_keyComparisonsLeft >= 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CountObject()
    {
        if (++_objects > _limits.MaxObjects)
        {
            ThrowTooManyObjects();
        }
    }

    private void ThrowTooManyObjects() =>
        throw new MarshallingException(MarshallingError.LimitExceeded, $"The stream holds more than the limit of {_limits.MaxObjects} objects.");

    private static void ThrowTruncated() => throw new MarshallingException(MarshallingError.Truncated, "The stream is truncated.");

    private void ThrowMemorySpent() => throw new MarshallingException(MarshallingError.LimitExceeded,
        $"The stream would make the reader create more than {_limits.MaxMemoryMultiple} times its length in memory (plus {MemoryAllowance} bytes), the limit (GraphMarshallerOptions.MaxMemoryMultiple).");
}
