using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ocean.Marshalling;
using Ocean.Marshalling.Cdr;

namespace Ocean.Tool.Cdr;

/// <summary>JSON that does not fit the type (<see cref="CdrJson.Encode"/>): <see cref="Path"/> says where, as <c>$.kids[0].v</c>.</summary>
internal sealed class CdrJsonException(string path, string message) : Exception($"{path}: {message}")
{
    /// <summary>Where in the JSON value: <c>$</c>, <c>$.name</c>, <c>$.kids[2]</c>.</summary>
    public string Path { get; } = path;
}

/// <summary>
/// CDR to JSON and back against a <see cref="CdrSpecType"/>, with Ocean.Marshalling's <see cref="CdrReader"/> and
/// <see cref="CdrWriter"/> (alignment, byte order and the reader's length checks are theirs).
/// </summary>
/// <remarks>
/// The mapping: integers are JSON numbers (range-checked on encode); <c>float</c>/<c>double</c> numbers, with NaN and
/// the infinities as the strings "NaN", "Infinity", "-Infinity"; <c>boolean</c> true/false; <c>char</c>/<c>wchar</c> a
/// one-character string; <c>string</c>/<c>wstring</c> a string; sequences and fixed arrays arrays (a fixed array has
/// exactly its N elements); a struct an object with its members in order (on encode every member is required and
/// no other is accepted); an enum its identifier; a union <c>{"discriminator": label, "branch": value}</c>, or only
/// the discriminator when its value selects no branch.
/// </remarks>
internal static class CdrJson
{
    /// <summary>
    /// Options for the <see cref="Utf8JsonWriter"/> that <see cref="Decode"/> writes to: text as it is (no \u escapes
    /// for non-ASCII), and a depth that holds what a <see cref="CdrSpecType"/> can nest (structs and unions up to the
    /// reader's <see cref="CdrReader.MaxDepth"/>, each with up to <see cref="CdrTypeSpec.MaxSequenceNesting"/> sequences).
    /// </summary>
    public static JsonWriterOptions WriterOptions(bool indented) => new()
    {
        Indented = indented,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 8192,
    };

    /// <summary>
    /// Reads one value of <paramref name="type"/> from <paramref name="reader"/> and writes it to <paramref name="json"/>.
    /// Bytes after the value are left in the reader (check <see cref="CdrReader.Remaining"/> to refuse them).
    /// </summary>
    /// <exception cref="MarshallingException">
    /// The bytes do not hold such a value (truncated, a bad boolean, an enum ordinal out of range, a bad wchar or
    /// string, a sequence count beyond the remaining bytes, structs and unions nested deeper than the reader's
    /// <see cref="CdrReader.MaxDepth"/>, more than <see cref="CdrReader.MaxObjects"/> elements that take no bytes, such
    /// as empty structs): the message starts with the JSON path and the byte (counted from where this
    /// call started reading), as <c>$.kids[0].v at byte 12: ...</c>.
    /// </exception>
    public static void Decode(CdrSpecType type, ref CdrReader reader, Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(json);
        var state = new DecodeState(reader.Position, reader.MaxDepth);
        try
        {
            DecodeValue(type, ref reader, json, state);
        }
        catch (MarshallingException ex)
        {
            throw new MarshallingException(ex.Error, $"{state.Path} at byte {state.At - state.Start}: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <paramref name="value"/> as a <paramref name="type"/> with <paramref name="writer"/> (call its <c>Flush</c> after).</summary>
    /// <exception cref="CdrJsonException">
    /// The JSON does not fit the type: a wrong kind of value, an integer out of range, a character a <c>char</c> or
    /// <c>string</c> cannot carry, a missing or unknown member, a fixed array of another length, an unknown enum
    /// identifier or union discriminator, nesting deeper than the writer's <see cref="CdrWriter.MaxDepth"/>. Bytes of
    /// the value before the mistake may already be in the writer: discard them.
    /// </exception>
    public static void Encode(CdrSpecType type, JsonElement value, ref CdrWriter writer)
    {
        ArgumentNullException.ThrowIfNull(type);
        var path = new CdrPath();
        try
        {
            EncodeValue(type, value, ref writer, path, 0);
        }
        catch (MarshallingException ex)
        {
            throw new CdrJsonException(path.ToString(), ex.Message);
        }
    }

    /// <summary>Reads an enum's ordinal, refuses one out of range, writes its identifier; returns the ordinal.</summary>
    private static uint DecodeEnum(CdrEnumType type, ref CdrReader reader, Utf8JsonWriter json)
    {
        var ordinal = reader.ReadULong();
        if (ordinal >= (uint)type.Values.Count)
        {
            throw new MarshallingException(
                MarshallingError.Malformed,
                $"Enum {type.Name} has {type.Values.Count} values; the ordinal {ordinal} is out of range.");
        }

        json.WriteStringValue(type.Values[(int)ordinal]);
        return ordinal;
    }

    /// <summary>
    /// The 64-bit key of an integer label or discriminator value of <paramref name="kind"/>, given as a sign and a
    /// magnitude; false when it is out of the type's range. Signed values are kept as they are, unsigned ones as their bits.
    /// </summary>
    internal static bool TryIntegerKey(CdrKind kind, bool negative, ulong magnitude, out long key)
    {
        key = 0;
        if (negative && magnitude == 0)
        {
            negative = false;
        }

        switch (kind)
        {
            case CdrKind.Octet or CdrKind.UShort or CdrKind.ULong or CdrKind.ULongLong:
                var max = kind switch { CdrKind.Octet => (ulong)byte.MaxValue, CdrKind.UShort => ushort.MaxValue, CdrKind.ULong => uint.MaxValue, _ => ulong.MaxValue };
                if (negative || magnitude > max)
                {
                    return false;
                }

                key = unchecked((long)magnitude);
                return true;
            default:
                var limit = kind switch { CdrKind.Short => (ulong)short.MaxValue, CdrKind.Long => (ulong)int.MaxValue, _ => (ulong)long.MaxValue };
                if (magnitude > limit + (negative ? 1UL : 0UL))
                {
                    return false;
                }

                key = negative ? unchecked(-(long)magnitude) : (long)magnitude;
                return true;
        }
    }

    private sealed class DecodeState(long start, int maxDepth)
    {
        public readonly CdrPath Path = new();
        public readonly long Start = start;
        public readonly int MaxDepth = maxDepth;
        public long At = start;
        public int Depth;
        public long Weightless;
    }

    private static void DecodeValue(CdrSpecType type, ref CdrReader reader, Utf8JsonWriter json, DecodeState state)
    {
        // Where this value's first primitive starts, after its padding (a struct's members set it again).
        state.At = AlignUp(reader.Position, type.Kind);
        switch (type.Kind)
        {
            case CdrKind.Octet: json.WriteNumberValue(reader.ReadOctet()); break;
            case CdrKind.Boolean: json.WriteBooleanValue(reader.ReadBoolean()); break;
            case CdrKind.Char: WriteText(json, reader.ReadChar().ToString()); break;
            case CdrKind.WChar: WriteText(json, reader.ReadWChar().ToString()); break;
            case CdrKind.Short: json.WriteNumberValue(reader.ReadShort()); break;
            case CdrKind.UShort: json.WriteNumberValue(reader.ReadUShort()); break;
            case CdrKind.Long: json.WriteNumberValue(reader.ReadLong()); break;
            case CdrKind.ULong: json.WriteNumberValue(reader.ReadULong()); break;
            case CdrKind.LongLong: json.WriteNumberValue(reader.ReadLongLong()); break;
            case CdrKind.ULongLong: json.WriteNumberValue(reader.ReadULongLong()); break;
            case CdrKind.Float: WriteFloat(json, reader.ReadFloat()); break;
            case CdrKind.Double: WriteDouble(json, reader.ReadDouble()); break;
            case CdrKind.String: WriteText(json, reader.ReadString()); break;
            case CdrKind.WString: WriteText(json, reader.ReadWString()); break;
            case CdrKind.Sequence:
            {
                var element = ((CdrSequenceType)type).Element;

                // The count is checked against the remaining bytes (at least one per element) before anything is written.
                var count = reader.ReadSequenceLength(element.MinimumSize);
                DecodeElements(element, count, ref reader, json, state);
                break;
            }

            case CdrKind.Array:
            {
                var array = (CdrArrayType)type;
                if ((long)array.Length * Math.Max(1, array.Element.MinimumSize) > reader.Remaining)
                {
                    throw new MarshallingException(
                        MarshallingError.Truncated,
                        $"A fixed array of {array.Length} {array.Element.Name} needs more than the {reader.Remaining} remaining bytes.");
                }

                DecodeElements(array.Element, array.Length, ref reader, json, state);
                break;
            }

            case CdrKind.Struct:
            {
                Enter(state);
                json.WriteStartObject();
                foreach (var member in ((CdrStructType)type).Members)
                {
                    json.WritePropertyName(member.Name);
                    state.Path.Push(member.Name);
                    DecodeValue(member.Type, ref reader, json, state);
                    state.Path.Pop();
                }

                json.WriteEndObject();
                state.Depth--;
                break;
            }

            case CdrKind.Enum:
                DecodeEnum((CdrEnumType)type, ref reader, json);
                break;

            case CdrKind.Union:
            {
                var union = (CdrUnionType)type;
                Enter(state);
                json.WriteStartObject();
                json.WritePropertyName("discriminator");
                state.Path.Push("discriminator");
                var key = ReadDiscriminator(union.Discriminator, ref reader, json, state);
                state.Path.Pop();
                if (union.Select(key) is { } branch)
                {
                    json.WritePropertyName(branch.Name);
                    state.Path.Push(branch.Name);
                    DecodeValue(branch.Type, ref reader, json, state);
                    state.Path.Pop();
                }

                json.WriteEndObject();
                state.Depth--;
                break;
            }

            default:
                throw new InvalidOperationException("Unknown CDR kind " + type.Kind);
        }
    }

    private static long AlignUp(long position, CdrKind kind)
    {
        var alignment = kind switch
        {
            CdrKind.Short or CdrKind.UShort => 2,
            CdrKind.Long or CdrKind.ULong or CdrKind.Float or CdrKind.String or CdrKind.WString or CdrKind.Sequence or CdrKind.Enum => 4,
            CdrKind.LongLong or CdrKind.ULongLong or CdrKind.Double => 8,
            _ => 1,
        };
        return (position + alignment - 1) & -alignment;
    }

    private static void DecodeElements(CdrSpecType element, int count, ref CdrReader reader, Utf8JsonWriter json, DecodeState state)
    {
        // Elements that take no bytes (empty structs) are not bounded by the input: they count towards MaxObjects,
        // so sequences of sequences of them cannot make the work (and the JSON) grow with the square of the input.
        if (element.MinimumSize == 0 && (state.Weightless += count) > reader.MaxObjects)
        {
            throw new MarshallingException(
                MarshallingError.LimitExceeded,
                $"The input holds more than the limit of {reader.MaxObjects} elements that take no bytes ({element.Name}).");
        }

        json.WriteStartArray();
        state.Path.Push(0);
        for (var i = 0; i < count; i++)
        {
            state.Path.SetIndex(i);
            DecodeValue(element, ref reader, json, state);
        }

        state.Path.Pop();
        json.WriteEndArray();
    }

    private static void Enter(DecodeState state)
    {
        if (++state.Depth > state.MaxDepth)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"Structs and unions nest deeper than the limit of {state.MaxDepth}.");
        }

        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, "Structs and unions nest too deeply for the stack.");
        }
    }

    /// <summary>Reads a discriminator, writes it as JSON, and returns its key (as <see cref="CdrUnionType"/> keeps labels).</summary>
    private static long ReadDiscriminator(CdrSpecType type, ref CdrReader reader, Utf8JsonWriter json, DecodeState state)
    {
        state.At = AlignUp(reader.Position, type.Kind);
        switch (type.Kind)
        {
            case CdrKind.Boolean:
                var flag = reader.ReadBoolean();
                json.WriteBooleanValue(flag);
                return flag ? 1 : 0;
            case CdrKind.Char:
                var c = reader.ReadChar();
                WriteText(json, c.ToString());
                return c;
            case CdrKind.WChar:
                var w = reader.ReadWChar();
                WriteText(json, w.ToString());
                return w;
            case CdrKind.Enum:
                return DecodeEnum((CdrEnumType)type, ref reader, json);
            case CdrKind.Octet: var o = reader.ReadOctet(); json.WriteNumberValue(o); return o;
            case CdrKind.Short: var s = reader.ReadShort(); json.WriteNumberValue(s); return s;
            case CdrKind.UShort: var us = reader.ReadUShort(); json.WriteNumberValue(us); return us;
            case CdrKind.Long: var l = reader.ReadLong(); json.WriteNumberValue(l); return l;
            case CdrKind.ULong: var ul = reader.ReadULong(); json.WriteNumberValue(ul); return ul;
            case CdrKind.LongLong: var ll = reader.ReadLongLong(); json.WriteNumberValue(ll); return ll;
            case CdrKind.ULongLong: var ull = reader.ReadULongLong(); json.WriteNumberValue(ull); return unchecked((long)ull);
            default:
                throw new InvalidOperationException("Not a discriminator type: " + type.Name);
        }
    }

    private static void WriteFloat(Utf8JsonWriter json, float value)
    {
        if (float.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void WriteDouble(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    /// <summary>
    /// Writes a string as it is: only '"', '\\' and control characters escaped (the BCL's encoders escape characters
    /// outside the BMP, and refuse the unpaired surrogates a wchar or wstring can carry: those are written as \u escapes).
    /// </summary>
    private static void WriteText(Utf8JsonWriter json, string text)
    {
        var escaped = new StringBuilder(text.Length + 2).Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"' or '\\': escaped.Append('\\').Append(c); break;
                case '\n': escaped.Append("\\n"); break;
                case '\r': escaped.Append("\\r"); break;
                case '\t': escaped.Append("\\t"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        escaped.Append(c).Append(text[++i]);
                    }
                    else if (c < ' ' || char.IsSurrogate(c))
                    {
                        escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        escaped.Append(c);
                    }

                    break;
            }
        }

        json.WriteRawValue(escaped.Append('"').ToString(), skipInputValidation: true);
    }

    private static void EncodeValue(CdrSpecType type, JsonElement value, ref CdrWriter writer, CdrPath path, int depth)
    {
        switch (type.Kind)
        {
            case CdrKind.Octet: writer.WriteOctet((byte)GetInteger(type, value, path)); break;
            case CdrKind.Short: writer.WriteShort((short)GetInteger(type, value, path)); break;
            case CdrKind.UShort: writer.WriteUShort((ushort)GetInteger(type, value, path)); break;
            case CdrKind.Long: writer.WriteLong((int)GetInteger(type, value, path)); break;
            case CdrKind.ULong: writer.WriteULong((uint)GetInteger(type, value, path)); break;
            case CdrKind.LongLong: writer.WriteLongLong(GetInteger(type, value, path)); break;
            case CdrKind.ULongLong: writer.WriteULongLong(unchecked((ulong)GetInteger(type, value, path))); break;
            case CdrKind.Boolean:
                writer.WriteBoolean(value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Mismatch(path, "true or false (boolean)", value),
                });
                break;
            case CdrKind.Float:
                var single = GetReal(type, value, path);
                if (double.IsFinite(single) && Math.Abs(single) > float.MaxValue)
                {
                    throw new CdrJsonException(path.ToString(), $"{value.GetRawText()} is out of range for float");
                }

                writer.WriteFloat((float)single);
                break;
            case CdrKind.Double: writer.WriteDouble(GetReal(type, value, path)); break;
            case CdrKind.Char:
            {
                var c = GetCharacter(type, value, path);
                if (c > '\u00FF')
                {
                    throw new CdrJsonException(path.ToString(), $"'{c}' (U+{(int)c:X4}) is not in ISO-8859-1, so a char cannot carry it (wchar can)");
                }

                writer.WriteChar(c);
                break;
            }

            case CdrKind.WChar: writer.WriteWChar(GetCharacter(type, value, path)); break;
            case CdrKind.String:
            {
                var text = GetString(type, value, path);
                for (var i = 0; i < text.Length; i++)
                {
                    if (text[i] is '\0' or > '\u00FF')
                    {
                        throw new CdrJsonException(
                            path.ToString(),
                            text[i] == '\0'
                                ? $"a string cannot hold NUL (character {i})"
                                : $"'{text[i]}' (U+{(int)text[i]:X4}, character {i}) is not in ISO-8859-1, so a string cannot carry it (wstring can)");
                    }
                }

                writer.WriteString(text);
                break;
            }

            case CdrKind.WString: writer.WriteWString(GetString(type, value, path)); break;
            case CdrKind.Sequence:
            {
                if (value.ValueKind != JsonValueKind.Array)
                {
                    throw Mismatch(path, $"an array ({type.Name})", value);
                }

                writer.WriteULong((uint)value.GetArrayLength());
                EncodeElements(((CdrSequenceType)type).Element, value, ref writer, path, depth);
                break;
            }

            case CdrKind.Array:
            {
                var array = (CdrArrayType)type;
                if (value.ValueKind != JsonValueKind.Array)
                {
                    throw Mismatch(path, $"an array ({type.Name})", value);
                }

                if (value.GetArrayLength() != array.Length)
                {
                    throw new CdrJsonException(path.ToString(), $"{type.Name} has exactly {array.Length} elements, not {value.GetArrayLength()}");
                }

                EncodeElements(array.Element, value, ref writer, path, depth);
                break;
            }

            case CdrKind.Struct:
            {
                var structType = (CdrStructType)type;
                EnterEncode(type, ref writer, path, depth);
                if (value.ValueKind != JsonValueKind.Object)
                {
                    throw Mismatch(path, $"an object (struct {type.Name})", value);
                }

                CheckMembers(value, path, $"struct {type.Name}", name => structType.Members.Exists(m => m.Name == name));
                foreach (var member in structType.Members)
                {
                    if (!value.TryGetProperty(member.Name, out var memberValue))
                    {
                        throw new CdrJsonException(path.ToString(), $"struct {type.Name} needs member '{member.Name}' ({member.Type.Name})");
                    }

                    path.Push(member.Name);
                    EncodeValue(member.Type, memberValue, ref writer, path, depth + 1);
                    path.Pop();
                }

                break;
            }

            case CdrKind.Enum:
            {
                var enumType = (CdrEnumType)type;
                writer.WriteULong((uint)GetEnumOrdinal(enumType, value, path));
                break;
            }

            case CdrKind.Union:
            {
                var union = (CdrUnionType)type;
                EnterEncode(type, ref writer, path, depth);
                if (value.ValueKind != JsonValueKind.Object)
                {
                    throw Mismatch(path, $"an object (union {type.Name}: {{\"discriminator\": ..., \"branch\": ...}})", value);
                }

                if (!value.TryGetProperty("discriminator", out var discriminator))
                {
                    throw new CdrJsonException(path.ToString(), $"union {type.Name} needs member 'discriminator' ({union.Discriminator.Name})");
                }

                path.Push("discriminator");
                var key = GetDiscriminatorKey(union.Discriminator, discriminator, path);
                EncodeValue(union.Discriminator, discriminator, ref writer, path, depth + 1);
                path.Pop();

                var branch = union.Select(key);
                CheckMembers(
                    value,
                    path,
                    branch is null ? $"union {type.Name} (discriminator {discriminator.GetRawText()} selects no branch)" : $"union {type.Name} (discriminator {discriminator.GetRawText()} selects '{branch.Name}')",
                    name => name == "discriminator" || name == branch?.Name);
                if (branch is not null)
                {
                    if (!value.TryGetProperty(branch.Name, out var branchValue))
                    {
                        throw new CdrJsonException(path.ToString(), $"union {type.Name} with discriminator {discriminator.GetRawText()} needs member '{branch.Name}' ({branch.Type.Name})");
                    }

                    path.Push(branch.Name);
                    EncodeValue(branch.Type, branchValue, ref writer, path, depth + 1);
                    path.Pop();
                }

                break;
            }

            default:
                throw new InvalidOperationException("Unknown CDR kind " + type.Kind);
        }
    }

    private static void EncodeElements(CdrSpecType element, JsonElement array, ref CdrWriter writer, CdrPath path, int depth)
    {
        path.Push(0);
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            path.SetIndex(i++);
            EncodeValue(element, item, ref writer, path, depth);
        }

        path.Pop();
    }

    private static void EnterEncode(CdrSpecType type, ref CdrWriter writer, CdrPath path, int depth)
    {
        if (depth >= writer.MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new CdrJsonException(path.ToString(), $"{type.Name}: structs and unions nest deeper than the limit of {writer.MaxDepth}");
        }
    }

    /// <summary>Refuses a member the type does not have, and a member given twice.</summary>
    private static void CheckMembers(JsonElement value, CdrPath path, string what, Func<string, bool> known)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw new CdrJsonException(path.ToString(), $"member '{property.Name}' is given twice");
            }

            if (!known(property.Name))
            {
                throw new CdrJsonException(path.ToString(), $"{what} has no member '{property.Name}'");
            }
        }
    }

    private static long GetInteger(CdrSpecType type, JsonElement value, CdrPath path)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw Mismatch(path, $"an integer ({type.Name})", value);
        }

        if (!value.TryGetDecimal(out var number))
        {
            // Beyond decimal's range (1e30): no CDR integer holds it.
            throw new CdrJsonException(path.ToString(), $"{value.GetRawText()} is out of range for {type.Name}");
        }

        if (number != decimal.Truncate(number))
        {
            throw new CdrJsonException(path.ToString(), $"{value.GetRawText()} is not an integer ({type.Name})");
        }

        var negative = number < 0;
        var magnitude = Math.Abs(number);
        if (magnitude > ulong.MaxValue || !TryIntegerKey(type.Kind, negative, (ulong)magnitude, out var key))
        {
            throw new CdrJsonException(path.ToString(), $"{value.GetRawText()} is out of range for {type.Name}");
        }

        return key;
    }

    private static double GetReal(CdrSpecType type, JsonElement value, CdrPath path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString() switch
            {
                "NaN" => double.NaN,
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                _ => throw Mismatch(path, $"a number or \"NaN\", \"Infinity\", \"-Infinity\" ({type.Name})", value),
            };
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw Mismatch(path, $"a number ({type.Name})", value);
        }

        return value.TryGetDouble(out var number) && double.IsFinite(number)
            ? number
            : throw new CdrJsonException(path.ToString(), $"{value.GetRawText()} is out of range for {type.Name}");
    }

    private static char GetCharacter(CdrSpecType type, JsonElement value, CdrPath path)
    {
        var text = GetString(type, value, path);
        if (text.Length != 1)
        {
            throw new CdrJsonException(
                path.ToString(),
                text.Length == 2 && char.IsSurrogatePair(text[0], text[1])
                    ? $"\"{text}\" is two UTF-16 units; a {type.Name} holds one"
                    : $"a {type.Name} is a string of one character, not {text.Length}");
        }

        return text[0];
    }

    private static string GetString(CdrSpecType type, JsonElement value, CdrPath path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Mismatch(path, $"a string ({type.Name})", value);
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new CdrJsonException(path.ToString(), "the string is not valid UTF-16 (an unpaired surrogate escape)");
        }
    }

    private static int GetEnumOrdinal(CdrEnumType type, JsonElement value, CdrPath path)
    {
        var identifier = GetString(type, value, path);
        var ordinal = type.IndexOf(identifier);
        return ordinal >= 0
            ? ordinal
            : throw new CdrJsonException(path.ToString(), $"\"{identifier}\" is not a value of enum {type.Name} ({string.Join(", ", type.Values)})");
    }

    /// <summary>The key of a discriminator given in JSON (checked as <see cref="EncodeValue"/> then writes it).</summary>
    private static long GetDiscriminatorKey(CdrSpecType type, JsonElement value, CdrPath path) => type.Kind switch
    {
        CdrKind.Boolean => value.ValueKind switch
        {
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            _ => throw Mismatch(path, "true or false (boolean)", value),
        },
        CdrKind.Char or CdrKind.WChar => GetCharacter(type, value, path),
        CdrKind.Enum => GetEnumOrdinal((CdrEnumType)type, value, path),
        _ => GetInteger(type, value, path),
    };

    private static CdrJsonException Mismatch(CdrPath path, string expected, JsonElement value)
    {
        var found = value.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            JsonValueKind.Null => "null",
            _ => "nothing",
        };
        return new CdrJsonException(path.ToString(), $"expected {expected}, found {found}");
    }
}

/// <summary>A JSON path being walked (<c>$.kids[0].v</c>): members and indices pushed and popped, built as text only for a message.</summary>
internal sealed class CdrPath
{
    private readonly List<(string? Member, int Index)> _segments = [];

    public void Push(string member) => _segments.Add((member, 0));

    public void Push(int index) => _segments.Add((null, index));

    public void SetIndex(int index) => _segments[^1] = (null, index);

    public void Pop() => _segments.RemoveAt(_segments.Count - 1);

    public override string ToString()
    {
        var text = new StringBuilder("$");
        foreach (var (member, index) in _segments)
        {
            if (member is null)
            {
                text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                text.Append('.').Append(member);
            }
        }

        return text.ToString();
    }
}
