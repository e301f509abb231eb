using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Writes one object-graph stream straight into the caller's buffer writer, a chunk at a time: it holds the array
/// behind the output's current memory and hands the bytes over (<see cref="IBufferWriter{T}.Advance"/>) when the chunk
/// is full or the value is done. Nothing already written is ever patched (counts, lengths and class descriptors are
/// all known when they are written), so no value needs a buffer of its own. A value refused halfway may leave the
/// chunks handed over before the refusal in the output; the caller discards that output. Only an output whose memory
/// is not an array goes through a small scratch array, copied in per chunk. One per thread, reused; holds the handle table.
/// </summary>
internal sealed class GraphWriter
{
    private const int KeptBufferSize = 64 * 1024;

    /// <summary>The most a long byte run asks the output for at once, so it is written in chunks of the output's size.</summary>
    private const int MaxChunkHint = 16 * 1024;
    private const int KeptTableSize = 1024;

    [ThreadStatic]
    private static GraphWriter? t_cached;

    private readonly List<(int Handle, GraphClass Class)> _pending = [];
    private Dictionary<object, int> _handles = new(ReferenceEqualityComparer.Instance);

    /// <summary>The object of handle 0, kept out of <see cref="_handles"/>: a stream of one object never hashes it.</summary>
    private object? _firstObject;
    private int _handleCount;
    private bool _inUse;

    // The classes this stream has described, by GraphClass.Id: a slot counts only when its stamp is this stream's, so a
    // new stream forgets them all by taking a new stamp instead of clearing a table.
    private int[] _classStamps = new int[16];
    private int[] _classRefs = new int[16];
    private int _stamp = 1;
    private int _classCount;

    /// <summary>Used only when the output's memory is not backed by an array.</summary>
    private byte[] _scratch = [];

    private IBufferWriter<byte>? _output;

    /// <summary>The array being written: the output's own (<see cref="_direct"/>) or <see cref="_scratch"/>; empty between chunks.</summary>
    private byte[] _array = [];

    /// <summary>Where the current chunk starts in <see cref="_array"/>.</summary>
    private int _start;

    /// <summary>Where the next byte goes in <see cref="_array"/>.</summary>
    private int _position;

    /// <summary>Where writing must stop in <see cref="_array"/>: the chunk's end or <see cref="GraphLimits.MaxBytes"/>, whichever is first.</summary>
    private int _capacity;
    private bool _direct;

    /// <summary>The bytes of this stream already handed to the output, counted against MaxBytes.</summary>
    private long _flushed;
    private GraphClass? _lastClass;
    private int _lastClassRef;
    private int _depth;
    private int _objects;
    private GraphLimits _limits;

    private Dictionary<(Type Declared, object Value), object?>? _surrogateIdentity;

    public GraphCodecFactory Factory { get; private set; } = null!;

    /// <summary>The per-message state handed to the surrogate provider (null outside a message writer).</summary>
    public MarshallingContext? Context { get; set; }

    /// <summary>
    /// This stream's the surrogate each object was replaced by (see <see cref="GraphSurrogateCodec{TDeclared, TSurrogate}"/>): created on first use, so
    /// only a marshaller with a surrogate provider ever has one, and kept with the pooled instance.
    /// </summary>
    public Dictionary<(Type Declared, object Value), object?> SurrogateIdentity => _surrogateIdentity ??= new(GraphSurrogateKeyComparer.Instance);

    /// <summary>The bytes of the stream so far: handed over and in the current chunk.</summary>
    public long Position => _flushed + (_position - _start);

    public static GraphWriter Rent(GraphCodecFactory factory, IBufferWriter<byte> output)
    {
        // Marked in use rather than taken out of the slot (one thread-static read, no writes), so a re-entrant call
        // (a getter that marshals) gets its own, which is not kept.
        var writer = t_cached;
        if (writer is null || writer._inUse)
        {
            // The new one takes the slot: one left in use (a message never disposed) does not keep every later call from pooling.
            writer = new GraphWriter();
            t_cached = writer;
        }

        writer._inUse = true;
        writer.Factory = factory;
        writer._limits = factory.Limits;
        writer._output = output;
        return writer;
    }

    public void Return()
    {
        // The current chunk is dropped, not handed over: after a failure its bytes are not wanted, and the output's
        // memory is not held past this stream.
        _output = null;
        _array = [];
        _start = 0;
        _position = 0;
        _capacity = 0;
        _direct = false;
        _flushed = 0;
        _depth = 0;
        Context = null;
        if (_surrogateIdentity is { } identity)
        {
            // Keep a small table for the next stream; drop a large one rather than hold its memory.
            _surrogateIdentity = identity.Count > 1024 ? null : identity;
            identity.Clear();
        }

        _objects = 0;
        _lastClass = null;
        _pending.Clear();
        _firstObject = null;
        _handleCount = 0;
        if (_handles.Count != 0)
        {
            _handles = Reset(_handles);
        }

        _classCount = 0;
        if (++_stamp == 0)
        {
            // After 2^32 streams: the stamps start over from a clean table.
            Array.Clear(_classStamps);
            _stamp = 1;
        }
        if (_scratch.Length > KeptBufferSize)
        {
            _scratch = [];
        }

        Factory = null!;
        _inUse = false;
    }

    public void WriteHeader(byte[] rootSignature)
    {
        WriteMagic();
        WriteBytes(rootSignature);
    }

    /// <summary>Writes the stream's magic and version, which a message of several values writes once.</summary>
    public void WriteMagic()
    {
        var span = Take(3);
        span[0] = GraphWire.Magic0;
        span[1] = GraphWire.Magic1;
        span[2] = GraphWire.Version;
    }

    /// <summary>Hands the current chunk to the output, at the end of a value; the handle and class tables carry on.</summary>
    public void Commit()
    {
        var count = _position - _start;
        if (_direct)
        {
            _output!.Advance(count);
        }
        else if (count != 0)
        {
            _output!.Write(_scratch.AsSpan(0, count));
        }

        _flushed += count;
        _array = [];
        _start = 0;
        _position = 0;
        _capacity = 0;
        _direct = false;
    }

    /// <summary>Writes a back reference and returns true when <paramref name="value"/> was written before; else gives it the next handle.</summary>
    public bool TryWriteReference(object value, out int handle)
    {
        if (_handleCount == 0)
        {
            _firstObject = value;
            _handleCount = 1;
            handle = 0;
            CountObject();
            return false;
        }

        if (ReferenceEquals(value, _firstObject))
        {
            handle = 0;
            WriteReference(handle);
            return true;
        }

        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_handles, value, out var exists);
        if (exists)
        {
            handle = slot;
            WriteReference(handle);
            return true;
        }

        handle = _handleCount++;
        slot = handle;
        CountObject();
        return false;
    }

    private void WriteReference(int handle)
    {
        if (_pending.Count != 0)
        {
            CheckNotPending(handle);
        }

        WriteByte(GraphWire.Ref);
        WriteVarint((uint)handle);
    }

    /// <summary>Marks a handle whose constructor members are being written: a reference back to it cannot be rebuilt.</summary>
    public void BeginPending(int handle, GraphClass graphClass) => _pending.Add((handle, graphClass));

    public void EndPending(int handle)
    {
        if (_pending.Count != 0 && _pending[^1].Handle == handle)
        {
            _pending.RemoveAt(_pending.Count - 1);
        }
    }

    public void WriteClassRef(GraphClass graphClass)
    {
        if (ReferenceEquals(graphClass, _lastClass))
        {
            WriteVarint((uint)_lastClassRef);
            return;
        }

        var id = graphClass.Id;
        if (id >= _classStamps.Length)
        {
            var size = Math.Max(id + 1, _classStamps.Length * 2);
            Array.Resize(ref _classStamps, size);
            Array.Resize(ref _classRefs, size);
        }

        int slot;
        if (_classStamps[id] != _stamp)
        {
            slot = ++_classCount;
            _classStamps[id] = _stamp;
            _classRefs[id] = slot;
            CountObject();
            WriteByte(0);
            WriteBytes(graphClass.Descriptor);
        }
        else
        {
            slot = _classRefs[id];
            WriteVarint((uint)slot);
        }

        _lastClass = graphClass;
        _lastClassRef = slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        var depth = ++_depth;
        if (depth > _limits.MaxDepth)
        {
            ThrowTooDeep();
        }

        // Every 8th level is enough (as in CdrWriter): 8 levels take a few KB of stack, far less than the margin the probe keeps.
        if ((depth & 7) == 0 && !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            ThrowStackExhausted();
        }
    }

    private void ThrowTooDeep() => throw new MarshallingException(MarshallingError.LimitExceeded, $"The graph nests deeper than the limit of {_limits.MaxDepth}.");

    private static void ThrowStackExhausted() => throw new MarshallingException(MarshallingError.LimitExceeded, "The graph nests too deeply for the stack.");

    public void Exit() => _depth--;

    public void WriteCount(int count)
    {
        if (count > _limits.MaxCollectionLength)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"A collection holds {count} elements; the limit is {_limits.MaxCollectionLength}.");
        }

        WriteVarint((uint)count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(byte value)
    {
        if (_position >= _capacity)
        {
            Grow(1);
        }

        _array[_position++] = value;
    }

    public void WriteVarint(uint value)
    {
        // Exactly the bytes it takes, so a stream may end with a varint right at MaxBytes.
        Ensure((BitOperations.Log2(value) / 7) + 1);
        var buffer = _array;
        var position = _position;
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[position++] = (byte)value;
        _position = position;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        if (_capacity - _position >= bytes.Length)
        {
            bytes.CopyTo(_array.AsSpan(_position));
            _position += bytes.Length;
            return;
        }

        WriteBytesInChunks(bytes);
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt8(byte value) => WriteByte(value);

    public void WriteInt8(sbyte value) => WriteByte((byte)value);

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16LittleEndian(Take(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), value);

    public void WriteChar(char value) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

    public void WriteSingle(float value) => BinaryPrimitives.WriteSingleLittleEndian(Take(4), value);

    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Take(8), value);

    public void WriteDecimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var span = Take(16);
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], bits[i]);
        }
    }

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteByte(0);
            return;
        }

        // Short strings in one pass: transcoded straight after a one-byte length, when the chunk has room for the
        // worst case (3 bytes per UTF-16 unit) without asking the output for more; the length byte is written after.
        var worst = (3 * value.Length) + 1;
        if (value.Length <= 42 && _capacity - _position >= worst)
        {
            // An unpaired surrogate falls through to the path below, which reports it after the length limit as before.
            if (Utf8.FromUtf16(value, _array.AsSpan(_position + 1, worst - 1), out _, out var count, replaceInvalidSequences: false) == OperationStatus.Done)
            {
                // At most 126 bytes: the varint of count + 1 is one byte.
                if (count > _limits.MaxStringLength)
                {
                    ThrowStringTooLong(count);
                }

                _array[_position] = (byte)(count + 1);
                _position += count + 1;
                return;
            }
        }

        var byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount > _limits.MaxStringLength)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"A string takes {byteCount} UTF-8 bytes; the limit is {_limits.MaxStringLength}.");
        }

        WriteVarint((uint)byteCount + 1);
        Ensure(byteCount);
        if (Utf8.FromUtf16(value, _array.AsSpan(_position, byteCount), out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            throw new MarshallingException(MarshallingError.UnrepresentableValue, "A string holds an unpaired surrogate, which UTF-8 cannot carry.");
        }

        _position += written;
    }

    private void ThrowStringTooLong(int byteCount) =>
        throw new MarshallingException(MarshallingError.LimitExceeded, $"A string takes {byteCount} UTF-8 bytes; the limit is {_limits.MaxStringLength}.");

    private static Dictionary<TKey, int> Reset<TKey>(Dictionary<TKey, int> table)
        where TKey : notnull
    {
        if (table.Count > KeptTableSize)
        {
            return new Dictionary<TKey, int>((IEqualityComparer<TKey>)(object)ReferenceEqualityComparer.Instance);
        }

        table.Clear();
        return table;
    }

    private void CheckNotPending(int handle)
    {
        foreach (var (pending, graphClass) in _pending)
        {
            if (pending == handle)
            {
                throw new MarshallingException(MarshallingError.UnrepresentableValue,
                    $"A reference cycle runs through a constructor parameter of {graphClass.StableName} ({graphClass.Type.Name}); a reader could not rebuild it. Make the member on the cycle settable instead.");
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CountObject()
    {
        if (++_objects > _limits.MaxObjects)
        {
            ThrowTooManyObjects();
        }
    }

    private void ThrowTooManyObjects() =>
        throw new MarshallingException(MarshallingError.LimitExceeded, $"The graph holds more than the limit of {_limits.MaxObjects} objects.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Take(int count)
    {
        if (_capacity - _position < count)
        {
            Grow(count);
        }

        var span = _array.AsSpan(_position, count);
        _position += count;
        return span;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int count)
    {
        if (_capacity - _position < count)
        {
            Grow(count);
        }
    }

    /// <summary>A run longer than the room left: refused whole if it would pass MaxBytes, else copied a chunk at a time.</summary>
    private void WriteBytesInChunks(ReadOnlySpan<byte> bytes)
    {
        CheckLimit(bytes.Length);
        while (true)
        {
            var room = _capacity - _position;
            if (room >= bytes.Length)
            {
                bytes.CopyTo(_array.AsSpan(_position));
                _position += bytes.Length;
                return;
            }

            bytes[..room].CopyTo(_array.AsSpan(_position));
            _position += room;
            bytes = bytes[room..];
            Grow(Math.Min(bytes.Length, MaxChunkHint));
        }
    }

    private void CheckLimit(int count)
    {
        if (Position + count > _limits.MaxBytes)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"The stream would take more than the limit of {_limits.MaxBytes} bytes.");
        }
    }

    /// <summary>
    /// Makes <paramref name="count"/> contiguous bytes of room or refuses them. Every write that does not fit the
    /// capacity comes here, and the capacity never passes MaxBytes, so no write can take the stream past the limit.
    /// The chunk so far is handed to the output and the output asked for the next one.
    /// </summary>
    private void Grow(int count)
    {
        CheckLimit(count);
        Commit();
        var output = _output!;
        var memory = output.GetMemory(count);
        int end;
        if (MemoryMarshal.TryGetArray<byte>(memory, out var segment))
        {
            _array = segment.Array!;
            _start = segment.Offset;
            end = segment.Offset + segment.Count;
            _direct = true;
        }
        else
        {
            // Not an array (native or pinned memory): write a scratch chunk and copy it in on Commit.
            if (_scratch.Length < count)
            {
                _scratch = new byte[Math.Max(count, Math.Max(512, Math.Min(memory.Length, KeptBufferSize)))];
            }

            _array = _scratch;
            _start = 0;
            end = _scratch.Length;
        }

        _position = _start;
        _capacity = (int)Math.Min(end, _start + (_limits.MaxBytes - _flushed));
        if (end - _start < count)
        {
            // The caller would write past the memory it was given (the rest of a pooled array may be someone else's).
            throw new InvalidOperationException($"The output's GetMemory({count}) returned only {end - _start} bytes.");
        }
    }
}
