using System.Globalization;

namespace Ocean.Tool.Cdr;

/// <summary>A type notation that does not parse, or names what is not defined: <see cref="Position"/> says where.</summary>
internal sealed class CdrSpecException(string message, int position)
    : Exception($"spec position {position + 1}: {message}")
{
    /// <summary>The offset in the spec text (0-based; the message counts from 1).</summary>
    public int Position { get; } = position;
}

/// <summary>
/// Parses the inline CDR type notation:
/// <code>
/// spec       = { definition ";" } ( definition [";"] | type )
/// definition = struct | enum | union
/// struct     = "struct" name "{" { type identifier [ "[" N "]" ] ";" } "}"
/// enum       = "enum" name "{" identifier { "," identifier } "}"
/// union      = "union" name "switch" "(" type ")" "{" { ("case" label ":" { "case" label ":" } | "default" ":") type identifier ";" } "}"
/// type       = octet | boolean | char | wchar | short | unsigned short | long | unsigned long | long long
///            | unsigned long long | float | double | string | wstring | sequence "&lt;" type "&gt;" | name
/// name       = identifier { ("." | "::") identifier }
/// label      = integer | TRUE | FALSE | 'c' | a char's (0..255) or wchar's (0..65535) code | enum identifier
/// identifier = (letter | "_") { letter | digit | "_" }    (Unicode letters and digits, as C#'s; not a keyword)
/// </code>
/// The value's type is the final type, or else the last definition. A definition may name itself (or one being
/// defined around it) only inside a <c>sequence</c>, as IDL allows recursion.
/// </summary>
internal sealed class CdrTypeSpec
{
    /// <summary>How deeply <c>sequence&lt;...&gt;</c> may nest in one type (the parser and the codecs recurse).</summary>
    public const int MaxSequenceNesting = 32;

    // The same words as Ocean.Marshalling's CdrNotation.Keywords, which DescribeType refuses as names (NotationKeywordTests keeps them equal).
    private static readonly HashSet<string> s_keywords = new(StringComparer.Ordinal)
    {
        "struct", "enum", "union", "switch", "case", "default", "sequence", "unsigned", "octet", "boolean", "char",
        "wchar", "short", "long", "float", "double", "string", "wstring", "TRUE", "FALSE",
    };

    private readonly List<Token> _tokens;
    private readonly Dictionary<string, CdrNamedType> _definitions = new(StringComparer.Ordinal);
    private int _next;
    private int _sequenceNesting;

    private CdrTypeSpec(string text)
    {
        _tokens = Tokenize(text);
    }

    /// <summary>Parses <paramref name="spec"/> and returns the value's type.</summary>
    /// <exception cref="CdrSpecException">A syntax error, an undefined or duplicate name, a bad label.</exception>
    public static CdrSpecType Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new CdrTypeSpec(spec).ParseSpec();
    }

    private enum TokenKind
    {
        Identifier,
        Integer,
        Character,
        Symbol,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);

    private Token Current => _tokens[_next];

    private CdrSpecType ParseSpec()
    {
        if (Current.Kind == TokenKind.End)
        {
            throw Error("the spec is empty: expected a type or a definition (struct, enum, union)", Current);
        }

        while (true)
        {
            if (IsWord("struct") || IsWord("enum") || IsWord("union"))
            {
                var definition = ParseDefinition();
                if (IsSymbol(";"))
                {
                    _next++;
                }
                else if (Current.Kind != TokenKind.End)
                {
                    throw Error($"expected ';' after the definition of {definition.Name}", Current);
                }

                if (Current.Kind == TokenKind.End)
                {
                    return definition;
                }
            }
            else
            {
                var type = ParseType();
                if (Current.Kind != TokenKind.End)
                {
                    throw Error("expected the end of the spec after the value's type", Current);
                }

                return type;
            }
        }
    }

    private CdrNamedType ParseDefinition()
    {
        var keyword = Take();
        var nameToken = Current;
        var name = ParseName("a name for the " + keyword.Text);
        if (_definitions.ContainsKey(name))
        {
            throw Fault($"{name} is defined twice", nameToken);
        }

        CdrNamedType definition = keyword.Text switch
        {
            "struct" => ParseStruct(name),
            "enum" => ParseEnum(name),
            _ => ParseUnion(name),
        };
        definition.Complete = true;
        return definition;
    }

    private CdrStructType ParseStruct(string name)
    {
        var type = new CdrStructType(name);
        _definitions.Add(name, type);
        Expect("{", $"'{{' to open struct {name}");
        while (!IsSymbol("}"))
        {
            if (Current.Kind == TokenKind.End)
            {
                throw Error($"expected '}}' to close struct {name}", Current);
            }

            var memberType = ParseType();
            var memberToken = Current;
            var member = ExpectIdentifier($"a member name after {memberType.Name}");
            if (type.Members.Exists(m => m.Name == member))
            {
                throw Fault($"struct {name} has two members named {member}", memberToken);
            }

            if (IsSymbol("["))
            {
                _next++;
                var lengthToken = Current;
                if (lengthToken.Kind != TokenKind.Integer
                    || !int.TryParse(lengthToken.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                    || length < 1)
                {
                    throw Fault("expected an array length from 1 to 2147483647", lengthToken);
                }

                _next++;
                Expect("]", "']' after the array length");
                memberType = new CdrArrayType(memberType, length);
            }

            Expect(";", $"';' after member {member}");
            type.Members.Add(new CdrMember(member, memberType));
        }

        _next++;
        return type;
    }

    private CdrEnumType ParseEnum(string name)
    {
        Expect("{", $"'{{' to open enum {name}");
        var values = new List<string>();
        while (true)
        {
            var valueToken = Current;
            var value = ExpectIdentifier($"an identifier in enum {name}");
            if (values.Contains(value))
            {
                throw Fault($"enum {name} has {value} twice", valueToken);
            }

            values.Add(value);
            if (IsSymbol(","))
            {
                _next++;
                continue;
            }

            Expect("}", $"',' or '}}' in enum {name}");
            break;
        }

        var type = new CdrEnumType(name, values);
        _definitions.Add(name, type);
        return type;
    }

    private CdrUnionType ParseUnion(string name)
    {
        ExpectWord("switch", $"'switch' after union {name}");
        Expect("(", "'(' after 'switch'");
        var discriminatorToken = Current;
        var discriminator = ParseType();
        if (!(discriminator.IsInteger || discriminator.Kind is CdrKind.Boolean or CdrKind.Char or CdrKind.WChar or CdrKind.Enum))
        {
            throw Fault($"a union discriminator is an integer, boolean, char, wchar or enum type, not {discriminator.Name}", discriminatorToken);
        }

        Expect(")", "')' after the discriminator type");
        var type = new CdrUnionType(name, discriminator);
        _definitions.Add(name, type);
        Expect("{", $"'{{' to open union {name}");
        while (!IsSymbol("}"))
        {
            var labels = new List<(long Value, Token Token)>();
            var isDefault = false;
            do
            {
                if (IsWord("case"))
                {
                    _next++;
                    var labelToken = Current;
                    labels.Add((ParseLabel(discriminator), labelToken));
                }
                else if (IsWord("default"))
                {
                    if (isDefault || type.Default is not null)
                    {
                        throw Fault($"union {name} has two defaults", Current);
                    }

                    isDefault = true;
                    _next++;
                }
                else
                {
                    throw Error(labels.Count == 0 && !isDefault ? $"expected 'case', 'default' or '}}' in union {name}" : "expected 'case', 'default' or the branch's type", Current);
                }

                Expect(":", "':' after the label");
            }
            while (IsWord("case") || IsWord("default"));

            var branchType = ParseType();
            var branchToken = Current;
            var branchName = ExpectIdentifier($"a branch name after {branchType.Name}");
            if (branchName == "discriminator")
            {
                throw Fault("a union branch cannot be named 'discriminator' (the JSON form uses that name)", branchToken);
            }

            if (type.Branches.Exists(b => b.Name == branchName) || type.Default?.Name == branchName)
            {
                throw Fault($"union {name} has two branches named {branchName}", branchToken);
            }

            Expect(";", $"';' after branch {branchName}");
            var branch = new CdrMember(branchName, branchType);
            foreach (var (value, token) in labels)
            {
                if (!type.TryAddLabel(value, branch))
                {
                    throw Fault($"union {name} has the label {token.Text} twice", token);
                }
            }

            if (isDefault)
            {
                type.Default = branch;
            }

            if (labels.Count > 0)
            {
                type.Branches.Add(branch);
            }
        }

        _next++;
        return type;
    }

    /// <summary>A case label's value as a 64-bit key: see <see cref="CdrJson"/>'s discriminator keys.</summary>
    private long ParseLabel(CdrSpecType discriminator)
    {
        var token = Current;
        switch (discriminator.Kind)
        {
            case CdrKind.Boolean:
                if (IsWord("TRUE") || IsWord("FALSE"))
                {
                    _next++;
                    return token.Text == "TRUE" ? 1 : 0;
                }

                throw Error("expected TRUE or FALSE (the discriminator is boolean)", token);
            case CdrKind.Char or CdrKind.WChar:
                if (token.Kind == TokenKind.Integer || IsSymbol("-"))
                {
                    return ParseCharacterCode(discriminator);
                }

                if (token.Kind != TokenKind.Character)
                {
                    throw Error($"expected a character literal such as 'a' or a character code (the discriminator is {discriminator.Name})", token);
                }

                _next++;
                var c = token.Text[0];
                if (discriminator.Kind == CdrKind.Char && c > '\u00FF')
                {
                    throw Fault($"'{c}' is not in ISO-8859-1 (the discriminator is char)", token);
                }

                return c;
            case CdrKind.Enum:
                var enumType = (CdrEnumType)discriminator;
                var identifier = ParseName($"an identifier of enum {enumType.Name}");
                var last = identifier[(identifier.LastIndexOf('.') + 1)..];
                var prefix = identifier.Length > last.Length ? identifier[..(identifier.Length - last.Length - 1)] : null;
                var ordinal = enumType.IndexOf(last);
                if (ordinal < 0 || (prefix is not null && prefix != enumType.Name && !enumType.Name.EndsWith("." + prefix, StringComparison.Ordinal)))
                {
                    throw Fault($"{identifier} is not an identifier of enum {enumType.Name} ({string.Join(", ", enumType.Values)})", token);
                }

                return ordinal;
            default:
                var negative = IsSymbol("-");
                if (negative)
                {
                    _next++;
                }

                var number = Current;
                if (number.Kind != TokenKind.Integer)
                {
                    throw Error($"expected an integer label (the discriminator is {discriminator.Name})", number);
                }

                _next++;
                var text = number.Text;
                var isHex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
                if (!ulong.TryParse(isHex ? text[2..] : text, isHex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var magnitude))
                {
                    throw Fault($"{text} is out of range for {discriminator.Name}", number);
                }

                var shown = (negative ? "-" : string.Empty) + text;
                if (!CdrJson.TryIntegerKey(discriminator.Kind, negative, magnitude, out var key))
                {
                    throw Fault($"{shown} is out of range for {discriminator.Name}", token);
                }

                return key;
        }
    }

    /// <summary>
    /// A char or wchar label written as its code, as <c>DescribeType</c> writes characters that are not printable ASCII
    /// (and <c>'</c>, <c>\</c>): 0..255 for char, 0..65535 for wchar, decimal or 0x hex.
    /// </summary>
    private long ParseCharacterCode(CdrSpecType discriminator)
    {
        var token = Current;
        var negative = IsSymbol("-");
        if (negative)
        {
            _next++;
        }

        var number = Current;
        if (number.Kind != TokenKind.Integer)
        {
            throw Error($"expected a character code (the discriminator is {discriminator.Name})", number);
        }

        _next++;
        var text = number.Text;
        var isHex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var max = discriminator.Kind == CdrKind.Char ? 0xFFUL : 0xFFFFUL;
        if (negative
            || !ulong.TryParse(isHex ? text[2..] : text, isHex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            || code > max)
        {
            throw Fault($"{(negative ? "-" : string.Empty)}{text} is out of range for {discriminator.Name} (a character code is 0..{max})", token);
        }

        return (long)code;
    }

    private CdrSpecType ParseType()
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier)
        {
            throw Error("expected a type", token);
        }

        switch (token.Text)
        {
            case "octet": _next++; return CdrPrimitiveType.Of(CdrKind.Octet);
            case "boolean": _next++; return CdrPrimitiveType.Of(CdrKind.Boolean);
            case "char": _next++; return CdrPrimitiveType.Of(CdrKind.Char);
            case "wchar": _next++; return CdrPrimitiveType.Of(CdrKind.WChar);
            case "short": _next++; return CdrPrimitiveType.Of(CdrKind.Short);
            case "float": _next++; return CdrPrimitiveType.Of(CdrKind.Float);
            case "double": _next++; return CdrPrimitiveType.Of(CdrKind.Double);
            case "string": _next++; return CdrPrimitiveType.Of(CdrKind.String);
            case "wstring": _next++; return CdrPrimitiveType.Of(CdrKind.WString);
            case "long":
                _next++;
                if (IsWord("long"))
                {
                    _next++;
                    return CdrPrimitiveType.Of(CdrKind.LongLong);
                }

                if (IsWord("double"))
                {
                    throw Fault("long double is not supported", Current);
                }

                return CdrPrimitiveType.Of(CdrKind.Long);
            case "unsigned":
                _next++;
                if (IsWord("short"))
                {
                    _next++;
                    return CdrPrimitiveType.Of(CdrKind.UShort);
                }

                if (IsWord("long"))
                {
                    _next++;
                    if (IsWord("long"))
                    {
                        _next++;
                        return CdrPrimitiveType.Of(CdrKind.ULongLong);
                    }

                    return CdrPrimitiveType.Of(CdrKind.ULong);
                }

                throw Error("expected 'short' or 'long' after 'unsigned'", Current);
            case "sequence":
                _next++;
                Expect("<", "'<' after 'sequence'");
                if (++_sequenceNesting > MaxSequenceNesting)
                {
                    throw Fault($"sequences nest deeper than {MaxSequenceNesting}", token);
                }

                var element = ParseType();
                _sequenceNesting--;
                if (IsSymbol(">>"))
                {
                    // sequence<sequence<long>>: the lexer's ">>" closes two.
                    _tokens[_next] = new Token(TokenKind.Symbol, ">", Current.Position + 1);
                }
                else
                {
                    Expect(">", $"'>' after sequence<{element.Name}");
                }

                return new CdrSequenceType(element);
            default:
                if (s_keywords.Contains(token.Text))
                {
                    throw Error($"expected a type, found the keyword '{token.Text}'", token);
                }

                var name = ParseName("a type");
                if (!_definitions.TryGetValue(name, out var definition))
                {
                    throw Fault($"{name} is not defined (define a struct, enum or union before naming it)", token);
                }

                if (!definition.Complete && _sequenceNesting == 0)
                {
                    throw Fault($"{name} contains itself: a recursive type is named inside a sequence, such as sequence<{name}>", token);
                }

                return definition;
        }
    }

    /// <summary>identifier { ("." | "::") identifier }, normalised to dots.</summary>
    private string ParseName(string what)
    {
        var name = ExpectIdentifier(what);
        while (IsSymbol(".") || IsSymbol("::"))
        {
            _next++;
            name += "." + ExpectIdentifier("an identifier after '.' or '::'");
        }

        return name;
    }

    private string ExpectIdentifier(string what)
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier)
        {
            throw Error("expected " + what, token);
        }

        if (s_keywords.Contains(token.Text))
        {
            throw Fault($"expected {what}, found the keyword '{token.Text}'", token);
        }

        _next++;
        return token.Text;
    }

    private void Expect(string symbol, string what)
    {
        if (!IsSymbol(symbol))
        {
            throw Error("expected " + what, Current);
        }

        _next++;
    }

    private void ExpectWord(string word, string what)
    {
        if (!IsWord(word))
        {
            throw Error("expected " + what, Current);
        }

        _next++;
    }

    private Token Take() => _tokens[_next++];

    private bool IsSymbol(string symbol) => Current.Kind == TokenKind.Symbol && Current.Text == symbol;

    private bool IsWord(string word) => Current.Kind == TokenKind.Identifier && Current.Text == word;

    /// <summary>A mistake in what the token says (an undefined name, a duplicate): no "found".</summary>
    private static CdrSpecException Fault(string message, Token at) => new(message, at.Position);

    private static CdrSpecException Error(string message, Token at)
    {
        var found = at.Kind == TokenKind.End ? "the end of the spec" : $"'{at.Text}'";
        return new CdrSpecException($"{message}, found {found}", at.Position);
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < text.Length)
            {
                if (char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
                else if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }
                }
                else
                {
                    break;
                }
            }

            if (i == text.Length)
            {
                tokens.Add(new Token(TokenKind.End, string.Empty, i));
                return tokens;
            }

            var start = i;
            var c = text[i];
            if (char.IsLetter(c) || c == '_')
            {
                // C# identifiers may hold any Unicode letter or digit, as a CLR name the server describes may.
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], start));
            }
            else if (char.IsAsciiDigit(c))
            {
                if (c == '0' && i + 1 < text.Length && (text[i + 1] is 'x' or 'X'))
                {
                    i += 2;
                    while (i < text.Length && char.IsAsciiHexDigit(text[i]))
                    {
                        i++;
                    }
                }
                else
                {
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }
                }

                if (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_' || text[i] == '.'))
                {
                    throw new CdrSpecException($"'{text[start..(i + 1)]}' is not an integer", start);
                }

                tokens.Add(new Token(TokenKind.Integer, text[start..i], start));
            }
            else if (c == '\'')
            {
                tokens.Add(new Token(TokenKind.Character, ReadCharacter(text, ref i), start));
            }
            else if (c == ':' && i + 1 < text.Length && text[i + 1] == ':')
            {
                tokens.Add(new Token(TokenKind.Symbol, "::", start));
                i += 2;
            }
            else if (c == '>' && i + 1 < text.Length && text[i + 1] == '>')
            {
                tokens.Add(new Token(TokenKind.Symbol, ">>", start));
                i += 2;
            }
            else if ("{}()<>[];,:.-".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start));
                i++;
            }
            else
            {
                throw new CdrSpecException($"unexpected character '{c}'", start);
            }
        }
    }

    /// <summary>'c', or an escape: '\'' '\\' '\n' '\t' '\r' '\0' '\xHH' '\uHHHH'.</summary>
    private static string ReadCharacter(string text, ref int i)
    {
        var start = i;
        i++;
        if (i >= text.Length)
        {
            throw new CdrSpecException("unterminated character literal", start);
        }

        char value;
        if (text[i] == '\\')
        {
            i++;
            if (i >= text.Length)
            {
                throw new CdrSpecException("unterminated character literal", start);
            }

            var escape = text[i++];
            switch (escape)
            {
                case '\'' or '\\' or '"': value = escape; break;
                case 'n': value = '\n'; break;
                case 't': value = '\t'; break;
                case 'r': value = '\r'; break;
                case '0': value = '\0'; break;
                case 'x' or 'u':
                    var digits = escape == 'x' ? 2 : 4;
                    if (i + digits > text.Length
                        || !ushort.TryParse(text.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw new CdrSpecException($"'\\{escape}' takes {digits} hex digits", start);
                    }

                    value = (char)code;
                    i += digits;
                    break;
                default:
                    throw new CdrSpecException($"unknown escape '\\{escape}' in a character literal", start);
            }
        }
        else
        {
            value = text[i++];
        }

        if (i >= text.Length || text[i] != '\'')
        {
            throw new CdrSpecException("a character literal holds one character, closed by '", start);
        }

        i++;
        return value.ToString();
    }
}
