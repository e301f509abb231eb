using System.Collections.Concurrent;
using System.Reflection;

namespace Ocean.Marshalling.Internal;

/// <summary>Finds or builds the codec for a type with member options; each is built once and cached.</summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.CdrUnreferencedCode)]
internal static class CdrCodecFactory
{
    private static readonly ConcurrentDictionary<(Type, MemberOptions), object> s_codecs = new();
    private static readonly ConcurrentDictionary<Type, string?> s_unsupported = new();
    private static readonly Lock s_buildLock = new();

    // Codecs being built: visible only to the thread holding the build lock, published when the outermost build ends,
    // so no other thread ever sees a struct codec whose members are not compiled yet.
    private static readonly Dictionary<(Type, MemberOptions), object> s_building = [];
    private static int s_buildDepth;

    /// <summary>The codec for <typeparamref name="T"/> with no member options: after the first call a static field read.</summary>
    public static CdrCodec<T> Get<T>() => Cache<T>.Codec ??= (CdrCodec<T>)Get(typeof(T), default);

    public static object Get(Type type, MemberOptions options)
    {
        if (s_codecs.TryGetValue((type, options), out var codec))
        {
            return codec;
        }

        lock (s_buildLock)
        {
            if (s_codecs.TryGetValue((type, options), out codec) || s_building.TryGetValue((type, options), out codec))
            {
                return codec;
            }

            if (Explain(type) is { } reason)
            {
                throw new MarshallingException(MarshallingError.UnsupportedType, $"{type} cannot be marshalled as CDR: {reason}");
            }

            s_buildDepth++;
            try
            {
                codec = Build(type, options);
                if (s_buildDepth == 1)
                {
                    foreach (var (key, built) in s_building)
                    {
                        s_codecs[key] = built;
                    }

                    s_building.Clear();
                }

                return codec;
            }
            catch
            {
                if (s_buildDepth == 1)
                {
                    s_building.Clear(); // a failed build publishes nothing
                }

                throw;
            }
            finally
            {
                s_buildDepth--;
            }
        }
    }

    /// <summary>Why a type is not supported, or null when it is; decided without building anything.</summary>
    public static string? Explain(Type type) => s_unsupported.GetOrAdd(type, static t => ExplainCore(t, []));

    private static string? ExplainCore(Type type, HashSet<Type> visiting)
    {
        if (IsPrimitive(type) || type == typeof(string) || type.IsEnum)
        {
            return null;
        }

        if (Nullable.GetUnderlyingType(type) is not null)
        {
            return "CDR has no null; Nullable<T> has no mapping.";
        }

        if (type.IsArray)
        {
            return type.GetArrayRank() == 1 ? ExplainCore(type.GetElementType()!, visiting) : "only one-dimensional arrays map to sequences.";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            return ExplainCore(type.GetGenericArguments()[0], visiting);
        }

        if (type.IsPrimitive || type == typeof(decimal) || type == typeof(object) || type.IsInterface || type.IsAbstract || type.IsPointer || type.IsByRefLike || typeof(Delegate).IsAssignableFrom(type) || type.IsGenericTypeDefinition)
        {
            return $"{type.Name} has no CDR mapping.";
        }

        if (!visiting.Add(type))
        {
            return null; // recursive types are fine: the sequence in between bounds them
        }

        try
        {
            var layout = StructLayout.TryCreate(type, out var problem);
            if (layout is null)
            {
                return problem;
            }

            foreach (var member in layout.AllMembers)
            {
                if (ExplainCore(member.Type, visiting) is { } reason)
                {
                    return $"member {member.Name}: {reason}";
                }
            }

            return null;
        }
        finally
        {
            visiting.Remove(type);
        }
    }

    private static bool IsPrimitive(Type type) =>
        type == typeof(bool) || type == typeof(byte) || type == typeof(char) || type == typeof(short) || type == typeof(ushort)
        || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong) || type == typeof(float) || type == typeof(double);

    private static object Build(Type type, MemberOptions options)
    {
        object codec;
        if (type == typeof(bool))
        {
            codec = new BooleanCodec();
        }
        else if (type == typeof(byte))
        {
            codec = new OctetCodec();
        }
        else if (type == typeof(char))
        {
            codec = new CharCodec(options.Narrow);
        }
        else if (type == typeof(short))
        {
            codec = new ShortCodec();
        }
        else if (type == typeof(ushort))
        {
            codec = new UShortCodec();
        }
        else if (type == typeof(int))
        {
            codec = new LongCodec();
        }
        else if (type == typeof(uint))
        {
            codec = new ULongCodec();
        }
        else if (type == typeof(long))
        {
            codec = new LongLongCodec();
        }
        else if (type == typeof(ulong))
        {
            codec = new ULongLongCodec();
        }
        else if (type == typeof(float))
        {
            codec = new FloatCodec();
        }
        else if (type == typeof(double))
        {
            codec = new DoubleCodec();
        }
        else if (type == typeof(string))
        {
            codec = new StringCodec(options.Wide, options.NullAsEmpty);
        }
        else if (type.IsEnum)
        {
            codec = Activator.CreateInstance(typeof(EnumCodec<>).MakeGenericType(type))!;
        }
        else if (type.IsArray)
        {
            var elementType = type.GetElementType()!;
            var element = Get(elementType, options with { FixedLength = 0, NullAsEmpty = false });
            codec = Activator.CreateInstance(typeof(ArrayCodec<>).MakeGenericType(elementType), element, options.FixedLength, options.NullAsEmpty)!;
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var elementType = type.GetGenericArguments()[0];
            var element = Get(elementType, options with { FixedLength = 0, NullAsEmpty = false });
            codec = Activator.CreateInstance(typeof(ListCodec<>).MakeGenericType(elementType), element, options.NullAsEmpty)!;
        }
        else
        {
            // Structs and unions: registered before their members are built, so recursive types resolve.
            var layout = StructLayout.TryCreate(type, out var problem) ?? throw new MarshallingException(MarshallingError.UnsupportedType, $"{type} cannot be marshalled as CDR: {problem}");
            var codecType = layout.IsUnion ? typeof(UnionCodec<>) : typeof(StructCodec<>);
            codec = Activator.CreateInstance(codecType.MakeGenericType(type), BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, [layout], null)!;
            s_building[(type, options)] = codec;
            ((IInitializableCodec)codec).Initialize();
            return codec;
        }

        s_building[(type, options)] = codec;
        return codec;
    }
}

/// <summary>Per-type static slot, so the hot path skips the dictionary.</summary>
internal static class Cache<T>
{
    public static CdrCodec<T>? Codec;
}

/// <summary>A codec that compiles its members after being registered (so members can refer back to it).</summary>
internal interface IInitializableCodec
{
    void Initialize();
}
