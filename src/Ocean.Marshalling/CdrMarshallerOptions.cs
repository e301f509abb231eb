using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling;

/// <summary>Settings for <see cref="CdrMarshaller"/>.</summary>
public sealed class CdrMarshallerOptions
{
    private int _maxDepth = CdrReader.DefaultMaxDepth;

    /// <summary>The byte order written (default big-endian); reading uses the same unless an encapsulation says otherwise.</summary>
    public ByteOrder ByteOrder { get; set; } = ByteOrder.BigEndian;

    /// <summary>How deeply nested structs may be written or read (default 64): deeper input, or a cyclic object graph, is refused.</summary>
    public int MaxDepth
    {
        get => _maxDepth;
        set => _maxDepth = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }
}
