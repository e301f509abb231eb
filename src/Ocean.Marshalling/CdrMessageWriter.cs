using System.Buffers;
using Ocean.Marshalling.Cdr;
using Ocean.Marshalling.Internal;

namespace Ocean.Marshalling;

/// <summary>
/// Writes several values as one CDR stream whose alignment origin is the message's first byte, exactly as one
/// <see cref="CdrWriter"/> writing them all in sequence would (the arguments of a GIOP 1.2 request body align the
/// same way). Created by <see cref="CdrMarshaller.CreateWriter"/>.
/// </summary>
/// <remarks>
/// <see cref="WriteCdr{TState}"/> hands the caller a <see cref="CdrWriter"/> positioned at the current offset of the
/// same stream, for a header written by hand; values written with <see cref="MarshallingWriter.Write{T}"/> before
/// or after it align as they would in one stream. The limits (<see cref="CdrMarshallerOptions.MaxDepth"/>,
/// <see cref="CdrMarshallerOptions.MaxObjects"/>) count over the whole message. Each write advances the output
/// before it returns; there is nothing to flush (see <see cref="MarshallingWriter"/>).
/// </remarks>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(Internal.DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(Internal.DynamicCodeMessages.CdrUnreferencedCode)]
public sealed class CdrMessageWriter : MarshallingWriter
{
    private readonly CdrCodecFactory _factory;
    private IBufferWriter<byte> _output;
    private readonly MarshallingContext? _context;
    private readonly ByteOrder _byteOrder;
    private readonly int _maxDepth;
    private readonly int _maxObjects;
    private long _position;
    private int _objects;
    private bool _failed;
    private bool _disposed;

    internal CdrMessageWriter(CdrCodecFactory factory, CdrMarshallerOptions options, IBufferWriter<byte> output, MarshallingContext? context)
    {
        _factory = factory;
        _output = output;
        _context = context;
        _byteOrder = options.ByteOrder;
        _maxDepth = options.MaxDepth;
        _maxObjects = options.MaxObjects;
    }

    /// <summary>The byte order of everything written.</summary>
    public ByteOrder ByteOrder => _byteOrder;

    /// <inheritdoc/>
    public override long Position => _position;

    /// <inheritdoc/>
    public override void Write<T>(T value)
    {
        var codec = _factory.Get<T>(); // an unsupported type is refused before anything is written
        var writer = Begin();
        codec.Write(ref writer, value);
        End(ref writer);
    }

    /// <summary>
    /// Writes part of the message by hand (a protocol header) with a <see cref="CdrWriter"/> at the current offset of
    /// the stream, so what it writes aligns from the message's first byte.
    /// </summary>
    /// <typeparam name="TState">What the callback needs.</typeparam>
    /// <param name="state">The caller's state, passed to <paramref name="write"/>.</param>
    /// <param name="write">Writes with the writer it is given; it need not flush.</param>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    /// <exception cref="InvalidOperationException">An earlier write failed.</exception>
    public void WriteCdr<TState>(TState state, CdrWriteAction<TState> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var writer = Begin();
        write(ref writer, state);
        End(ref writer);
    }

    /// <inheritdoc/>
    protected override void WriteBoxed(Type type, object? value)
    {
        var codec = (CdrCodec)_factory.Get(type, default);
        var writer = Begin();
        codec.WriteBoxed(ref writer, value);
        End(ref writer);
    }

    /// <inheritdoc/>
    public override bool TryReset(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _position = 0;
        _objects = 0;
        _failed = false;
        _disposed = false;
        return true;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    private CdrWriter Begin()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new InvalidOperationException("An earlier write into this message failed; the message is incomplete.");
        }

        // Cleared by End: a write that throws leaves the writer failed.
        _failed = true;
        return new CdrWriter(_output, _byteOrder, _position) { MaxDepth = _maxDepth, MaxObjects = _maxObjects, Context = _context, ObjectCount = _objects };
    }

    private void End(ref CdrWriter writer)
    {
        writer.Flush();
        _position = writer.Position;
        _objects = writer.ObjectCount;
        _failed = false;
    }
}
