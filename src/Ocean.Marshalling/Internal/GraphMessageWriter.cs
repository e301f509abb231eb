using System.Buffers;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Several values in one object-graph stream: the magic once, then each value's signature and the value, with one
/// handle table. Each value is written straight into the output; a value that fails halfway may leave part of itself
/// there, so the writer refuses further writes and the caller discards the output.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal sealed class GraphMessageWriter : MarshallingWriter
{
    private readonly GraphCodecFactory _factory;
    private GraphWriter? _writer;
    private bool _failed;

    public GraphMessageWriter(GraphCodecFactory factory, IBufferWriter<byte> output, MarshallingContext? context)
    {
        _factory = factory;
        _writer = GraphWriter.Rent(factory, output);
        _writer.Context = context;
        _writer.WriteMagic();
        _writer.Commit();
    }

    public override long Position => _writer?.Position ?? throw new ObjectDisposedException(nameof(MarshallingWriter));

    public override void Write<T>(T value)
    {
        var codec = _factory.Get<T>();
        var writer = Begin();
        writer.WriteBytes(codec.Signature);
        codec.Write(writer, value);
        End(writer);
    }

    protected override void WriteBoxed(Type type, object? value)
    {
        var codec = _factory.Get(type);
        var writer = Begin();
        writer.WriteBytes(codec.Signature);
        codec.WriteBoxed(writer, value);
        End(writer);
    }

    protected override void Dispose(bool disposing)
    {
        if (_writer is { } writer)
        {
            _writer = null;
            writer.Return();
        }

        base.Dispose(disposing);
    }

    private GraphWriter Begin()
    {
        var writer = _writer;
        ObjectDisposedException.ThrowIf(writer is null, this);
        if (_failed)
        {
            throw new InvalidOperationException("An earlier write into this message failed; the message is incomplete.");
        }

        // Cleared by End; a value that throws may have handed part of itself to the output, so the message is incomplete.
        _failed = true;
        return writer;
    }

    private void End(GraphWriter writer)
    {
        writer.Commit();
        _failed = false;
    }
}
