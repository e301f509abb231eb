using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ocean.Marshalling.Cdr;

/// <summary>Writes a value inside an encapsulation; see <see cref="CdrWriter.WriteEncapsulation{TState}"/>.</summary>
/// <typeparam name="TState">What the callback needs.</typeparam>
/// <param name="writer">The encapsulation's own writer.</param>
/// <param name="state">The caller's state.</param>
public delegate void CdrWriteAction<TState>(ref CdrWriter writer, TState state);

/// <summary>
/// Writes CORBA CDR (GIOP 1.2) into an <see cref="IBufferWriter{T}"/>: primitives at their natural alignment
/// counted from a configurable origin, strings, wide strings, sequences and encapsulations, in either byte order.
/// </summary>
/// <remarks>
/// A <c>ref struct</c> that works in spans taken from the buffer writer and hands them back in bulk: call
/// <see cref="Flush"/> when done, or the last bytes stay unadvanced. Padding is written as zero.
/// </remarks>
public ref struct CdrWriter
{
    private const int MinimumChunk = 256;
    private readonly IBufferWriter<byte> _output;
    private readonly bool _littleEndian;
    private Span<byte> _span;
    private int _buffered;
    private long _position;
    private int _depth;
    private int _maxDepth;
    private int _objects;
    private int _maxObjects;

    /// <summary>Creates a writer.</summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="byteOrder">The byte order of everything written (default big-endian).</param>
    /// <param name="startPosition">
    /// The alignment position of the first byte written: 0 for a stream that starts here (the default), or,
    /// for a GIOP message body, the number of bytes since the start of the 12-byte message header.
    /// </param>
    public CdrWriter(IBufferWriter<byte> output, ByteOrder byteOrder = ByteOrder.BigEndian, long startPosition = 0)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _littleEndian = byteOrder == ByteOrder.LittleEndian;
        _position = startPosition;
        _maxDepth = CdrReader.DefaultMaxDepth;
        _maxObjects = CdrReader.DefaultMaxObjects;
    }

    /// <summary>A writer with limits already checked (by <see cref="CdrMarshallerOptions"/>), for the marshaller's hot path.</summary>
    internal CdrWriter(IBufferWriter<byte> output, bool littleEndian, int maxDepth, int maxObjects)
    {
        _output = output;
        _littleEndian = littleEndian;
        _maxDepth = maxDepth;
        _maxObjects = maxObjects;
    }

    /// <summary>How deeply nested structs may be written (default <see cref="CdrReader.DefaultMaxDepth"/>), so a cyclic object graph fails cleanly.</summary>
    public int MaxDepth
    {
        readonly get => _maxDepth;
        set => _maxDepth = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// How many objects (class and union instances, arrays, lists) the values written may hold (default
    /// <see cref="CdrReader.DefaultMaxObjects"/>), counted as <see cref="CdrReader.MaxObjects"/> counts them, so a
    /// writer never produces what a reader with the same limit refuses.
    /// </summary>
    public int MaxObjects
    {
        readonly get => _maxObjects;
        set => _maxObjects = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// Called when a nested struct starts; refuses nesting deeper than <see cref="MaxDepth"/> (CDR has no
    /// references, so a cycle would never end), or deeper than the stack allows when <see cref="MaxDepth"/> is raised far.
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
    /// built): one level as <see cref="EnterNested"/> counts it, never stored since nothing below can nest further.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly void CheckFlatNested()
    {
        if (_depth >= _maxDepth)
        {
            ThrowTooDeep(_maxDepth);
        }
    }

    /// <summary>The per-message state handed to a surrogate provider (set by a message writer; null otherwise).</summary>
    internal MarshallingContext? Context { readonly get; set; }

    /// <summary>The objects counted so far, carried from one value of a message to the next.</summary>
    internal int ObjectCount
    {
        readonly get => _objects;
        set => _objects = value;
    }

    /// <summary>Counts one object being written; refuses more than <see cref="MaxObjects"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CountObject()
    {
        if (++_objects > _maxObjects)
        {
            ThrowTooManyObjects(_maxObjects);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTooDeep(int maxDepth) =>
        throw new MarshallingException(MarshallingError.LimitExceeded, $"Structs nest deeper than the limit of {maxDepth}; a cyclic object graph has no CDR form.");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowStackExhausted() => throw new MarshallingException(MarshallingError.LimitExceeded, "Structs nest too deeply for the stack.");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTooManyObjects(int maxObjects) =>
        throw new MarshallingException(MarshallingError.LimitExceeded, $"The value holds more than the limit of {maxObjects} objects.");

    /// <summary>The byte order written.</summary>
    public readonly ByteOrder ByteOrder => _littleEndian ? ByteOrder.LittleEndian : ByteOrder.BigEndian;

    /// <summary>The alignment position of the next byte.</summary>
    public readonly long Position => _position;

    /// <summary>Hands every byte written so far to the buffer writer.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output.Advance(_buffered);
            _buffered = 0;
        }

        _span = default;
    }

    /// <summary>Writes zero bytes up to the next multiple of <paramref name="alignment"/> (1, 2, 4 or 8).</summary>
    /// <param name="alignment">The boundary.</param>
    public void Align(int alignment)
    {
        var padding = (int)(-_position & (alignment - 1));
        if (padding > 0)
        {
            Reserve(padding).Clear();
            Commit(padding);
        }
    }

    /// <summary>Writes an <c>octet</c>.</summary>
    /// <param name="value">The value.</param>
    public void WriteOctet(byte value)
    {
        Reserve(1)[0] = value;
        Commit(1);
    }

    /// <summary>Writes a <c>boolean</c>: 1 for true, 0 for false.</summary>
    /// <param name="value">The value.</param>
    public void WriteBoolean(bool value) => WriteOctet(value ? (byte)1 : (byte)0);

    /// <summary>Writes a <c>char</c>: one ISO-8859-1 byte.</summary>
    /// <param name="value">The character, U+0000 to U+00FF.</param>
    /// <exception cref="MarshallingException">The character is not in ISO-8859-1.</exception>
    public void WriteChar(char value)
    {
        if (value > '\u00FF')
        {
            throw new MarshallingException(MarshallingError.UnrepresentableValue, $"CDR char is ISO-8859-1; U+{(int)value:X4} is not in it (use wchar).");
        }

        WriteOctet((byte)value);
    }

    /// <summary>Writes a GIOP 1.2 <c>wchar</c>: the octet 2, then the UTF-16 code unit big-endian (as omniORB and JacORB do).</summary>
    /// <param name="value">The character.</param>
    public void WriteWChar(char value)
    {
        var span = Reserve(3);
        span[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], value);
        Commit(3);
    }

    /// <summary>Writes a <c>short</c> (2-byte aligned).</summary>
    /// <param name="value">The value.</param>
    public void WriteShort(short value) => WriteUShort((ushort)value);

    /// <summary>Writes an <c>unsigned short</c> (2-byte aligned).</summary>
    /// <param name="value">The value.</param>
    public void WriteUShort(ushort value)
    {
        var span = ReserveAligned(2);
        if (_littleEndian)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
        }

        Commit(2);
    }

    /// <summary>Writes a <c>long</c> (4 bytes, 4-byte aligned).</summary>
    /// <param name="value">The value.</param>
    public void WriteLong(int value) => WriteULong((uint)value);

    /// <summary>Writes an <c>unsigned long</c> (4 bytes, 4-byte aligned).</summary>
    /// <param name="value">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteULong(uint value)
    {
        var span = ReserveAligned(4);
        if (_littleEndian)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, value);
        }

        Commit(4);
    }

    /// <summary>Writes a <c>long long</c> (8 bytes, 8-byte aligned).</summary>
    /// <param name="value">The value.</param>
    public void WriteLongLong(long value) => WriteULongLong((ulong)value);

    /// <summary>Writes an <c>unsigned long long</c> (8 bytes, 8-byte aligned).</summary>
    /// <param name="value">The value.</param>
    public void WriteULongLong(ulong value)
    {
        var span = ReserveAligned(8);
        if (_littleEndian)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(span, value);
        }

        Commit(8);
    }

    /// <summary>Writes a <c>float</c> (IEEE 754 single, 4-byte aligned).</summary>
    /// <param name="value">The value.</param>
    public void WriteFloat(float value) => WriteULong(BitConverter.SingleToUInt32Bits(value));

    /// <summary>Writes a <c>double</c> (IEEE 754 double, 8-byte aligned).</summary>
    /// <param name="value">The value.</param>
    public void WriteDouble(double value) => WriteULongLong(BitConverter.DoubleToUInt64Bits(value));

    /// <summary>Writes a <c>string</c>: its length including the terminating NUL (unsigned long), the ISO-8859-1 bytes, then NUL.</summary>
    /// <param name="value">The text; every character U+0001 to U+00FF.</param>
    /// <exception cref="MarshallingException">The string contains NUL or a character outside ISO-8859-1.</exception>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 32)
        {
            var bad = value.AsSpan().IndexOfAnyExceptInRange('\u0001', '\u00FF');
            if (bad >= 0)
            {
                ThrowNotLatin1(value[bad]);
            }
        }

        // One reservation for padding, length, characters and NUL; nothing is committed until all is checked.
        var length = value.Length;
        var padding = (int)(-_position & 3);
        var total = padding + 4 + length + 1;
        ref var start = ref MemoryMarshal.GetReference(Reserve(total));
        ref var text = ref Unsafe.Add(ref start, padding + 4);
        if (length <= 32)
        {
            for (var i = 0; i < length; i++)
            {
                var c = value[i];
                if (c - 1u > 0xFEu)
                {
                    ThrowNotLatin1(c); // short strings: checked and narrowed in one pass
                }

                Unsafe.Add(ref text, i) = (byte)c;
            }
        }
        else
        {
            System.Text.Encoding.Latin1.GetBytes(value, MemoryMarshal.CreateSpan(ref text, length));
        }

        // The reservation holds at least 5 bytes: zero 4 of them for the padding (at most 3), then the length over them.
        Unsafe.WriteUnaligned(ref start, 0u);
        var count = (uint)length + 1;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, padding), _littleEndian == BitConverter.IsLittleEndian ? count : BinaryPrimitives.ReverseEndianness(count));
        Unsafe.Add(ref text, length) = 0;
        Commit(total);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNotLatin1(char c) =>
        throw new MarshallingException(MarshallingError.UnrepresentableValue, c == '\0'
            ? "A CDR string cannot contain NUL (it is the terminator)."
            : $"CDR string is ISO-8859-1; U+{(int)c:X4} is not in it (use a wide string).");

    /// <summary>
    /// Writes a GIOP 1.2 <c>wstring</c>: the byte count (unsigned long), then UTF-16 big-endian code units, no NUL
    /// (and a byte-order mark first only when the text itself starts with U+FEFF or U+FFFE).
    /// </summary>
    /// <param name="value">The text.</param>
    public void WriteWString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        // A leading U+FEFF or U+FFFE would read as a byte-order mark: then an explicit mark goes first.
        var mark = value.Length > 0 && value[0] is '\uFEFF' or '\uFFFE' ? 1 : 0;
        WriteULong((uint)(value.Length + mark) * 2);
        var span = Reserve((value.Length + mark) * 2);
        if (mark == 1)
        {
            span[0] = 0xFE;
            span[1] = 0xFF;
            span = span[2..];
        }

        for (var i = 0; i < value.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[(2 * i)..], value[i]);
        }

        Commit((value.Length + mark) * 2);
    }

    /// <summary>Writes raw octets with no count (a fixed-length <c>octet</c> array).</summary>
    /// <param name="value">The bytes.</param>
    public void WriteOctets(scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(Reserve(value.Length));
        Commit(value.Length);
    }

    /// <summary>Writes a <c>sequence&lt;octet&gt;</c>: the count, then the bytes.</summary>
    /// <param name="value">The bytes.</param>
    public void WriteOctetSequence(scoped ReadOnlySpan<byte> value)
    {
        WriteULong((uint)value.Length);
        WriteOctets(value);
    }

    /// <summary>
    /// Writes an encapsulation: a <c>sequence&lt;octet&gt;</c> whose first octet is its byte order (0 big, 1
    /// little) and whose content is aligned from the encapsulation's own start.
    /// </summary>
    /// <typeparam name="TState">What <paramref name="writeContent"/> needs.</typeparam>
    /// <param name="byteOrder">The byte order inside the encapsulation.</param>
    /// <param name="state">Passed to <paramref name="writeContent"/>.</param>
    /// <param name="writeContent">Writes the content with the encapsulation's own writer.</param>
    public void WriteEncapsulation<TState>(ByteOrder byteOrder, TState state, CdrWriteAction<TState> writeContent)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        var content = new ArrayBufferWriter<byte>();

        // The inner writer carries on this writer's depth and object count, so limits span the encapsulation.
        var inner = new CdrWriter(content, byteOrder) { MaxDepth = _maxDepth, MaxObjects = _maxObjects, Context = Context };
        inner._depth = _depth;
        inner._objects = _objects;
        inner.WriteOctet(byteOrder == ByteOrder.LittleEndian ? (byte)1 : (byte)0);
        writeContent(ref inner, state);
        inner.Flush();
        _objects = inner._objects;
        WriteOctetSequence(content.WrittenSpan);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> ReserveAligned(int size)
    {
        var padding = (int)(-_position & (size - 1));
        var span = Reserve(padding + size);
        if (padding > 0)
        {
            // Fewer padding bytes than the value's size, and the value overwrites the rest: one fixed-size store of zeros.
            ref var start = ref MemoryMarshal.GetReference(span);
            if (size == 8)
            {
                Unsafe.WriteUnaligned(ref start, 0UL);
            }
            else if (size == 4)
            {
                Unsafe.WriteUnaligned(ref start, 0u);
            }
            else
            {
                start = 0;
            }

            _buffered += padding;
            _position += padding;
            span = span[padding..];
        }

        return span;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (_span.Length - _buffered < count)
        {
            Grow(count);
        }

        return _span.Slice(_buffered, count);
    }

    private void Grow(int count)
    {
        Flush();
        _span = _output.GetSpan(Math.Max(count, MinimumChunk));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Commit(int count)
    {
        _buffered += count;
        _position += count;
    }
}
