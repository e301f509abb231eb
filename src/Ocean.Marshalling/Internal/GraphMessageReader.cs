using System.Buffers;

namespace Ocean.Marshalling.Internal;

/// <summary>Reads the values of a <see cref="GraphMessageWriter"/> message in order, with one handle table.</summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal sealed class GraphMessageReader : MarshallingReader
{
    private readonly GraphCodecFactory _factory;
    private GraphReader? _reader;
    private byte[]? _rented;
    private bool _failed;

    public GraphMessageReader(GraphCodecFactory factory, in ReadOnlySequence<byte> input, MarshallingContext? context)
    {
        _factory = factory;
        var buffer = GraphMarshaller.Borrow(input, factory.Limits, out var offset, out var count, out _rented);
        _reader = GraphReader.Rent(factory, buffer, offset, count);
        _reader.Context = context;
        try
        {
            _reader.ReadMagic();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override long Position => Reader.Position;

    public override long Remaining => Reader.Remaining;

    private GraphReader Reader => _reader ?? throw new ObjectDisposedException(nameof(MarshallingReader));

    public override T Read<T>()
    {
        var codec = _factory.Get<T>(); // a type that cannot be read is refused before reading, and the reader carries on
        var reader = Begin();
        try
        {
            reader.ReadRootSignature(codec.Signature);
            var value = codec.Read(reader);
            _failed = false;
            return value;
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw GraphMarshaller.Malformed(ex, typeof(T));
        }
    }

    protected override object? ReadBoxed(Type type)
    {
        var codec = _factory.Get(type);
        var reader = Begin();
        try
        {
            reader.ReadRootSignature(codec.Signature);
            var value = codec.ReadBoxed(reader);
            _failed = false;
            return value;
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw GraphMarshaller.Malformed(ex, type);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_reader is { } reader)
        {
            _reader = null;
            reader.Return();
        }

        if (_rented is { } rented)
        {
            _rented = null;
            ArrayPool<byte>.Shared.Return(rented);
        }

        base.Dispose(disposing);
    }

    private GraphReader Begin()
    {
        var reader = Reader;
        if (_failed)
        {
            throw new InvalidOperationException("An earlier read from this message failed; where the next value starts is unknown.");
        }

        // Cleared when the value is read: a read that throws leaves the reader failed.
        _failed = true;
        return reader;
    }
}
