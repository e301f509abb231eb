using System.Collections.Concurrent;
using System.Buffers.Binary;
using System.Text;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// One marshaller's codecs, registered classes and descriptor cache. Each codec and class is built once (under a
/// lock, so recursive types resolve) and then shared by every thread.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal sealed partial class GraphCodecFactory
{
    private readonly GraphTypeRegistry _registry;
    private readonly ConcurrentDictionary<Type, GraphCodec> _codecs = new();
    private readonly ConcurrentDictionary<Type, Explanation> _explained = new();
    private readonly ConcurrentDictionary<Type, GraphClass> _classes = new();

    // The descriptors of local classes (one per registered type, never evicted), and the version-skewed ones (bounded).
    private readonly ConcurrentDictionary<byte[], GraphClassEntry> _entries = new(GraphByteArrayComparer.Instance);
    private readonly ConcurrentDictionary<byte[], GraphClassEntry>.AlternateLookup<ReadOnlySpan<byte>> _entryLookup;
    private readonly Lock _buildLock = new();
    private readonly IMarshallingSurrogateProvider? _provider;
    private readonly ConcurrentDictionary<Type, Type?> _surrogates = new();
    private readonly Lock _indexLock = new();
    private GraphCodec?[] _byIndex = new GraphCodec?[16];

    public GraphCodecFactory(GraphTypeRegistry registry, GraphLimits limits, IMarshallingSurrogateProvider? provider = null)
    {
        _registry = registry;
        _provider = provider;
        Limits = limits;
        _entryLookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
        SkewedDescriptors = new GraphDescriptorCache(limits.MaxCachedDescriptors, limits.MaxCachedDescriptorBytes);
    }

    public GraphLimits Limits { get; }

    /// <summary>The version-skewed descriptors seen lately (bounded; see <see cref="GraphDescriptorCache"/>).</summary>
    public GraphDescriptorCache SkewedDescriptors { get; }

    /// <summary>Why a type cannot be carried, or null; decided without building anything.</summary>
    public string? Explain(Type type) => Explain(type, out _);

    /// <summary>
    /// The codec for <typeparamref name="T"/>: after the first call an array read at the type's process-wide index
    /// (<see cref="GraphTypeIndex{T}"/>), not a dictionary lookup. The array is this factory's, so a marshaller that
    /// is dropped takes its codecs with it.
    /// </summary>
    public GraphCodec<T> Get<T>()
    {
        var index = GraphTypeIndex<T>.Value;
        var byIndex = Volatile.Read(ref _byIndex);
        if ((uint)index < (uint)byIndex.Length && byIndex[index] is { } cached)
        {
            // Only ever a GraphCodec<T> at T's index (see below).
            return System.Runtime.CompilerServices.Unsafe.As<GraphCodec<T>>(cached);
        }

        var codec = (GraphCodec<T>)Get(typeof(T));
        lock (_indexLock)
        {
            var current = _byIndex;
            if ((uint)index >= (uint)current.Length)
            {
                Array.Resize(ref current, Math.Max(index + 1, current.Length * 2));
            }
            else
            {
                current = (GraphCodec?[])current.Clone(); // never written in place: readers see a whole array
            }

            current[index] = codec;
            Volatile.Write(ref _byIndex, current);
        }

        return codec;
    }

    /// <summary>The codec for a declared type, built on first use.</summary>
    /// <exception cref="MarshallingException">
    /// The type is not carried (<see cref="MarshallingError.UnregisteredType"/> or <see cref="MarshallingError.UnsupportedType"/>),
    /// or building its code failed (an exception from the surrogate provider's GetSurrogateType, or from compiling):
    /// <see cref="MarshallingError.UnsupportedType"/> with the cause inside, before any byte is read or written.
    /// </exception>
    public GraphCodec Get(Type type)
    {
        if (_codecs.TryGetValue(type, out var codec))
        {
            return codec;
        }

        try
        {
            lock (_buildLock)
            {
                if (_codecs.TryGetValue(type, out codec))
                {
                    return codec;
                }

                if (Explain(type, out var error) is { } reason)
                {
                    throw new MarshallingException(error, $"{type} cannot be marshalled by the graph marshaller: {reason}");
                }

                codec = Build(type);
                _codecs[type] = codec;
                return codec;
            }
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw BuildFailed(type, ex);
        }
    }

    /// <summary>Why a type cannot be carried and which kind of error that is, or null; decided without building anything.</summary>
    public string? Explain(Type type, out MarshallingError error)
    {
        var (reason, kind) = _explained.GetOrAdd(type, t => ExplainCore(t, [], 0));
        error = kind;
        return reason;
    }

    /// <summary>The class for an object's runtime type, which must be registered itself.</summary>
    public GraphClass GetClassForRuntime(Type type)
    {
        if (_classes.TryGetValue(type, out var graphClass))
        {
            return graphClass;
        }

        if (!_registry.IsRegistered(type))
        {
            throw new MarshallingException(MarshallingError.UnregisteredType, $"{type} is not registered in the GraphTypeRegistry, so it cannot be written.");
        }

        return GetClass(type);
    }

    /// <summary>The class of <paramref name="type"/> when it is registered and concrete, else null.</summary>
    public GraphClass? LocalClassOrNull(Type type) =>
        !type.IsInterface && !type.IsAbstract && _registry.IsRegistered(type) ? GetClass(type) : null;

    /// <summary>The class of a registered concrete type, compiled on first use.</summary>
    public GraphClass GetClass(Type type)
    {
        if (_classes.TryGetValue(type, out var graphClass))
        {
            return graphClass;
        }

        try
        {
            return BuildClass(type);
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw BuildFailed(type, ex);
        }
    }

    private static MarshallingException BuildFailed(Type type, Exception ex) =>
        new(MarshallingError.UnsupportedType, $"The object-graph code for {type} could not be built: {(ex is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner.Message : ex.Message)}", ex);

    private GraphClass BuildClass(Type type)
    {
        GraphClass? graphClass;
        lock (_buildLock)
        {
            if (_classes.TryGetValue(type, out graphClass))
            {
                return graphClass;
            }

            if (!_registry.TryGetName(type, out var name))
            {
                throw new MarshallingException(MarshallingError.UnregisteredType, $"{type} is not registered in the GraphTypeRegistry.");
            }

            if (type.IsInterface || type.IsAbstract)
            {
                throw new MarshallingException(MarshallingError.UnsupportedType, $"{name} ({type.Name}) is abstract; only concrete registered types are written and created.");
            }

            if (ExplainRegistered(type, [], 0) is { Reason: { } reason } explanation)
            {
                throw new MarshallingException(explanation.Error, $"{type} cannot be marshalled by the graph marshaller: {reason}");
            }

            var layout = GraphLayout.TryCreate(type, out var problem) ?? throw new MarshallingException(MarshallingError.UnsupportedType, $"{type} cannot be marshalled: {problem}");
            var members = layout.Members.Select((m, i) => new GraphMember(m.WireName, m.Type, m.Member, m.ConstructorIndex, i, Get(m.Type))).ToArray();
            graphClass = (GraphClass)Activator.CreateInstance(
                typeof(GraphClass<>).MakeGenericType(type), [name, members, layout.ConstructorCount, layout.Constructor, Descriptor(name, members)])!;
            _entries.TryAdd(graphClass.Descriptor, graphClass.ExactEntry);
            _classes[type] = graphClass;
            return graphClass;
        }
    }

    /// <summary>
    /// How a stream's class descriptor is read: the compiled path when it matches a local class byte for byte
    /// (a lookup without allocating), else a version-skew plan. Refuses a name that is not registered.
    /// </summary>
    public GraphClassEntry ResolveDescriptor(ReadOnlySpan<byte> descriptor)
    {
        if (_entryLookup.TryGetValue(descriptor, out var entry) || SkewedDescriptors.TryGet(descriptor, out entry))
        {
            return entry;
        }

        var offset = 0;
        var name = GraphReader.ReadName(descriptor, ref offset);
        var fingerprintAt = offset;
        var fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(descriptor.Slice(offset, 8));
        offset += 8;
        var actual = GraphWire.Fnv1a(GraphWire.Fnv1a(GraphWire.FnvOffset, descriptor[..fingerprintAt]), descriptor[(fingerprintAt + 8)..]);
        if (fingerprint != actual)
        {
            throw new MarshallingException(MarshallingError.Malformed, $"The descriptor of '{name}' does not match its fingerprint.");
        }

        var count = ReadVarint(descriptor, ref offset);
        var wireMembers = new List<(string Name, byte[] Signature)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var memberName = GraphReader.ReadName(descriptor, ref offset);
            var length = GraphWire.Measure(descriptor[offset..]);
            if (!names.Add(memberName))
            {
                throw new MarshallingException(MarshallingError.Malformed, $"The descriptor of '{name}' lists member '{memberName}' twice.");
            }

            wireMembers.Add((memberName, descriptor.Slice(offset, length).ToArray()));
            offset += length;
        }

        if (!_registry.TryGetType(name, out var type))
        {
            throw new MarshallingException(MarshallingError.UnregisteredType, $"The stream names type '{name}', which is not registered.");
        }

        var graphClass = GetClass(type);
        if (descriptor.SequenceEqual(graphClass.Descriptor))
        {
            return graphClass.ExactEntry;
        }

        entry = new GraphClassEntry(graphClass, GraphSkewPlan.Create(graphClass, wireMembers), [.. wireMembers.Select(m => m.Signature)]);
        SkewedDescriptors.Add(descriptor, entry);
        return entry;
    }

    /// <summary>The signature of a supported type (see the README's table of type codes); a substituted type has its surrogate's.</summary>
    public byte[] Signature(Type type)
    {
        var bytes = new List<byte>();
        AppendSignature(type, bytes);
        return [.. bytes];
    }

    /// <summary>The surrogate the provider names for a declared type that is not built in, or null (always null without a provider).</summary>
    public Type? SurrogateOf(Type type)
    {
        if (_provider is null || IsBuiltIn(type))
        {
            return null;
        }

        return _surrogates.GetOrAdd(type, static (t, state) => SurrogateCalls.SurrogateTypeOf(state, t, IsBuiltIn), _provider);
    }

    private static bool IsBuiltIn(Type type) =>
        GraphWire.PrimitiveCode(type.IsEnum ? Enum.GetUnderlyingType(type) : type) != 0 || type == typeof(string) || type.IsArray
        || Nullable.GetUnderlyingType(type) is not null || IsGeneric(type, typeof(List<>)) || IsGeneric(type, typeof(Dictionary<,>));

    private void AppendSignature(Type type, List<byte> bytes)
    {
        if (SurrogateOf(type) is { } surrogate)
        {
            AppendSignature(surrogate, bytes);
            return;
        }

        var underlying = type.IsEnum ? Enum.GetUnderlyingType(type) : type;
        var code = GraphWire.PrimitiveCode(underlying);
        if (code != 0)
        {
            bytes.Add(code);
        }
        else if (type == typeof(string))
        {
            bytes.Add(GraphWire.String);
        }
        else if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            bytes.Add(GraphWire.Nullable);
            AppendSignature(inner, bytes);
        }
        else if (type.IsSZArray)
        {
            bytes.Add(GraphWire.Array);
            AppendSignature(type.GetElementType()!, bytes);
        }
        else if (IsGeneric(type, typeof(List<>)))
        {
            bytes.Add(GraphWire.List);
            AppendSignature(type.GetGenericArguments()[0], bytes);
        }
        else if (IsGeneric(type, typeof(Dictionary<,>)))
        {
            bytes.Add(GraphWire.Dictionary);
            AppendSignature(type.GetGenericArguments()[0], bytes);
            AppendSignature(type.GetGenericArguments()[1], bytes);
        }
        else
        {
            bytes.Add(type.IsValueType ? GraphWire.Struct : GraphWire.Object);
        }
    }

    private static bool IsGeneric(Type type, Type definition) => type.IsGenericType && type.GetGenericTypeDefinition() == definition;

    private static uint ReadVarint(ReadOnlySpan<byte> bytes, ref int offset)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = bytes[offset++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new MarshallingException(MarshallingError.Malformed, "A varint is longer than 32 bits.");
    }

    private static byte[] Descriptor(string name, GraphMember[] members)
    {
        var bytes = new List<byte>();
        AppendName(bytes, name);
        var fingerprintAt = bytes.Count;
        bytes.AddRange(new byte[8]);
        AppendVarint(bytes, (uint)members.Length);
        foreach (var member in members)
        {
            AppendName(bytes, member.WireName);
            bytes.AddRange(member.Signature);
        }

        var descriptor = bytes.ToArray();
        var fingerprint = GraphWire.Fnv1a(GraphWire.Fnv1a(GraphWire.FnvOffset, descriptor.AsSpan(0, fingerprintAt)), descriptor.AsSpan(fingerprintAt + 8));
        BinaryPrimitives.WriteUInt64LittleEndian(descriptor.AsSpan(fingerprintAt), fingerprint);

        return descriptor;
    }

    private static void AppendName(List<byte> bytes, string name)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        if (utf8.Length is 0 or > GraphWire.MaxNameLength)
        {
            throw new MarshallingException(MarshallingError.UnsupportedType, $"The name '{name}' must take 1 to {GraphWire.MaxNameLength} UTF-8 bytes.");
        }

        AppendVarint(bytes, (uint)utf8.Length);
        bytes.AddRange(utf8);
    }

    private static void AppendVarint(List<byte> bytes, uint value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }
}

/// <summary>A small process-wide number per type, the slot of its codec in each factory's array.</summary>
internal static class GraphTypeIndex
{
    private static int s_next = -1;

    public static int Next() => Interlocked.Increment(ref s_next);
}

/// <summary>The index of <typeparamref name="T"/>, assigned on first use.</summary>
internal static class GraphTypeIndex<T>
{
    public static readonly int Value = GraphTypeIndex.Next();
}
