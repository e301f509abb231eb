using System.Collections.Concurrent;
using System.Reflection;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Finds or builds the codec for a type with member options; each is built once and cached. Marshallers without a
/// surrogate provider share <see cref="Default"/> (whose codecs also sit in a static slot per type); a marshaller
/// with a provider has its own factory, since the provider decides which types are built as surrogates.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.CdrUnreferencedCode)]
internal sealed class CdrCodecFactory
{
    private readonly ConcurrentDictionary<(Type, MemberOptions), object> _codecs = new();
    private readonly ConcurrentDictionary<Type, string?> _unsupported = new();
    private readonly ConcurrentDictionary<Type, Type?> _surrogates = new();
    private readonly Lock _buildLock = new();
    private readonly IMarshallingSurrogateProvider? _provider;

    // Codecs being built: visible only to the thread holding the build lock, published when the outermost build ends,
    // so no other thread ever sees a struct codec whose members are not compiled yet.
    private readonly Dictionary<(Type, MemberOptions), object> _building = [];
    private int _buildDepth;

    public CdrCodecFactory(IMarshallingSurrogateProvider? provider) => _provider = provider;

    /// <summary>The factory of marshallers with no surrogate provider.</summary>
    public static CdrCodecFactory Default { get; } = new(null);

    /// <summary>The codec for <typeparamref name="T"/> with no member options: for <see cref="Default"/> after the first call a static field read.</summary>
    public CdrCodec<T> Get<T>() => _provider is null ? Cache<T>.Codec ??= (CdrCodec<T>)Get(typeof(T), default) : (CdrCodec<T>)Get(typeof(T), default);

    /// <summary>The codec for a type with member options, built on first use.</summary>
    /// <exception cref="MarshallingException">
    /// The type is not supported, or building its code failed (IL emission where dynamic code is not supported, an
    /// exception from the surrogate provider's GetSurrogateType): <see cref="MarshallingError.UnsupportedType"/> with
    /// the cause inside, on the read path as on the write path, before any byte is read or written.
    /// </exception>
    public object Get(Type type, MemberOptions options)
    {
        if (_codecs.TryGetValue((type, options), out var codec))
        {
            return codec;
        }

        try
        {
            return GetOrBuild(type, options);
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw BuildFailed(type, ex);
        }
    }

    internal static MarshallingException BuildFailed(Type type, Exception ex) =>
        new(MarshallingError.UnsupportedType, $"The CDR code for {type} could not be built: {ex.Message}", ex);

    private object GetOrBuild(Type type, MemberOptions options)
    {
        object? codec;
        lock (_buildLock)
        {
            if (_codecs.TryGetValue((type, options), out codec) || _building.TryGetValue((type, options), out codec))
            {
                return codec;
            }

            if (Explain(type) is { } reason)
            {
                throw new MarshallingException(MarshallingError.UnsupportedType, $"{type} cannot be marshalled as CDR: {reason}");
            }

            _buildDepth++;
            try
            {
                codec = Build(type, options);
                if (_buildDepth == 1)
                {
                    foreach (var (key, built) in _building)
                    {
                        _codecs[key] = built;
                    }

                    _building.Clear();
                }

                return codec;
            }
            catch
            {
                if (_buildDepth == 1)
                {
                    _building.Clear(); // a failed build publishes nothing
                }

                throw;
            }
            finally
            {
                _buildDepth--;
            }
        }
    }

    /// <summary>Why a type is not supported, or null when it is; decided without building anything.</summary>
    public string? Explain(Type type) => _unsupported.GetOrAdd(type, t => ExplainCore(t, []));

    /// <summary>The surrogate the provider names for a declared type that is not built in, or null (always null without a provider).</summary>
    private Type? SurrogateOf(Type type)
    {
        if (_provider is null || IsBuiltIn(type))
        {
            return null;
        }

        return _surrogates.GetOrAdd(type, static (t, state) => SurrogateCalls.SurrogateTypeOf(state, t, IsBuiltIn), _provider);
    }

    private static bool IsBuiltIn(Type type) =>
        IsPrimitive(type) || type == typeof(string) || type.IsEnum || type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>));

    private string? ExplainCore(Type type, HashSet<Type> visiting)
    {
        if (IsPrimitive(type) || type == typeof(string) || type.IsEnum)
        {
            return null;
        }

        Type? surrogate;
        try
        {
            surrogate = SurrogateOf(type);
        }
        catch (MarshallingException ex)
        {
            return ex.Message;
        }

        if (surrogate is not null)
        {
            return ExplainCore(surrogate, visiting) is { } reason ? $"its surrogate {surrogate.Name}: {reason}" : null;
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

    private object Build(Type type, MemberOptions options)
    {
        object codec;
        if (SurrogateOf(type) is { } surrogate)
        {
            var inner = Get(surrogate, options);
            codec = Activator.CreateInstance(typeof(CdrSurrogateCodec<,>).MakeGenericType(type, surrogate), inner, _provider)!;
        }
        else if (type == typeof(bool))
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
            codec = Activator.CreateInstance(codecType.MakeGenericType(type), BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, [layout, this], null)!;
            _building[(type, options)] = codec;
            ((IInitializableCodec)codec).Initialize();
            return codec;
        }

        _building[(type, options)] = codec;
        return codec;
    }
}

/// <summary>Per-type static slot of <see cref="CdrCodecFactory.Default"/>, so the hot path skips the dictionary.</summary>
internal static class Cache<T>
{
    public static CdrCodec<T>? Codec;
}

/// <summary>A codec that compiles its members after being registered (so members can refer back to it).</summary>
internal interface IInitializableCodec
{
    void Initialize();
}
