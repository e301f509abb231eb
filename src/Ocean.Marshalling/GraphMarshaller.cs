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
/// </remarks>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(Internal.DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(Internal.DynamicCodeMessages.GraphUnreferencedCode)]
public sealed class GraphMarshaller : IMarshaller
{
    private readonly GraphCodecFactory _factory;

    /// <summary>Creates a marshaller.</summary>
    /// <param name="registry">The types it may write and create; frozen from now on.</param>
    /// <param name="options">Limits; <see langword="null"/> for the defaults. Copied now.</param>
    public GraphMarshaller(GraphTypeRegistry registry, GraphMarshallerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Freeze();
        options ??= new GraphMarshallerOptions();
        _factory = new GraphCodecFactory(registry, new GraphLimits(
            options.MaxDepth,
            options.MaxObjects,
            options.MaxCollectionLength,
            options.MaxStringLength,
            options.MaxBytes,
            options.MaxMemoryMultiple,
            options.MaxKeyComparisons,
            options.MaxCachedDescriptors,
            options.MaxCachedDescriptorBytes));
    }

    /// <inheritdoc/>
    public string Name => "graph";

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
        var writer = GraphWriter.Rent(_factory);
        try
        {
            writer.WriteHeader(codec.Signature);
            codec.Write(writer, value);
            writer.CopyTo(output);
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
        if (input.Length > _factory.Limits.MaxBytes)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"The stream takes {input.Length} bytes; the limit is {_factory.Limits.MaxBytes}.");
        }

        if (input.IsSingleSegment && MemoryMarshal.TryGetArray(input.First, out var segment))
        {
            return Read(codec, segment.Array!, segment.Offset, segment.Count);
        }

        // A message split across segments (or not backed by an array) is read from one pooled copy.
        var length = (int)input.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            input.CopyTo(rented);
            return Read(codec, rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private T Read<T>(GraphCodec<T> codec, byte[] buffer, int offset, int count)
    {
        var reader = GraphReader.Rent(_factory, buffer, offset, count);
        try
        {
            reader.ReadHeader(codec.Signature);
            var value = codec.Read(reader);
            if (reader.Remaining != 0)
            {
                throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes are left over after the {typeof(T).Name}.");
            }

            return value;
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            // Whatever the bytes (and whatever a constructor they reach throws), the caller sees one exception type.
            throw new MarshallingException(MarshallingError.Malformed, $"Malformed object-graph stream for {typeof(T).Name}: {ex.Message}", ex);
        }
        finally
        {
            reader.Return();
        }
    }
}
