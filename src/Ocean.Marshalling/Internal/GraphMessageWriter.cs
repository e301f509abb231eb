using System.Buffers;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Several values in one object-graph stream: the magic once, then each value's signature and the value, with one
/// handle table. Each value is built in the rented writer's buffer and handed to the output when it is complete.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal sealed class GraphMessageWriter : MarshallingWriter
{
    private readonly GraphCodecFactory _factory;
    private readonly IBufferWriter<byte> _output;
    private GraphWriter? _writer;
    private bool _failed;

    public GraphMessageWriter(GraphCodecFactory factory, IBufferWriter<byte> output, MarshallingContext? context)
    {
        _factory = factory;
        _output = output;
        _writer = GraphWriter.Rent(factory);
        _writer.Context = context;
        _writer.WriteMagic();
        _writer.FlushTo(output);
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

        // Cleared by End; the bytes of a value that throws stay in the buffer and are dropped on return.
        _failed = true;
        return writer;
    }

    private void End(GraphWriter writer)
    {
        writer.FlushTo(_output);
        _failed = false;
    }
}
