using System.Collections.Frozen;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// What <see cref="CdrMarshaller.DescribeType"/>'s notation can carry as a name: the one list of its keywords (the
/// words a reader of the notation, such as the <c>ocean</c> tool, takes as keywords wherever they stand) and the
/// identifier characters. A name the notation cannot carry is refused rather than written as text a reader misreads.
/// </summary>
internal static class CdrNotation
{
    /// <summary>The notation's keywords (case-sensitive, as IDL's): no type name segment, member, branch or enum identifier may be one.</summary>
    public static readonly FrozenSet<string> Keywords = FrozenSet.ToFrozenSet(
    [
        "struct", "enum", "union", "switch", "case", "default", "sequence", "unsigned", "octet", "boolean", "char",
        "wchar", "short", "long", "float", "double", "string", "wstring", "TRUE", "FALSE",
    ], StringComparer.Ordinal);

    /// <summary>
    /// Throws unless <paramref name="identifier"/> is an identifier of the notation: a letter or <c>_</c>, then letters,
    /// digits and <c>_</c> (Unicode ones, as C#'s), and not a keyword.
    /// </summary>
    /// <param name="identifier">The name to check.</param>
    /// <param name="what">What it names, for the message: "the member Demo.Person.long".</param>
    /// <exception cref="MarshallingException"><see cref="MarshallingError.UnsupportedType"/>: the notation cannot carry it.</exception>
    public static void CheckIdentifier(string identifier, string what)
    {
        if (Keywords.Contains(identifier))
        {
            throw new MarshallingException(MarshallingError.UnsupportedType,
                $"{what} cannot be described: '{identifier}' is a keyword of the CDR type notation, which cannot carry a keyword as a name.");
        }

        var valid = identifier.Length > 0 && (char.IsLetter(identifier[0]) || identifier[0] == '_');
        for (var i = 1; valid && i < identifier.Length; i++)
        {
            valid = char.IsLetterOrDigit(identifier[i]) || identifier[i] == '_';
        }

        if (!valid)
        {
            throw new MarshallingException(MarshallingError.UnsupportedType,
                $"{what} cannot be described: '{identifier}' is not an identifier of the CDR type notation (a letter or '_', then letters, digits and '_').");
        }
    }
}
