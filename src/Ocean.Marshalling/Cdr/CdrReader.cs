using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ocean.Marshalling.Cdr;

/// <summary>Reads a value inside an encapsulation; see <see cref="CdrReader.ReadEncapsulation{T}"/>.</summary>
/// <typeparam name="T">What is read.</typeparam>
/// <param name="reader">The encapsulation's own reader.</param>
/// <returns>The value.</returns>
public delegate T CdrReadFunc<T>(ref CdrReader reader);

/// <summary>
/// Reads CORBA CDR (GIOP 1.2) from a <see cref="ReadOnlySequence{T}"/>, in the byte order it is told or that an
/// encapsulation announces ("receiver makes it right"). Padding is skipped whatever its value.
/// </summary>
/// <remarks>
/// Every read checks the bytes that remain first: truncated input, or a length beyond the remaining bytes,
/// raises <see cref="MarshallingException"/> before anything is allocated. Nesting is bounded by
/// <see cref="MaxDepth"/> and a stack guard, the objects the codecs create by <see cref="MaxObjects"/>. The reader
/// works on one contiguous span; a multi-segment sequence is copied into one array first (the marshaller does that
/// with a pooled buffer).
/// </remarks>
public ref struct CdrReader
{
    /// <summary>How deeply structs may nest when read, so hostile input cannot exhaust the stack.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>How many objects (class and union instances, arrays, lists) one read may create by default.</summary>
    public const int DefaultMaxObjects = 100_000;

    private readonly ReadOnlySpan<byte> _input;
    private int _offset;
    private readonly long _startPosition;
    private readonly bool _littleEndian;
    private int _depth;
    private int _maxDepth;
    private int _objects;
    private int _maxObjects;

    /// <summary>Creates a reader.</summary>
    /// <param name="input">The bytes.</param>
    /// <param name="byteOrder">Their byte order.</param>
    /// <param name="startPosition">The alignment position of the first byte (see <see cref="CdrWriter(IBufferWriter{byte}, ByteOrder, long)"/>).</param>
    public CdrReader(ReadOnlySequence<byte> input, ByteOrder byteOrder = ByteOrder.BigEndian, long startPosition = 0)
        : this(input.IsSingleSegment ? input.FirstSpan : input.ToArray(), byteOrder, startPosition)
    {
    }

    /// <summary>Creates a reader over contiguous bytes.</summary>
    /// <param name="input">The bytes.</param>
    /// <param name="byteOrder">Their byte order.</param>
    /// <param name="startPosition">The alignment position of the first byte.</param>
    public CdrReader(ReadOnlySpan<byte> input, ByteOrder byteOrder = ByteOrder.BigEndian, long startPosition = 0)
    {
        _input = input;
        _littleEndian = byteOrder == ByteOrder.LittleEndian;
        _startPosition = startPosition;
        _maxDepth = DefaultMaxDepth;
        _maxObjects = DefaultMaxObjects;
    }

    /// <summary>A reader with limits already checked (by <see cref="CdrMarshallerOptions"/>), for the marshaller's hot path.</summary>
    internal CdrReader(ReadOnlySpan<byte> input, bool littleEndian, int maxDepth, int maxObjects)
    {
        _input = input;
        _littleEndian = littleEndian;
        _maxDepth = maxDepth;
        _maxObjects = maxObjects;
    }

    /// <summary>How deeply nested structs may be read (default <see cref="DefaultMaxDepth"/>).</summary>
    public int MaxDepth
    {
        readonly get => _maxDepth;
        set => _maxDepth = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// How many objects the values read may create (default <see cref="DefaultMaxObjects"/>): instances of classes
    /// and unions, arrays and lists, counted over everything this reader reads. Strings and value-type structs are
    /// not counted (their memory is bounded by the bytes they take).
    /// </summary>
    public int MaxObjects
    {
        readonly get => _maxObjects;
        set => _maxObjects = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// Called when a nested struct starts; refuses nesting deeper than <see cref="MaxDepth"/>, or deeper than the
    /// stack allows when <see cref="MaxDepth"/> is raised far (a stack overflow cannot be caught).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnterNested()
    {
        var depth = ++_depth;
        if (depth > _maxDepth)
        {
            ThrowTooDeep(_maxDepth);
        }

        // Every 8th level is enough: 8 levels take a few KB of stack, far less than the margin the check keeps.
        if ((depth & 7) == 0 && !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            ThrowStackExhausted();
        }
    }

    internal void ExitNested() => _depth--;

    /// <summary>
    /// The depth check of a struct with no struct, union or surrogate anywhere inside it (decided when its codec is
    /// built): it counts as one level as <see cref="EnterNested"/> would, but nothing below it can nest further, so
    /// the level need not be stored and undone, and its bounded frames need no stack probe.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly void CheckFlatNested()
    {
        if (_depth >= _maxDepth)
        {
            ThrowTooDeep(_maxDepth);
        }
    }

    /// <summary>The per-message state handed to a surrogate provider (set by a message reader; null otherwise).</summary>
    internal MarshallingContext? Context { readonly get; set; }

    /// <summary>The objects created so far, carried from one value of a message to the next.</summary>
    internal int ObjectCount
    {
        readonly get => _objects;
        set => _objects = value;
    }

    /// <summary>Counts one object about to be created; refuses more than <see cref="MaxObjects"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CountObject()
    {
        if (++_objects > _maxObjects)
        {
            ThrowTooManyObjects(_maxObjects);
        }
    }

    [DoesNotReturn]
    private static void ThrowTooDeep(int maxDepth) => throw new MarshallingException(MarshallingError.LimitExceeded, $"Structs nest deeper than the limit of {maxDepth}.");

    [DoesNotReturn]
    private static void ThrowStackExhausted() => throw new MarshallingException(MarshallingError.LimitExceeded, "Structs nest too deeply for the stack.");

    [DoesNotReturn]
    private static void ThrowTooManyObjects(int maxObjects) =>
        throw new MarshallingException(MarshallingError.LimitExceeded, $"The input would create more than the limit of {maxObjects} objects.");

    /// <summary>The byte order read.</summary>
    public readonly ByteOrder ByteOrder => _littleEndian ? ByteOrder.LittleEndian : ByteOrder.BigEndian;

    /// <summary>The alignment position of the next byte.</summary>
    public readonly long Position => _startPosition + _offset;

    /// <summary>How many bytes are left.</summary>
    public readonly long Remaining => _input.Length - _offset;

    /// <summary>Skips padding up to the next multiple of <paramref name="alignment"/>.</summary>
    /// <param name="alignment">1, 2, 4 or 8.</param>
    public void Align(int alignment)
    {
        var padding = (int)(-Position & (alignment - 1));
        if (padding > 0)
        {
            Need(padding);
            _offset += padding;
        }
    }

    /// <summary>Reads an <c>octet</c>.</summary>
    /// <returns>The value.</returns>
    public byte ReadOctet()
    {
        if ((uint)_offset >= (uint)_input.Length)
        {
            ThrowTruncated(1);
        }

        return _input[_offset++];
    }

    /// <summary>Reads a <c>boolean</c>.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MarshallingException">The octet is neither 0 nor 1.</exception>
    public bool ReadBoolean() => ReadOctet() switch
    {
        0 => false,
        1 => true,
        var other => throw new MarshallingException(MarshallingError.Malformed, $"A CDR boolean is 0 or 1, not {other}."),
    };

    /// <summary>Reads a <c>char</c> (ISO-8859-1).</summary>
    /// <returns>The character.</returns>
    public char ReadChar() => (char)ReadOctet();

    /// <summary>Reads a GIOP 1.2 <c>wchar</c>: an octet length (2), then a UTF-16 code unit, big-endian.</summary>
    /// <returns>The character.</returns>
    public char ReadWChar()
    {
        var length = ReadOctet();
        if (length != 2)
        {
            throw new MarshallingException(MarshallingError.Malformed, $"A GIOP 1.2 wchar carries 2 octets of UTF-16 here, not {length}.");
        }

        Span<byte> unit = stackalloc byte[2];
        ReadInto(unit);
        return (char)BinaryPrimitives.ReadUInt16BigEndian(unit);
    }

    /// <summary>Reads a <c>short</c>.</summary>
    /// <returns>The value.</returns>
    public short ReadShort() => (short)ReadUShort();

    /// <summary>Reads an <c>unsigned short</c>.</summary>
    /// <returns>The value.</returns>
    public ushort ReadUShort()
    {
        var bytes = Take(2, 2);
        return _littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16BigEndian(bytes);
    }

    /// <summary>Reads a <c>long</c>.</summary>
    /// <returns>The value.</returns>
    public int ReadLong()
    {
        // Aligned from the stream's origin: only the low bits of the position matter, so int arithmetic is enough.
        var at = _offset + (-((int)_startPosition + _offset) & 3);
        if ((long)at + 4 > _input.Length)
        {
            ThrowTruncatedAligned(at, 4);
        }

        var value = Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_input), at));
        _offset = at + 4;
        return _littleEndian == BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>Reads an <c>unsigned long</c>.</summary>
    /// <returns>The value.</returns>
    public uint ReadULong() => (uint)ReadLong();

    /// <summary>Reads a <c>long long</c>.</summary>
    /// <returns>The value.</returns>
    public long ReadLongLong()
    {
        var bytes = Take(8, 8);
        return _littleEndian ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : BinaryPrimitives.ReadInt64BigEndian(bytes);
    }

    /// <summary>Reads an <c>unsigned long long</c>.</summary>
    /// <returns>The value.</returns>
    public ulong ReadULongLong() => (ulong)ReadLongLong();

    /// <summary>Reads a <c>float</c>.</summary>
    /// <returns>The value.</returns>
    public float ReadFloat() => BitConverter.Int32BitsToSingle(ReadLong());

    /// <summary>Reads a <c>double</c>.</summary>
    /// <returns>The value.</returns>
    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadLongLong());

    /// <summary>Reads a <c>string</c>: length including NUL, ISO-8859-1 bytes, NUL.</summary>
    /// <returns>The text.</returns>
    /// <exception cref="MarshallingException">A zero length, a length beyond the remaining bytes, or a missing terminator.</exception>
    public string ReadString()
    {
        var length = ReadULong();
        var start = _offset;

        // The claimed length is checked against the bytes that remain before anything is allocated.
        if (length - 1 >= (uint)(_input.Length - start))
        {
            ThrowBadStringLength(length);
        }

        var end = start + (int)length - 1;
        if (_input[end] != 0)
        {
            ThrowNoTerminator();
        }

        _offset = end + 1;
        return end == start ? string.Empty : System.Text.Encoding.Latin1.GetString(_input[start..end]);
    }

    [DoesNotReturn]
    private readonly void ThrowBadStringLength(uint length)
    {
        if (length == 0)
        {
            throw new MarshallingException(MarshallingError.Malformed, "A CDR string's length counts its NUL, so it is at least 1.");
        }

        ThrowTruncated(length);
    }

    [DoesNotReturn]
    private static void ThrowNoTerminator() => throw new MarshallingException(MarshallingError.Malformed, "A CDR string must end with NUL.");

    /// <summary>Reports truncation as <see cref="Take"/> does: after the padding that is present, the bytes still needed.</summary>
    [DoesNotReturn]
    private void ThrowTruncatedAligned(int alignedOffset, int size)
    {
        if (alignedOffset > _input.Length)
        {
            ThrowTruncated(alignedOffset - _offset); // the padding itself is missing
        }

        _offset = alignedOffset;
        ThrowTruncated(size);
    }

    /// <summary>
    /// Reads a GIOP 1.2 <c>wstring</c>: a byte count, then UTF-16 code units, big-endian unless a byte-order
    /// mark (FE FF or FF FE) says otherwise.
    /// </summary>
    /// <returns>The text.</returns>
    public string ReadWString()
    {
        var length = ReadULong();
        if ((length & 1) != 0)
        {
            throw new MarshallingException(MarshallingError.Malformed, $"A GIOP 1.2 wstring holds whole UTF-16 units; {length} bytes is odd.");
        }

        var bytes = Take((int)Math.Min(length, int.MaxValue), 1, length);
        var littleEndian = false;
        if (bytes.Length >= 2 && ((bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE)))
        {
            littleEndian = bytes[0] == 0xFF;
            bytes = bytes[2..];
        }

        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        return string.Create(bytes.Length / 2, (Pointer: bytes.ToArray(), LittleEndian: littleEndian), static (chars, state) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                var unit = state.Pointer.AsSpan(2 * i, 2);
                chars[i] = (char)(state.LittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(unit) : BinaryPrimitives.ReadUInt16BigEndian(unit));
            }
        });
    }

    /// <summary>Reads <paramref name="destination"/>.Length raw octets (a fixed-length octet array).</summary>
    /// <param name="destination">Where they go.</param>
    public void ReadOctets(scoped Span<byte> destination) => ReadInto(destination);

    /// <summary>Reads a <c>sequence&lt;octet&gt;</c>.</summary>
    /// <returns>The bytes (a new array).</returns>
    public byte[] ReadOctetSequence()
    {
        var length = ReadSequenceLength(1);
        var bytes = length == 0 ? [] : new byte[length];
        ReadInto(bytes);
        return bytes;
    }

    /// <summary>
    /// Reads a sequence's element count and checks that <paramref name="minimumElementSize"/> bytes per element
    /// could follow, so a claimed count never makes the caller allocate more than the input could fill.
    /// </summary>
    /// <param name="minimumElementSize">The fewest bytes one element can take (at least 1 is assumed).</param>
    /// <returns>The count.</returns>
    public int ReadSequenceLength(int minimumElementSize)
    {
        var count = ReadULong();
        if ((long)count * Math.Max(1, minimumElementSize) > Remaining)
        {
            throw new MarshallingException(MarshallingError.Truncated, $"A sequence claims {count} elements, more than the {Remaining} remaining bytes can hold.");
        }

        return (int)count;
    }

    /// <summary>
    /// Reads a sequence's element count as <see cref="ReadSequenceLength(int)"/> does, and refuses it up front when
    /// its elements would create more objects than <see cref="MaxObjects"/> leaves, before the caller allocates.
    /// </summary>
    /// <param name="minimumElementSize">The fewest bytes one element can take.</param>
    /// <param name="minimumElementObjects">The fewest objects reading one element creates.</param>
    internal int ReadSequenceLength(int minimumElementSize, int minimumElementObjects)
    {
        var count = ReadSequenceLength(minimumElementSize);
        CheckObjectClaim(count, minimumElementObjects);
        return count;
    }

    /// <summary>Refuses <paramref name="count"/> elements of at least <paramref name="minimumElementObjects"/> objects each when they cannot fit the limit.</summary>
    internal readonly void CheckObjectClaim(int count, int minimumElementObjects)
    {
        if ((long)count * minimumElementObjects > (long)_maxObjects - _objects)
        {
            ThrowTooManyObjects(_maxObjects);
        }
    }

    /// <summary>Reads an encapsulation: its first octet gives the byte order, and the content is aligned from its start.</summary>
    /// <typeparam name="T">What the content is.</typeparam>
    /// <param name="readContent">Reads the content with the encapsulation's own reader.</param>
    /// <returns>What <paramref name="readContent"/> returned.</returns>
    public T ReadEncapsulation<T>(CdrReadFunc<T> readContent)
    {
        ArgumentNullException.ThrowIfNull(readContent);
        var length = ReadULong();
        if (length == 0)
        {
            throw new MarshallingException(MarshallingError.Malformed, "An encapsulation holds at least its byte-order octet.");
        }

        var content = Take((int)Math.Min(length, int.MaxValue), 1, length);
        var flag = content[0];
        if (flag > 1)
        {
            throw new MarshallingException(MarshallingError.Malformed, $"An encapsulation's byte-order octet is 0 or 1, not {flag}.");
        }

        // The inner reader carries on this reader's depth and object count, so limits span the encapsulation.
        var inner = new CdrReader(content, flag == 1 ? ByteOrder.LittleEndian : ByteOrder.BigEndian) { MaxDepth = _maxDepth, MaxObjects = _maxObjects, Context = Context };
        inner._depth = _depth;
        inner._objects = _objects;
        inner._offset = 1;
        var value = readContent(ref inner);
        _objects = inner._objects;
        return value;
    }

    /// <summary>Aligns, checks and takes <paramref name="count"/> bytes (a claimed length is checked as a long first).</summary>
    private ReadOnlySpan<byte> Take(int count, int alignment, long claimed = -1)
    {
        if (alignment > 1)
        {
            Align(alignment);
        }

        if (claimed > Remaining || count > Remaining)
        {
            ThrowTruncated(Math.Max(claimed, count));
        }

        var bytes = _input.Slice(_offset, count);
        _offset += count;
        return bytes;
    }

    private void ReadInto(scoped Span<byte> destination) => Take(destination.Length, 1).CopyTo(destination);

    private readonly void Need(long count)
    {
        if (Remaining < count)
        {
            ThrowTruncated(count);
        }
    }

    [DoesNotReturn]
    private readonly void ThrowTruncated(long needed) =>
        throw new MarshallingException(MarshallingError.Truncated, $"The CDR input is truncated: {needed} bytes needed at position {Position}, {Remaining} remain.");
}
