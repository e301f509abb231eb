namespace Ocean.Marshalling;

/// <summary>
/// Limits for <see cref="GraphMarshaller"/>. Every limit is checked before anything is allocated for it, on read
/// and on write (so a writer never produces a stream a reader with the same limits refuses).
/// </summary>
/// <remarks>The marshaller copies the values when it is created; changing the options later has no effect on it.</remarks>
public sealed class GraphMarshallerOptions
{
    private int _maxDepth = 64;
    private int _maxObjects = 100_000;
    private int _maxCollectionLength = 1_000_000;
    private int _maxStringLength = 1024 * 1024;
    private int _maxBytes = 16 * 1024 * 1024;

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

    /// <summary>How many bytes one stream may take in all (default 16 MiB).</summary>
    public int MaxBytes
    {
        get => _maxBytes;
        set => _maxBytes = value <= Array.MaxLength ? Positive(value) : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be at most Array.MaxLength.");
    }

    private static int Positive(int value) => value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
}
