using System.Text;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// The state of one <see cref="CdrMarshaller.DescribeType"/> call: the definitions already given, the ones this call
/// adds (published only when the whole description succeeds), and the types being defined. Codecs describe themselves
/// (<see cref="CdrCodec.Describe"/>) through it.
/// </summary>
internal sealed class CdrTypeDescriber
{
    private readonly IList<string> _definitions;
    private readonly List<string> _added = [];
    private readonly HashSet<string> _texts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _textByName = new(StringComparer.Ordinal);
    private readonly HashSet<Type> _defined = [];
    private readonly List<Type> _defining = [];

    public CdrTypeDescriber(IList<string> definitions)
    {
        _definitions = definitions;
        foreach (var definition in definitions)
        {
            _texts.Add(definition);
            if (DefinedName(definition) is { } name)
            {
                _textByName.TryAdd(name, definition);
            }
        }
    }

    /// <summary>
    /// The CDR name of a struct, enum or union: the CLR full name with nested types joined by <c>.</c>, a generic
    /// type's arity suffix dropped, and a constructed generic type's arguments appended as <c>_Argument</c> each
    /// (<c>Demo.Pair_Int32_String</c>, see <see cref="ArgumentName"/>).
    /// </summary>
    /// <exception cref="MarshallingException">A segment of the name is a keyword of the notation, or not an identifier.</exception>
    public static string NameOf(Type type)
    {
        var name = new StringBuilder();
        if (!string.IsNullOrEmpty(type.Namespace))
        {
            name.Append(type.Namespace).Append('.');
        }

        name.Append(string.Join('.', Chain(type)));
        AppendArguments(name, type);
        var text = name.ToString();
        foreach (var segment in text.Split('.'))
        {
            CdrNotation.CheckIdentifier(segment, $"The type {type} (CDR name {text})");
        }

        return text;
    }

    /// <summary>
    /// Starts the definition of <paramref name="type"/>: true when the caller should build and <see cref="Define"/> it;
    /// false when this call has defined it already, or is defining it right now (a recursive type refers to itself).
    /// </summary>
    /// <exception cref="MarshallingException">
    /// The type is being defined but is not the innermost type being defined: mutually recursive types need forward
    /// declarations, which the notation does not have.
    /// </exception>
    public bool Enter(Type type)
    {
        if (_defined.Contains(type))
        {
            return false;
        }

        var index = _defining.IndexOf(type);
        if (index == _defining.Count - 1 && index >= 0)
        {
            return false;
        }

        if (index >= 0)
        {
            throw new MarshallingException(MarshallingError.UnsupportedType,
                $"{type} cannot be described: it is mutually recursive with {_defining[^1]}, and the notation has no forward declarations.");
        }

        _defining.Add(type);
        return true;
    }

    /// <summary>Ends the definition <see cref="Enter"/> started: adds its text unless an equal one is there already.</summary>
    /// <exception cref="MarshallingException">Another definition with the same name but different text is there already.</exception>
    public void Define(Type type, string name, string text)
    {
        _defining.RemoveAt(_defining.Count - 1);
        _defined.Add(type);
        if (_texts.Contains(text))
        {
            return;
        }

        if (_textByName.TryGetValue(name, out var other))
        {
            throw new MarshallingException(MarshallingError.UnsupportedType,
                $"{type} cannot be described: its CDR name {name} already names another definition: {other}");
        }

        _texts.Add(text);
        _textByName.Add(name, text);
        _added.Add(text);
    }

    /// <summary>A struct member or union branch: <c>T name;</c>, or <c>T name[n];</c> for a fixed-length array member.</summary>
    /// <exception cref="MarshallingException">
    /// The name is a keyword of the notation or not an identifier, or a union branch is a fixed-length array.
    /// </exception>
    public string Member(Type owner, CdrCodec codec, string name, bool inUnion)
    {
        CdrNotation.CheckIdentifier(name, $"The {(inUnion ? "union branch" : "member")} {owner}.{name}");
        if (codec is IArrayCodec { FixedLength: > 0 } array)
        {
            if (inUnion)
            {
                throw new MarshallingException(MarshallingError.UnsupportedType,
                    $"The union branch {name} is a fixed-length array, which the notation has only as a struct member.");
            }

            return $"{array.Element.Describe(this)} {name}[{array.FixedLength}];";
        }

        return $"{codec.Describe(this)} {name};";
    }

    /// <summary>Appends the definitions this call added to the caller's list, in the order they were made.</summary>
    public void Publish()
    {
        foreach (var definition in _added)
        {
            _definitions.Add(definition);
        }
    }

    /// <summary>The name a definition defines: its second word (<c>struct Demo.Person { ... }</c>), or null.</summary>
    private static string? DefinedName(string definition)
    {
        var words = definition.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        return words.Length >= 2 ? words[1] : null;
    }

    /// <summary>The type's name and its declaring types', outermost first, without arity suffixes.</summary>
    private static List<string> Chain(Type type)
    {
        var chain = new List<string>();
        for (var current = type; current is not null; current = current.DeclaringType)
        {
            chain.Add(WithoutArity(current.Name));
        }

        chain.Reverse();
        return chain;
    }

    private static void AppendArguments(StringBuilder name, Type type)
    {
        if (type.IsConstructedGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                name.Append('_').Append(ArgumentName(argument));
            }
        }
    }

    /// <summary>
    /// A generic argument's part of a name: its simple name without namespace (nested types joined by <c>_</c>), its
    /// own arguments appended the same way (<c>List_Int32</c>), an array as its element's name and <c>Array</c>
    /// (<c>Int32Array</c>).
    /// </summary>
    private static string ArgumentName(Type type)
    {
        if (type.IsArray)
        {
            return ArgumentName(type.GetElementType()!) + "Array";
        }

        var name = new StringBuilder(string.Join('_', Chain(type)));
        AppendArguments(name, type);
        return name.ToString();
    }

    private static string WithoutArity(string name)
    {
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }
}
