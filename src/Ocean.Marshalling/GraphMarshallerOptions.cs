namespace Ocean.Marshalling;

/// <summary>
/// Limits for <see cref="GraphMarshaller"/>. Every limit is checked before anything is allocated for it.
/// <see cref="MaxDepth"/>, <see cref="MaxObjects"/>, <see cref="MaxCollectionLength"/>, <see cref="MaxStringLength"/>
/// and <see cref="MaxBytes"/> are checked on read and on write (so a writer never produces a stream that a reader with
/// the same limits refuses for them). <see cref="MaxMemoryMultiple"/> and <see cref="MaxKeyComparisons"/> guard the
/// reader only: a writer does not check them, and an honest stream can exceed them (see each). <see cref="MaxCachedDescriptors"/>
/// and <see cref="MaxCachedDescriptorBytes"/> bound the marshaller's cache of descriptors read from other versions.
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
    private int _maxKeyComparisons = 2_000_000;
    private int _maxCachedDescriptors = 1024;
    private int _maxCachedDescriptorBytes = 4 * 1024 * 1024;

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

    /// <summary>
    /// How many times one read may compare dictionary keys for equality beyond one per entry read (default 2,000,000),
    /// over every dictionary in the stream together; past it the stream is refused. Keys are compared only when their
    /// hash codes are equal: keys of primitive and enum types are hashed by a per-process key and strings by .NET's
    /// randomized hashing, so this is spent only by keys of a registered type whose own hash collides, by chance or
    /// by a peer's choice (a record's hash is computed from its members, so a peer can pick keys that share one).
    /// It caps what such keys cost: without it, a dictionary of <c>n</c> keys with one hash takes <c>n²/2</c> comparisons.
    /// </summary>
    /// <remarks>
    /// Honest keys with poor hashes stay well within the default: 1,000 struct keys whose default hash takes only one
    /// of three values need about 170,000 comparisons, 5,000 record keys with 10 distinct hashes about 1.25 million.
    /// The default costs about 10 ms of CPU with a record's generated Equals, and about 0.2 s with a struct whose
    /// default Equals compares its fields by reflection. The writer does not check it; raise it for streams of large
    /// dictionaries whose keys have few distinct hash codes (or give the key type a better hash).
    /// </remarks>
    public int MaxKeyComparisons
    {
        get => _maxKeyComparisons;
        set => _maxKeyComparisons = Positive(value);
    }

    /// <summary>
    /// How many class descriptors from other versions of registered classes the marshaller keeps, with the plan for
    /// reading each (default 1,024). Any peer can send new descriptors, so the cache is bounded; when full, the oldest
    /// not used since it was added or last spared is dropped, and a dropped descriptor is planned again when next seen.
    /// </summary>
    public int MaxCachedDescriptors
    {
        get => _maxCachedDescriptors;
        set => _maxCachedDescriptors = Positive(value);
    }

    /// <summary>
    /// How many bytes the cached descriptors from other versions may take, counted as each descriptor's length plus
    /// 128 per member for its plan (default 4 MiB). A descriptor weighing more than 64 KiB (or more than this limit)
    /// is planned for each stream that sends it and never kept.
    /// </summary>
    public int MaxCachedDescriptorBytes
    {
        get => _maxCachedDescriptorBytes;
        set => _maxCachedDescriptorBytes = Positive(value);
    }

    /// <summary>
    /// Substitutes values of chosen declared types (such as an interface passed by reference) by surrogates on the
    /// way out and back (default none). Asked once per type, when its code is built. A surrogate that is a class or
    /// struct must be registered in the <see cref="GraphTypeRegistry"/>; the substituted declared type need not be
    /// (an interface declared as a member or argument is carried as its surrogate). See <see cref="IMarshallingSurrogateProvider"/>.
    /// </summary>
    public IMarshallingSurrogateProvider? SurrogateProvider { get; set; }

    private static int Positive(int value) => value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");

    /// <summary>A copy, so a marshaller is not changed by later changes to the options it was made with.</summary>
    internal GraphMarshallerOptions Copy() => (GraphMarshallerOptions)MemberwiseClone();
}
