namespace Ocean.Marshalling.Internal;

/// <summary>Which types the graph marshaller carries, and the codec each gets.</summary>
internal sealed partial class GraphCodecFactory
{
    private Explanation ExplainCore(Type type, HashSet<Type> visiting, int depth)
    {
        if (depth >= GraphWire.MaxSignatureDepth)
        {
            return Unsupported($"collections nest more than {GraphWire.MaxSignatureDepth} levels deep.");
        }

        if (GraphWire.PrimitiveCode(type.IsEnum ? Enum.GetUnderlyingType(type) : type) != 0 || type == typeof(string))
        {
            return default;
        }

        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return ExplainCore(inner, visiting, depth + 1);
        }

        if (type.IsArray)
        {
            return type.IsSZArray ? ExplainCore(type.GetElementType()!, visiting, depth + 1) : Unsupported("only one-dimensional, zero-based arrays are carried.");
        }

        if (IsGeneric(type, typeof(List<>)))
        {
            return ExplainCore(type.GetGenericArguments()[0], visiting, depth + 1).Within("its element type: ");
        }

        if (IsGeneric(type, typeof(Dictionary<,>)))
        {
            // Say which half is the problem: "object has no wire type" alone reads as if the dictionary had none.
            var arguments = type.GetGenericArguments();
            var key = ExplainCore(arguments[0], visiting, depth + 1);
            return key.Reason is not null ? key.Within("its key type: ") : ExplainCore(arguments[1], visiting, depth + 1).Within("its value type: ");
        }

        Type? surrogate;
        try
        {
            surrogate = SurrogateOf(type);
        }
        catch (MarshallingException ex)
        {
            return new Explanation(ex.Message, ex.Error);
        }

        if (surrogate is not null)
        {
            return ExplainCore(surrogate, visiting, depth).Within($"its surrogate {surrogate.Name}: ");
        }

        if (type == typeof(object))
        {
            return Unsupported("object has no wire type; declare a registered class or interface instead.");
        }

        if (typeof(Delegate).IsAssignableFrom(type) || type.IsPointer || type.IsByRef || type.IsByRefLike)
        {
            return Unsupported($"{type.Name} holds code or memory addresses, not data.");
        }

        if (_registry.IsRegistered(type))
        {
            return ExplainRegistered(type, visiting, 0);
        }

        // Registering a collection type would not help (its items are not members), so do not suggest it.
        return CollectionKind(type) switch
        {
            "dictionary" => Unsupported($"{Name(type)} is not carried: the only dictionary carried is Dictionary<TKey, TValue> itself (not an interface, a subclass or another dictionary); declare the member as Dictionary<TKey, TValue>."),
            "collection" => Unsupported($"{Name(type)} is not carried: the only collections carried are T[] and List<T> themselves (not an interface, a subclass or another collection); declare the member as T[] or List<T>."),
            _ => new Explanation($"{type} is not registered in the GraphTypeRegistry.", MarshallingError.UnregisteredType),
        };
    }

    private static Explanation Unsupported(string reason) => new(reason, MarshallingError.UnsupportedType);

    /// <summary>
    /// For a .NET collection type, or a subclass of List or Dictionary: "dictionary" when it is or implements a
    /// dictionary interface, else "collection". Null for anything else (a type of the caller's own that happens to be
    /// enumerable may well be meant to be registered).
    /// </summary>
    private static string? CollectionKind(Type type)
    {
        if (type == typeof(string) || !typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        var framework = type.Namespace is { } ns && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal));
        var derived = false;
        for (var t = type.BaseType; t is not null && !derived; t = t.BaseType)
        {
            derived = IsGeneric(t, typeof(List<>)) || IsGeneric(t, typeof(Dictionary<,>));
        }

        if (!framework && !derived)
        {
            return null;
        }

        var interfaces = type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces();
        return interfaces.Any(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IDictionary<,>) || i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))) || typeof(System.Collections.IDictionary).IsAssignableFrom(type)
            ? "dictionary"
            : "collection";
    }

    /// <summary>A type's name as C# writes it (Dictionary&lt;String, Int32&gt;), for messages.</summary>
    private static string Name(Type type) =>
        type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>" : type.Name;

    /// <summary>A registered type: its layout, its members' types, and every registered type that may be sent in its place.</summary>
    private Explanation ExplainRegistered(Type type, HashSet<Type> visiting, int depth)
    {
        if (!visiting.Add(type))
        {
            return default; // recursive types are fine: handles and the depth limit bound them
        }

        try
        {
            if (!type.IsInterface && !type.IsAbstract)
            {
                var layout = GraphLayout.TryCreate(type, out var problem);
                if (layout is null)
                {
                    return Unsupported(problem!);
                }

                foreach (var member in layout.Members)
                {
                    if (ExplainCore(member.Type, visiting, depth) is { Reason: not null } reason)
                    {
                        return reason.Within($"member {member.WireName}: ");
                    }
                }
            }

            if (!type.IsValueType)
            {
                foreach (var derived in _registry.Types)
                {
                    if (derived != type && type.IsAssignableFrom(derived) && ExplainRegistered(derived, visiting, depth) is { Reason: not null } reason)
                    {
                        return reason.Within($"the registered {derived.Name}, which may be sent as a {type.Name}: ");
                    }
                }
            }

            return default;
        }
        finally
        {
            visiting.Remove(type);
        }
    }

    private GraphCodec Build(Type type)
    {
        var signature = Signature(type);
        if (SurrogateOf(type) is { } surrogate)
        {
            return Create(typeof(GraphSurrogateCodec<,>), [type, surrogate], signature, Get(surrogate), _provider!);
        }

        if (type.IsEnum)
        {
            return Create(typeof(GraphEnumCodec<,>), [type, Enum.GetUnderlyingType(type)], signature);
        }

        if (GraphWire.PrimitiveCode(type) != 0)
        {
            return Create(typeof(GraphPrimitiveCodec<>), [type], signature);
        }

        if (type == typeof(string))
        {
            return new GraphStringCodec(signature);
        }

        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return Create(typeof(GraphNullableCodec<>), [inner], signature, Get(inner));
        }

        if (type.IsSZArray)
        {
            return Create(typeof(GraphArrayCodec<>), [type.GetElementType()!], signature, Get(type.GetElementType()!));
        }

        if (IsGeneric(type, typeof(List<>)))
        {
            return Create(typeof(GraphListCodec<>), type.GetGenericArguments(), signature, Get(type.GetGenericArguments()[0]));
        }

        if (IsGeneric(type, typeof(Dictionary<,>)))
        {
            var arguments = type.GetGenericArguments();
            return Create(typeof(GraphDictionaryCodec<,>), arguments, signature, Get(arguments[0]), Get(arguments[1]));
        }

        // Classes and structs resolve their GraphClass lazily, so a type that refers to itself builds.
        return Create(type.IsValueType ? typeof(GraphStructCodec<>) : typeof(GraphObjectCodec<>), [type], signature, this);
    }

    private static GraphCodec Create(Type definition, Type[] arguments, byte[] signature, params object[] more) =>
        (GraphCodec)Activator.CreateInstance(definition.MakeGenericType(arguments), [signature, .. more])!;
}

/// <summary>Why a type cannot be carried (null when it can), and which kind of error that is.</summary>
internal readonly record struct Explanation(string? Reason, MarshallingError Error)
{
    /// <summary>The same problem, its reason prefixed by where it was found.</summary>
    public Explanation Within(string where) => Reason is null ? this : this with { Reason = where + Reason };
}
