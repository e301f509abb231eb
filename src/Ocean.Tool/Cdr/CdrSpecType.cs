namespace Ocean.Tool.Cdr;

/// <summary>What a <see cref="CdrSpecType"/> is: a primitive, a string, a template type or a named definition.</summary>
internal enum CdrKind
{
    Octet,
    Boolean,
    Char,
    WChar,
    Short,
    UShort,
    Long,
    ULong,
    LongLong,
    ULongLong,
    Float,
    Double,
    String,
    WString,
    Sequence,
    Array,
    Struct,
    Enum,
    Union,
}

/// <summary>
/// A CDR type parsed from the inline notation (<see cref="CdrTypeSpec.Parse"/>): what <see cref="CdrJson"/> encodes
/// and decodes. Instances are immutable once parsing ends; a recursive struct or union refers to itself by reference.
/// </summary>
internal abstract class CdrSpecType
{
    private protected CdrSpecType(CdrKind kind) => Kind = kind;

    /// <summary>What the type is.</summary>
    public CdrKind Kind { get; }

    /// <summary>The type as the notation writes it (<c>unsigned long</c>, <c>sequence&lt;Node&gt;</c>, <c>Person</c>).</summary>
    public abstract string Name { get; }

    /// <summary>True for the integer kinds (<c>octet</c> to <c>unsigned long long</c>).</summary>
    public bool IsInteger => Kind is CdrKind.Octet or (>= CdrKind.Short and <= CdrKind.ULongLong);

    /// <summary>The fewest bytes a value of this type takes on the wire, padding not counted (a sequence: its count).</summary>
    internal abstract int MinimumSize { get; }

    public override string ToString() => Name;
}

/// <summary>A primitive, <c>string</c> or <c>wstring</c>: one shared instance per kind.</summary>
internal sealed class CdrPrimitiveType : CdrSpecType
{
    private static readonly CdrPrimitiveType[] s_all = CreateAll();

    private readonly string _name;
    private readonly int _minimumSize;

    private CdrPrimitiveType(CdrKind kind, string name, int minimumSize)
        : base(kind)
    {
        _name = name;
        _minimumSize = minimumSize;
    }

    public override string Name => _name;

    internal override int MinimumSize => _minimumSize;

    /// <summary>The instance for <paramref name="kind"/> (<see cref="CdrKind.Octet"/> to <see cref="CdrKind.WString"/>).</summary>
    public static CdrPrimitiveType Of(CdrKind kind) => s_all[(int)kind];

    private static CdrPrimitiveType[] CreateAll() =>
    [
        new(CdrKind.Octet, "octet", 1),
        new(CdrKind.Boolean, "boolean", 1),
        new(CdrKind.Char, "char", 1),
        new(CdrKind.WChar, "wchar", 3),
        new(CdrKind.Short, "short", 2),
        new(CdrKind.UShort, "unsigned short", 2),
        new(CdrKind.Long, "long", 4),
        new(CdrKind.ULong, "unsigned long", 4),
        new(CdrKind.LongLong, "long long", 8),
        new(CdrKind.ULongLong, "unsigned long long", 8),
        new(CdrKind.Float, "float", 4),
        new(CdrKind.Double, "double", 8),
        new(CdrKind.String, "string", 5),
        new(CdrKind.WString, "wstring", 4),
    ];
}

/// <summary><c>sequence&lt;T&gt;</c>: an <c>unsigned long</c> count, then the elements.</summary>
internal sealed class CdrSequenceType(CdrSpecType element) : CdrSpecType(CdrKind.Sequence)
{
    public CdrSpecType Element { get; } = element;

    public override string Name => $"sequence<{Element.Name}>";

    internal override int MinimumSize => 4;
}

/// <summary>A fixed array <c>T[N]</c> (a struct member): exactly N elements, no count.</summary>
internal sealed class CdrArrayType(CdrSpecType element, int length) : CdrSpecType(CdrKind.Array)
{
    public CdrSpecType Element { get; } = element;

    public int Length { get; } = length;

    public override string Name => $"{Element.Name}[{Length}]";

    internal override int MinimumSize => (int)Math.Min(int.MaxValue, (long)Element.MinimumSize * Length);
}

/// <summary>A struct member or a union branch: its name and type.</summary>
internal sealed record CdrMember(string Name, CdrSpecType Type);

/// <summary>A named definition (struct, enum, union): complete once its closing brace is parsed.</summary>
internal abstract class CdrNamedType(CdrKind kind, string name) : CdrSpecType(kind)
{
    public override string Name { get; } = name;

    /// <summary>False while the definition is being parsed (it may then be named only inside a sequence).</summary>
    internal bool Complete { get; set; }
}

/// <summary><c>struct</c>: the members in order.</summary>
internal sealed class CdrStructType(string name) : CdrNamedType(CdrKind.Struct, name)
{
    private int _minimumSize = -1;

    public List<CdrMember> Members { get; } = [];

    internal override int MinimumSize
    {
        get
        {
            if (_minimumSize < 0)
            {
                // Only complete members count: a reference to an incomplete type is inside a sequence (4 bytes).
                var sum = 0L;
                foreach (var member in Members)
                {
                    sum += member.Type.MinimumSize;
                }

                _minimumSize = (int)Math.Min(int.MaxValue, sum);
            }

            return _minimumSize;
        }
    }
}

/// <summary><c>enum</c>: an <c>unsigned long</c> ordinal, written in JSON as the identifier.</summary>
internal sealed class CdrEnumType(string name, IReadOnlyList<string> values) : CdrNamedType(CdrKind.Enum, name)
{
    public IReadOnlyList<string> Values { get; } = values;

    internal override int MinimumSize => 4;

    /// <summary>The ordinal of <paramref name="identifier"/>, or -1.</summary>
    public int IndexOf(string identifier)
    {
        for (var i = 0; i < Values.Count; i++)
        {
            if (string.Equals(Values[i], identifier, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>
/// <c>union</c>: the discriminator, then the branch its value selects (a value no case names and no default selects no
/// branch: nothing follows). Labels are kept as 64-bit keys (<see cref="CdrJson"/> reads the discriminator the same way).
/// </summary>
internal sealed class CdrUnionType(string name, CdrSpecType discriminator) : CdrNamedType(CdrKind.Union, name)
{
    private readonly Dictionary<long, CdrMember> _cases = [];
    private int _minimumSize = -1;

    /// <summary>The discriminator: an integer, <c>boolean</c>, <c>char</c>, <c>wchar</c> or an enum.</summary>
    public CdrSpecType Discriminator { get; } = discriminator;

    /// <summary>The branches in the order written.</summary>
    public List<CdrMember> Branches { get; } = [];

    /// <summary>The <c>default</c> branch, if any.</summary>
    public CdrMember? Default { get; internal set; }

    internal override int MinimumSize
    {
        get
        {
            if (_minimumSize < 0)
            {
                // A branchless value may be the cheapest: then only the discriminator counts.
                long smallest = Default is null ? 0 : Default.Type.MinimumSize;
                foreach (var branch in Branches)
                {
                    smallest = Math.Min(smallest, branch.Type.MinimumSize);
                }

                _minimumSize = (int)Math.Min(int.MaxValue, Discriminator.MinimumSize + smallest);
            }

            return _minimumSize;
        }
    }

    /// <summary>Adds <paramref name="label"/> for <paramref name="branch"/>; false when the label is already taken.</summary>
    internal bool TryAddLabel(long label, CdrMember branch) => _cases.TryAdd(label, branch);

    /// <summary>The branch a discriminator value selects: its case, else the default, else none.</summary>
    public CdrMember? Select(long label) => _cases.TryGetValue(label, out var branch) ? branch : Default;
}
