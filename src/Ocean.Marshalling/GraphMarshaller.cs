using System.Buffers;
using System.Runtime.InteropServices;
using Ocean.Marshalling.Internal;

namespace Ocean.Marshalling;

/// <summary>
/// An object-graph serializer in the spirit of Java serialization, safe against hostile input: shared references
/// and cycles come back as the same shape of graph, classes evolve (readers skip members they do not know and
/// leave missing ones at their defaults), and only the types in a <see cref="GraphTypeRegistry"/> are ever
/// created. The format is self-describing and documented byte by byte in the assembly's README.
/// </summary>
/// <remarks>
/// <para>Supported: primitives (<see cref="bool"/>, the integer types, <see cref="float"/>, <see cref="double"/>,
/// <see cref="decimal"/>, <see cref="char"/>), strings, enums, <see cref="Nullable{T}"/>, one-dimensional arrays,
/// <see cref="List{T}"/>, <see cref="Dictionary{TKey, TValue}"/>, and registered classes, structs and records
/// (public fields and properties; settable members or a constructor whose parameters match the read-only ones).</para>
/// <para>Unmarshalling raises <see cref="MarshallingException"/> and nothing else for any input; every limit in
/// <see cref="GraphMarshallerOptions"/> is checked before allocating, a claimed length is also bounded by the
/// bytes that remain, and what a read creates is bounded by a multiple of the input's length. A dictionary is read
/// back with a comparer of the default's equality whose hashing of primitive and enum keys a peer cannot make
/// collide; keys of other types that collide cost at most <see cref="GraphMarshallerOptions.MaxKeyComparisons"/>
/// comparisons per stream. Per-type readers and writers are compiled once and shared; the marshaller is
/// thread-safe.</para>
/// <para>Marshalling writes straight into the output's memory, a chunk at a time, with no copy of its own. A type that
/// is not supported or a boxed value that does not match its type is refused before any byte is written; a value
/// refused halfway (a limit, an unrepresentable value such as an unpaired surrogate, a surrogate failure) may leave
/// the start of its stream in the output, which the caller then discards. The output never holds more than
/// <see cref="GraphMarshallerOptions.MaxBytes"/> bytes of the stream.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(Internal.DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(Internal.DynamicCodeMessages.GraphUnreferencedCode)]
public sealed class GraphMarshaller : IMarshaller
{
    private readonly GraphCodecFactory _factory;
    private readonly GraphTypeRegistry _registry;
    private readonly GraphMarshallerOptions _options;

    /// <summary>Creates a marshaller.</summary>
    /// <param name="registry">The types it may write and create; frozen from now on.</param>
    /// <param name="options">Limits and surrogate provider; <see langword="null"/> for the defaults. Copied now.</param>
    public GraphMarshaller(GraphTypeRegistry registry, GraphMarshallerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Freeze();
        options ??= new GraphMarshallerOptions();
        _registry = registry;
        _options = options.Copy();
        _factory = new GraphCodecFactory(registry, new GraphLimits(
            options.MaxDepth,
            options.MaxObjects,
            options.MaxCollectionLength,
            options.MaxStringLength,
            options.MaxBytes,
            options.MaxMemoryMultiple,
            options.MaxKeyComparisons,
            options.MaxCachedDescriptors,
            options.MaxCachedDescriptorBytes), options.SurrogateProvider);
    }

    /// <inheritdoc/>
    public string Name => "graph";

    /// <inheritdoc/>
    public IMarshallingSurrogateProvider? SurrogateProvider => _options.SurrogateProvider;

    /// <inheritdoc/>
    public IMarshaller WithSurrogateProvider(IMarshallingSurrogateProvider? provider)
    {
        var options = _options.Copy();
        options.SurrogateProvider = provider;
        return new GraphMarshaller(_registry, options);
    }

    /// <summary>The codecs and descriptor cache, for tests.</summary>
    internal GraphCodecFactory Factory => _factory;

    /// <inheritdoc/>
    public bool CanMarshal(Type type, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(type);
        reason = _factory.Explain(type);
        return reason is null;
    }

    /// <inheritdoc/>
    public void Marshal<T>(T value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var codec = _factory.Get<T>();
        var writer = GraphWriter.Rent(_factory, output);
        try
        {
            writer.WriteHeader(codec.Signature);
            codec.Write(writer, value);
            writer.Commit();
        }
        finally
        {
            writer.Return();
        }
    }

    /// <inheritdoc/>
    public void Marshal(Type type, object? value, IBufferWriter<byte> output)
    {
        BoxedValue.Check(type, value);
        ArgumentNullException.ThrowIfNull(output);
        var codec = _factory.Get(type);
        var writer = GraphWriter.Rent(_factory, output);
        try
        {
            writer.WriteHeader(codec.Signature);
            codec.WriteBoxed(writer, value);
            writer.Commit();
        }
        finally
        {
            writer.Return();
        }
    }

    /// <inheritdoc/>
    public T Unmarshal<T>(in ReadOnlySequence<byte> input)
    {
        var codec = _factory.Get<T>();
        var buffer = Borrow(input, out var offset, out var count, out var rented);
        try
        {
            var reader = GraphReader.Rent(_factory, buffer, offset, count);
            try
            {
                reader.ReadHeader(codec.Signature);
                var value = codec.Read(reader);
                if (reader.Remaining != 0)
                {
                    ThrowTrailing(reader, typeof(T));
                }

                return value;
            }
            catch (Exception ex) when (ex is not MarshallingException)
            {
                // Whatever the bytes (and whatever a constructor they reach throws), the caller sees one exception type.
                throw Malformed(ex, typeof(T));
            }
            finally
            {
                reader.Return();
            }
        }
        finally
        {
            Release(rented);
        }
    }

    /// <inheritdoc/>
    public object? Unmarshal(Type type, in ReadOnlySequence<byte> input)
    {
        ArgumentNullException.ThrowIfNull(type);
        var codec = _factory.Get(type);
        var buffer = Borrow(input, out var offset, out var count, out var rented);
        try
        {
            var reader = GraphReader.Rent(_factory, buffer, offset, count);
            try
            {
                reader.ReadHeader(codec.Signature);
                var value = codec.ReadBoxed(reader);
                CheckAtEnd(reader, type);
                return value;
            }
            catch (Exception ex) when (ex is not MarshallingException)
            {
                throw Malformed(ex, type);
            }
            finally
            {
                reader.Return();
            }
        }
        finally
        {
            Release(rented);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The message is one object-graph stream: the magic and version once, then for each value its type signature and
    /// the value, all sharing one handle and class table (a message of one value has exactly the bytes of
    /// <see cref="Marshal{T}"/>). A protocol header is written as values too (primitives or a registered struct).
    /// Each value is written straight into <paramref name="output"/>'s memory and handed over (advanced) by the time its
    /// write returns. A type that is not supported or a boxed value that does not match its type is refused before any
    /// byte is written, and the message carries on; a value refused halfway (a limit, an unrepresentable value, a
    /// surrogate failure) may leave the start of its bytes in the output, so the writer then refuses further writes and
    /// the caller discards the output (a channel's framing discards a frame whose writer throws).
    /// <see cref="GraphMarshallerOptions.MaxBytes"/> and <see cref="GraphMarshallerOptions.MaxObjects"/> count over the
    /// whole message, and nothing past <see cref="GraphMarshallerOptions.MaxBytes"/> is ever written.
    /// </remarks>
    public MarshallingWriter CreateWriter(IBufferWriter<byte> output, MarshallingContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        return new GraphMessageWriter(_factory, output, context);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// An array-backed single-segment input is read in place; any other is copied once into a pooled buffer. Each
    /// value's signature is checked against the type asked for. The limits count over the whole message.
    /// </remarks>
    public MarshallingReader CreateReader(in ReadOnlySequence<byte> input, MarshallingContext? context = null) =>
        new GraphMessageReader(_factory, input, context);

    internal static MarshallingException Malformed(Exception ex, Type type) =>
        new(MarshallingError.Malformed, $"Malformed object-graph stream for {type.Name}: {ex.Message}", ex);

    /// <summary>The input as one array: its own when it is one array-backed segment, else a pooled copy to release.</summary>
    internal static byte[] Borrow(in ReadOnlySequence<byte> input, GraphLimits limits, out int offset, out int count, out byte[]? rented)
    {
        if (input.Length > limits.MaxBytes)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"The stream takes {input.Length} bytes; the limit is {limits.MaxBytes}.");
        }

        if (SequenceMarshal.TryGetArray(input, out var segment) || (input.IsSingleSegment && MemoryMarshal.TryGetArray(input.First, out segment)))
        {
            rented = null;
            offset = segment.Offset;
            count = segment.Count;
            return segment.Array!;
        }

        // A message split across segments (or not backed by an array) is read from one pooled copy.
        count = (int)input.Length;
        offset = 0;
        rented = ArrayPool<byte>.Shared.Rent(count);
        input.CopyTo(rented);
        return rented;
    }

    internal static void Release(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void ThrowTrailing(GraphReader reader, Type type) =>
        throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes are left over after the {type.Name}.");

    private static void CheckAtEnd(GraphReader reader, Type type)
    {
        if (reader.Remaining != 0)
        {
            throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes are left over after the {type.Name}.");
        }
    }

    private byte[] Borrow(in ReadOnlySequence<byte> input, out int offset, out int count, out byte[]? rented) =>
        Borrow(input, _factory.Limits, out offset, out count, out rented);
}
