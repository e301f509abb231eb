using System.Reflection;

namespace Ocean.Marshalling.Internal;

/// <summary>One member of a registered type, with the codec for its declared type.</summary>
internal sealed class GraphMember(string wireName, Type type, MemberInfo member, int constructorIndex, int index, GraphCodec codec)
{
    public string WireName { get; } = wireName;

    public Type Type { get; } = type;

    public MemberInfo Member { get; } = member;

    /// <summary>The constructor parameter it is passed as, or -1 when it is set after construction.</summary>
    public int ConstructorIndex { get; } = constructorIndex;

    /// <summary>Its position among the type's members (wire order).</summary>
    public int Index { get; } = index;

    public GraphCodec Codec { get; } = codec;

    public byte[] Signature => Codec.Signature;
}

/// <summary>
/// A registered class, struct or record: its members, its descriptor bytes (written the first time it appears in
/// a stream) and its compiled reader and writer. Built once per marshaller.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal abstract class GraphClass
{
    /// <summary>Marks a member the stream did not carry, so the type's own default stays.</summary>
    public static readonly object Missing = new();

    private static int s_nextId = -1;

    private readonly Dictionary<string, GraphMember> _byName;

    protected GraphClass(Type type, string stableName, GraphMember[] members, int constructorCount, byte[] descriptor)
    {
        Type = type;
        StableName = stableName;
        Members = members;
        ConstructorCount = constructorCount;
        Descriptor = descriptor;
        _byName = members.ToDictionary(m => m.WireName, StringComparer.Ordinal);
        ExactEntry = new GraphClassEntry(this, null, [.. members.Select(m => m.Signature)]);
        InstanceSize = GraphMemory.InstanceSize(type);
        Id = Interlocked.Increment(ref s_nextId);
    }

    /// <summary>A small number, unique in the process, by which a writer finds whether its stream has described this class.</summary>
    public int Id { get; }

    public Type Type { get; }

    public string StableName { get; }

    public bool IsStruct => Type.IsValueType;

    /// <summary>What an instance takes in memory (a struct: its size; a class: header and fields), charged when one is read.</summary>
    public int InstanceSize { get; }

    public IReadOnlyList<GraphMember> Members { get; }

    /// <summary>How many leading members are constructor parameters (0: built first, then filled in).</summary>
    public int ConstructorCount { get; }

    /// <summary>The descriptor exactly as this class writes it (everything after the class reference's 0).</summary>
    public byte[] Descriptor { get; }

    /// <summary>How a stream whose descriptor matches <see cref="Descriptor"/> byte for byte is read: the compiled fast path.</summary>
    public GraphClassEntry ExactEntry { get; }

    public GraphMember? Find(string wireName) => _byName.GetValueOrDefault(wireName);

    /// <summary>Writes a class instance: a reference if it was written before, else its tag, class and members.</summary>
    public abstract void WriteNew(GraphWriter writer, object value);

    /// <summary>Reads the members of a new instance laid out exactly as <see cref="Descriptor"/>.</summary>
    public abstract object ReadNewBoxed(GraphReader reader, int handle);

    /// <summary>Creates an instance from boxed member values (<see cref="Missing"/> where absent), for the version-skew path.</summary>
    public abstract object Build(object?[] values);

    /// <summary>Sets one settable member on a class instance, for the version-skew path.</summary>
    public abstract void SetBoxed(GraphMember member, object target, object? value);
}

/// <summary>A registered type with its compiled, typed reader and writer.</summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal sealed class GraphClass<T> : GraphClass
{
    private readonly ConstructorInfo? _constructor;
    private readonly Action<GraphWriter, T, int> _write;
    private readonly Func<GraphReader, int, T> _read;
    private readonly Lock _lazyLock = new();
    private Func<object?[], object>? _build;
    private Action<object, object?>?[]? _setters;

    public GraphClass(string stableName, GraphMember[] members, int constructorCount, ConstructorInfo? constructor, byte[] descriptor)
        : base(typeof(T), stableName, members, constructorCount, descriptor)
    {
        _constructor = constructor;
        _write = GraphClassCompiler.CompileWrite<T>(members, constructorCount);
        _read = GraphClassCompiler.CompileRead<T>(members, constructorCount, constructor);
    }

    public void WriteMembers(GraphWriter writer, T value, int handle) => _write(writer, value, handle);

    public T ReadMembers(GraphReader reader, int handle) => _read(reader, handle);

    public override void WriteNew(GraphWriter writer, object value)
    {
        if (writer.TryWriteReference(value, out var handle))
        {
            return;
        }

        writer.WriteByte(GraphWire.New);
        writer.WriteClassRef(this);
        if (ConstructorCount > 0)
        {
            writer.BeginPending(handle, this);
        }

        writer.Enter();
        _write(writer, (T)value, handle);
        writer.Exit();
    }

    public override object ReadNewBoxed(GraphReader reader, int handle) => _read(reader, handle)!;

    public override object Build(object?[] values)
    {
        if (_build is null)
        {
            lock (_lazyLock)
            {
                _build ??= GraphClassCompiler.CompileBuild<T>(Members, ConstructorCount, _constructor);
            }
        }

        return _build(values);
    }

    public override void SetBoxed(GraphMember member, object target, object? value)
    {
        if (_setters is null)
        {
            lock (_lazyLock)
            {
                _setters ??= [.. Members.Select(m => m.ConstructorIndex < 0 && !IsStruct ? GraphClassCompiler.CompileSetter<T>(m) : null)];
            }
        }

        var setter = _setters[member.Index] ?? throw new MarshallingException(MarshallingError.Malformed, $"Member {member.WireName} of {StableName} cannot be set after construction.");
        setter(target, value);
    }
}

/// <summary>
/// A class descriptor as one stream uses it: the local class, and, when the stream's members differ from the local
/// ones (another version of the type), the plan that reconciles them.
/// </summary>
internal sealed class GraphClassEntry(GraphClass graphClass, GraphSkewPlan? plan, byte[][] wireSignatures)
{
    public GraphClass Class { get; } = graphClass;

    /// <summary>Null when the stream's members are exactly the local ones.</summary>
    public GraphSkewPlan? Plan { get; } = plan;

    /// <summary>The signatures of the members as the stream sends them, in its order.</summary>
    public byte[][] WireSignatures { get; } = wireSignatures;

    /// <summary>Reads a new class instance (after its tag and class reference): reserves its handle, then its members.</summary>
    public object ReadObject(GraphReader reader)
    {
        var handle = reader.ReserveHandle(Class.InstanceSize);
        reader.Enter();
        var value = Plan is null ? Class.ReadNewBoxed(reader, handle) : Plan.Read(reader, handle);
        reader.Exit();
        return value;
    }
}
