namespace Ocean.Marshalling;

/// <summary>
/// Limits for <see cref="GraphMarshaller"/>. Every limit is checked before anything is allocated for it. All but
/// <see cref="MaxMemoryMultiple"/> are checked on read and on write (so a writer never produces a stream that a reader
/// with the same limits refuses for them); <see cref="MaxMemoryMultiple"/> guards the reader only.
/// </summary>
/// <remarks>The marshaller copies the values when it is created; changing the options later has no effect on it.</remarks>
public sealed class GraphMarshallerOptions
{
    private int _maxDepth = 64;
    private int _maxObjects = 100_000;
    private int _maxCollectionLength = 1_000_000;
    private int _maxStringLength = 1024 * 1024;
    private int _maxBytes = 16 * 1024 * 1024;
    private int _maxMemoryMultiple = 32;

    /// <summary>
    /// How deeply objects, structs and collections may nest (default 64; the root counts as 1). Deeper graphs are
    /// refused on write and deeper input on read, so neither can exhaust the stack.
    /// </summary>
    public int MaxDepth
    {
        get => _maxDepth;
        set => _maxDepth = Positive(value);
    }

    /// <summary>How many objects, arrays, lists, dictionaries and class descriptors one stream may hold (default 100,000).</summary>
    public int MaxObjects
    {
        get => _maxObjects;
        set => _maxObjects = Positive(value);
    }

    /// <summary>How many elements (or dictionary entries) one array, list or dictionary may hold (default 1,000,000).</summary>
    public int MaxCollectionLength
    {
        get => _maxCollectionLength;
        set => _maxCollectionLength = Positive(value);
    }

    /// <summary>How many UTF-8 bytes one string may take (default 1 MiB).</summary>
    public int MaxStringLength
    {
        get => _maxStringLength;
        set => _maxStringLength = Positive(value);
    }

    /// <summary>How many bytes one stream may take in all (default 16 MiB); the writer checks it on every write.</summary>
    public int MaxBytes
    {
        get => _maxBytes;
        set => _maxBytes = value <= Array.MaxLength ? Positive(value) : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be at most Array.MaxLength.");
    }

    /// <summary>
    /// How much memory one read may create, as a multiple of the stream's length (default 32), on top of a fixed
    /// allowance of 1 MiB per stream. Every object, array, list, dictionary and string the reader creates is charged
    /// to one budget per stream before it is allocated (by its size in memory, not its size on the wire), and the
    /// stream is refused once the budget is spent; so a stream of <c>N</c> bytes never makes the reader hold more
    /// than about <c>MaxMemoryMultiple × N</c> + 1 MiB, whatever its descriptors say.
    /// </summary>
    /// <remarks>
    /// Typical streams need under 16 times their length. The costliest honest values per byte are empty dictionaries
    /// (about 56 times their two bytes) and objects read from an older version of their class that carries few of
    /// their members: a reader of streams made mostly of those may need this raised.
    /// </remarks>
    public int MaxMemoryMultiple
    {
        get => _maxMemoryMultiple;
        set => _maxMemoryMultiple = Positive(value);
    }

    private static int Positive(int value) => value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
}
