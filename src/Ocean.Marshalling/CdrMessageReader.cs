using System.Buffers;
using Ocean.Marshalling.Cdr;
using Ocean.Marshalling.Internal;

namespace Ocean.Marshalling;

/// <summary>
/// Reads the values of one CDR message in order, aligned from the message's first byte as
/// <see cref="CdrMessageWriter"/> wrote them. Created by <see cref="CdrMarshaller.CreateReader"/>.
/// </summary>
/// <remarks>
/// <see cref="ReadCdr{T}"/> hands the caller a <see cref="CdrReader"/> positioned at the current offset of the
/// stream, for a header read by hand. A single-segment input is read in place; a multi-segment one is copied once
/// into a pooled buffer (CDR is read from one contiguous span). The limits count over the whole message.
/// </remarks>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(Internal.DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(Internal.DynamicCodeMessages.CdrUnreferencedCode)]
public sealed class CdrMessageReader : MarshallingReader
{
    private readonly CdrCodecFactory _factory;
    private readonly MarshallingContext? _context;
    private readonly ByteOrder _byteOrder;
    private readonly int _maxDepth;
    private readonly int _maxObjects;
    private ReadOnlyMemory<byte> _input;
    private byte[]? _rented;
    private int _offset;
    private int _objects;
    private bool _failed;
    private bool _disposed;

    internal CdrMessageReader(CdrCodecFactory factory, CdrMarshallerOptions options, in ReadOnlySequence<byte> input, MarshallingContext? context)
    {
        _factory = factory;
        _context = context;
        _byteOrder = options.ByteOrder;
        _maxDepth = options.MaxDepth;
        _maxObjects = options.MaxObjects;
        SetInput(input);
    }

    /// <inheritdoc/>
    public override bool TryReset(in ReadOnlySequence<byte> input)
    {
        ReleaseInput();
        _offset = 0;
        _objects = 0;
        _failed = false;
        _disposed = false;
        SetInput(input);
        return true;
    }

    /// <summary>The byte order read.</summary>
    public ByteOrder ByteOrder => _byteOrder;

    /// <inheritdoc/>
    public override long Position
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _offset;
        }
    }

    /// <inheritdoc/>
    public override long Remaining
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _input.Length - _offset;
        }
    }

    /// <inheritdoc/>
    public override T Read<T>()
    {
        var codec = _factory.Get<T>();
        var reader = Begin();
        var value = CdrMarshaller.ReadValue(codec, ref reader);
        End(ref reader);
        return value;
    }

    /// <summary>
    /// Reads part of the message by hand (a protocol header) with a <see cref="CdrReader"/> at the current offset of
    /// the stream, so what it reads aligns from the message's first byte.
    /// </summary>
    /// <typeparam name="T">What is read.</typeparam>
    /// <param name="read">Reads with the reader it is given.</param>
    /// <returns>What <paramref name="read"/> returned.</returns>
    /// <exception cref="MarshallingException">The bytes are truncated or malformed (exceptions <paramref name="read"/> throws itself pass through).</exception>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    /// <exception cref="InvalidOperationException">An earlier read failed (after any failed read, nothing more is read).</exception>
    public T ReadCdr<T>(CdrReadFunc<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var reader = Begin();
        var value = read(ref reader);
        End(ref reader);
        return value;
    }

    /// <inheritdoc/>
    protected override object? ReadBoxed(Type type)
    {
        var codec = (CdrCodec)_factory.Get(type, default);
        var reader = Begin();
        var value = CdrMarshaller.ReadValue(codec, type, ref reader);
        End(ref reader);
        return value;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        ReleaseInput();
        base.Dispose(disposing);
    }

    private void SetInput(in ReadOnlySequence<byte> input)
    {
        if (input.IsSingleSegment)
        {
            _input = input.First;
            return;
        }

        if (input.Length > Array.MaxLength)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, "The input is too large.");
        }

        var length = (int)input.Length;
        _rented = ArrayPool<byte>.Shared.Rent(length);
        input.CopyTo(_rented);
        _input = _rented.AsMemory(0, length);
    }

    private void ReleaseInput()
    {
        _input = default;
        if (_rented is { } rented)
        {
            _rented = null;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private CdrReader Begin()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new InvalidOperationException("An earlier read from this message failed; where the next value starts is unknown.");
        }

        // Cleared by End: a read that throws leaves the reader failed.
        _failed = true;
        return new CdrReader(_input.Span[_offset..], _byteOrder, _offset) { MaxDepth = _maxDepth, MaxObjects = _maxObjects, Context = _context, ObjectCount = _objects };
    }

    private void End(ref CdrReader reader)
    {
        _offset = (int)reader.Position;
        _objects = reader.ObjectCount;
        _failed = false;
    }
}
