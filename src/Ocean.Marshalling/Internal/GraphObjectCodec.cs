namespace Ocean.Marshalling.Internal;

/// <summary>
/// A registered class (or interface) slot: tag, then for a new object its class (a descriptor the first time,
/// a class reference after) and its members. The class written is the object's runtime type, which must be
/// registered itself; on read the class named must be assignable to the declared type.
/// </summary>
internal sealed class GraphObjectCodec<T>(byte[] signature, GraphCodecFactory factory) : GraphCodec<T>(signature)
{
    private GraphClass? _exact;

    /// <summary>The class of <typeparamref name="T"/> itself when it is registered and concrete (what a stream most often sends), else null.</summary>
    private GraphClass? _expected;
    private bool _expectedKnown;

    public override void Write(GraphWriter writer, T value)
    {
        if (value is null)
        {
            writer.WriteByte(GraphWire.Null);
            return;
        }

        var runtimeType = value.GetType();
        if (_exact is { } exact && runtimeType == exact.Type)
        {
            exact.WriteNew(writer, value);
            return;
        }

        var graphClass = runtimeType == typeof(T) ? _exact = factory.GetClassForRuntime(runtimeType) : factory.GetClassForRuntime(runtimeType);
        graphClass.WriteNew(writer, value);
    }

    public override T Read(GraphReader reader)
    {
        switch (reader.ReadByte())
        {
            case GraphWire.Null:
                return default!;
            case GraphWire.Ref:
                return reader.GetReference() is T existing ? existing : throw new MarshallingException(MarshallingError.Incompatible, $"A reference where {typeof(T).Name} is declared names another type.");
            case GraphWire.New:
                var expected = Expected();
                var entry = reader.ReadClassRef(expected);
                var type = entry.Class.Type;
                if (!ReferenceEquals(entry.Class, expected) && type != typeof(T) && (entry.Class.IsStruct || !typeof(T).IsAssignableFrom(type)))
                {
                    throw new MarshallingException(MarshallingError.Incompatible, $"The stream sends {entry.Class.StableName} ({type.Name}) where {typeof(T).Name} is declared.");
                }

                return (T)entry.ReadObject(reader);
            case var tag:
                throw new MarshallingException(MarshallingError.Malformed, $"Tag {tag} is not null, reference or new.");
        }
    }

    private GraphClass? Expected()
    {
        if (!_expectedKnown)
        {
            _expected = factory.LocalClassOrNull(typeof(T));
            _expectedKnown = true;
        }

        return _expected;
    }
}

/// <summary>A registered struct: its class (descriptor or reference), then its members. No tag and no handle: structs are values.</summary>
internal sealed class GraphStructCodec<T>(byte[] signature, GraphCodecFactory factory) : GraphCodec<T>(signature)
    where T : struct
{
    private GraphClass<T>? _class;

    public override void Write(GraphWriter writer, T value)
    {
        var graphClass = _class ??= (GraphClass<T>)factory.GetClass(typeof(T));
        writer.WriteClassRef(graphClass);
        writer.Enter();
        graphClass.WriteMembers(writer, value, -1);
        writer.Exit();
    }

    public override T Read(GraphReader reader)
    {
        var entry = reader.ReadClassRef(_class ??= (GraphClass<T>)factory.GetClass(typeof(T)));
        if (entry.Class.Type != typeof(T))
        {
            throw new MarshallingException(MarshallingError.Incompatible, $"The stream sends {entry.Class.StableName} ({entry.Class.Type.Name}) where the struct {typeof(T).Name} is declared.");
        }

        reader.Enter();
        var value = entry.Plan is null ? ((GraphClass<T>)entry.Class).ReadMembers(reader, -1) : (T)entry.Plan.Read(reader, -1);
        reader.Exit();
        return value;
    }
}
