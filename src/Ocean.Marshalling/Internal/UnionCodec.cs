using System.Linq.Expressions;
using System.Reflection;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// A <see cref="CdrUnionAttribute"/> class as a CDR union: the discriminator, then the branch its value
/// selects. A discriminator that selects no branch (and no default) is refused both ways.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.CdrUnreferencedCode)]
internal sealed class UnionCodec<T> : CdrCodec<T>, IInitializableCodec
{
    private readonly StructLayout _layout;
    private readonly List<Branch> _branches = [];
    private Branch? _default;
    private CdrCodec _discriminatorCodec = null!;
    private Func<T, object?> _getDiscriminator = null!;
    private Action<T, object?> _setDiscriminator = null!;
    private Func<T> _create = null!;

    private readonly CdrCodecFactory _factory;

    public UnionCodec(StructLayout layout, CdrCodecFactory factory)
    {
        _layout = layout;
        _factory = factory;
    }

    public override int MinimumSize => _discriminatorCodec?.MinimumSize ?? 1;

    public override int MinimumObjects => 1;

    public void Initialize()
    {
        var discriminator = _layout.Discriminator!;
        _discriminatorCodec = (CdrCodec)_factory.Get(discriminator.Type, discriminator.Options);
        (_getDiscriminator, _setDiscriminator) = Accessors(discriminator.Member);
        _create = Expression.Lambda<Func<T>>(Expression.New(typeof(T))).Compile();
        foreach (var member in _layout.Members)
        {
            var (get, set) = Accessors(member.Member);
            var branch = new Branch(member.Name, member.CaseLabels ?? [], (CdrCodec)_factory.Get(member.Type, member.Options), get, set);
            if (member.IsDefaultCase)
            {
                _default = branch;
            }

            _branches.Add(branch);
        }
    }

    public override void Write(ref CdrWriter writer, T value)
    {
        if (value is null)
        {
            throw new MarshallingException(MarshallingError.UnrepresentableValue, $"CDR has no null {typeof(T).Name}.");
        }

        writer.EnterNested();
        writer.CountObject();
        var discriminator = _getDiscriminator(value);
        var branch = Select(Label(discriminator));
        _discriminatorCodec.WriteBoxed(ref writer, discriminator);
        branch.Codec.WriteBoxed(ref writer, branch.Get(value));
        writer.ExitNested();
    }

    public override T Read(ref CdrReader reader)
    {
        reader.EnterNested();
        reader.CountObject();
        var discriminator = _discriminatorCodec.ReadBoxed(ref reader);
        var branch = Select(Label(discriminator));
        var result = _create();
        _setDiscriminator(result, discriminator);
        branch.Set(result, branch.Codec.ReadBoxed(ref reader));
        reader.ExitNested();
        return result;
    }

    /// <summary>
    /// <c>union Name switch (D) { case L: T member; ... default: T member; }</c>: the branches in the order
    /// <see cref="Select"/> tries them, each with the labels that can select it: a label an earlier branch (the
    /// default branch included) already takes, or that no discriminator value can carry, is left out, and so is a branch left
    /// with no label. The default branch shows only <c>default:</c> (its own labels would select it anyway).
    /// </summary>
    public override string Describe(CdrTypeDescriber describer)
    {
        var name = CdrTypeDescriber.NameOf(typeof(T));
        if (!describer.Enter(typeof(T)))
        {
            return name;
        }

        var discriminator = _layout.Discriminator!;
        var text = new System.Text.StringBuilder("union ").Append(name).Append(" switch (").Append(_discriminatorCodec.Describe(describer)).Append(") {");
        var taken = new HashSet<long>();
        foreach (var branch in _branches)
        {
            if (ReferenceEquals(branch, _default))
            {
                taken.UnionWith(branch.Labels); // they select this branch, as "default:" says, not a later one
                text.Append(" default:");
            }
            else
            {
                var labels = branch.Labels.Where(taken.Add).Select(l => LabelText(discriminator, l)).OfType<string>().ToList();
                if (labels.Count == 0)
                {
                    continue; // no discriminator value selects it
                }

                foreach (var label in labels)
                {
                    text.Append(" case ").Append(label).Append(':');
                }
            }

            text.Append(' ').Append(describer.Member(typeof(T), branch.Codec, branch.Name, inUnion: true));
        }

        describer.Define(typeof(T), name, text.Append(" }").ToString());
        return name;
    }

    /// <summary>A case label as the notation writes it, or null when no value of the discriminator's type has it.</summary>
    private string? LabelText(LayoutMember discriminator, long label)
    {
        var type = discriminator.Type;
        if (type.IsEnum)
        {
            var values = (IEnumCodec)_discriminatorCodec;
            for (var i = 0; i < values.Values.Count; i++)
            {
                if (Label(values.Values[i]) == label)
                {
                    return values.Identifiers[i];
                }
            }

            return null;
        }

        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return type switch
        {
            _ when type == typeof(bool) => label switch { 0 => "FALSE", 1 => "TRUE", _ => null },
            _ when type == typeof(char) => label < 0 || label > (discriminator.Options.Narrow ? 0xFF : 0xFFFF) ? null
                : label is >= 0x20 and <= 0x7E and not 0x27 and not 0x5C ? $"'{(char)label}'" : label.ToString(invariant),
            _ when type == typeof(short) => label is >= short.MinValue and <= short.MaxValue ? label.ToString(invariant) : null,
            _ when type == typeof(ushort) => label is >= ushort.MinValue and <= ushort.MaxValue ? label.ToString(invariant) : null,
            _ when type == typeof(int) => label is >= int.MinValue and <= int.MaxValue ? label.ToString(invariant) : null,
            _ when type == typeof(uint) => label is >= uint.MinValue and <= uint.MaxValue ? label.ToString(invariant) : null,
            _ when type == typeof(ulong) => unchecked((ulong)label).ToString(invariant),
            _ => label.ToString(invariant),
        };
    }

    private Branch Select(long label)
    {
        foreach (var branch in _branches)
        {
            foreach (var candidate in branch.Labels)
            {
                if (candidate == label)
                {
                    return branch;
                }
            }
        }

        return _default ?? throw new MarshallingException(MarshallingError.Malformed, $"Discriminator {label} selects no branch of union {typeof(T).Name}.");
    }

    private static long Label(object? discriminator) => discriminator switch
    {
        bool b => b ? 1 : 0,
        char c => c,
        Enum e => Enum.GetUnderlyingType(e.GetType()) == typeof(ulong)
            ? unchecked((long)Convert.ToUInt64(e, System.Globalization.CultureInfo.InvariantCulture))
            : Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture),
        ulong u => unchecked((long)u),
        _ => Convert.ToInt64(discriminator, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static (Func<T, object?> Get, Action<T, object?> Set) Accessors(MemberInfo member)
    {
        var instance = Expression.Parameter(typeof(T), "instance");
        var value = Expression.Parameter(typeof(object), "value");
        var access = Expression.MakeMemberAccess(instance, member);
        var get = Expression.Lambda<Func<T, object?>>(Expression.Convert(access, typeof(object)), instance).Compile();
        var set = Expression.Lambda<Action<T, object?>>(Expression.Assign(access, Expression.Convert(value, access.Type)), instance, value).Compile();
        return (get, set);
    }

    private sealed record Branch(string Name, IReadOnlyList<long> Labels, CdrCodec Codec, Func<T, object?> Get, Action<T, object?> Set);
}
