using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling;

/// <summary>Settings for <see cref="CdrMarshaller"/>, copied when the marshaller is created.</summary>
public sealed class CdrMarshallerOptions
{
    private int _maxDepth = CdrReader.DefaultMaxDepth;
    private int _maxObjects = CdrReader.DefaultMaxObjects;

    /// <summary>The byte order written (default big-endian); reading uses the same unless an encapsulation says otherwise.</summary>
    public ByteOrder ByteOrder { get; set; } = ByteOrder.BigEndian;

    /// <summary>
    /// Substitutes values of chosen declared types (such as an interface passed by reference) by surrogates on the
    /// way out and back (default none). Asked once per type, when its code is built; a marshaller with a provider
    /// builds its own codecs. See <see cref="IMarshallingSurrogateProvider"/>.
    /// </summary>
    public IMarshallingSurrogateProvider? SurrogateProvider { get; set; }

    /// <summary>
    /// How deeply nested structs may be written or read (default 64): deeper input, or a cyclic object graph, is
    /// refused. Raised far, a stack guard still stops nesting before the stack runs out.
    /// </summary>
    public int MaxDepth
    {
        get => _maxDepth;
        set => _maxDepth = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// How many objects one value may hold, written or read (default 100,000): instances of classes and unions,
    /// arrays and lists; not strings or value-type structs. A sequence whose elements could not fit is refused
    /// before its array is allocated, so a few bytes per element cannot make millions of objects.
    /// </summary>
    public int MaxObjects
    {
        get => _maxObjects;
        set => _maxObjects = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }
}
