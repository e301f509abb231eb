using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

internal sealed class BooleanCodec : CdrCodec<bool>
{
    public override string Describe(CdrTypeDescriber describer) => "boolean";

    public override bool IsFlat => true;

    public override void Write(ref CdrWriter writer, bool value) => writer.WriteBoolean(value);

    public override bool Read(ref CdrReader reader) => reader.ReadBoolean();
}

internal sealed class OctetCodec : CdrCodec<byte>
{
    public override string Describe(CdrTypeDescriber describer) => "octet";

    public override bool IsFlat => true;

    public override void Write(ref CdrWriter writer, byte value) => writer.WriteOctet(value);

    public override byte Read(ref CdrReader reader) => reader.ReadOctet();
}

internal sealed class ShortCodec : CdrCodec<short>
{
    public override string Describe(CdrTypeDescriber describer) => "short";

    public override bool IsFlat => true;

    public override int MinimumSize => 2;

    public override void Write(ref CdrWriter writer, short value) => writer.WriteShort(value);

    public override short Read(ref CdrReader reader) => reader.ReadShort();
}

internal sealed class UShortCodec : CdrCodec<ushort>
{
    public override string Describe(CdrTypeDescriber describer) => "unsigned short";

    public override bool IsFlat => true;

    public override int MinimumSize => 2;

    public override void Write(ref CdrWriter writer, ushort value) => writer.WriteUShort(value);

    public override ushort Read(ref CdrReader reader) => reader.ReadUShort();
}

internal sealed class LongCodec : CdrCodec<int>
{
    public override string Describe(CdrTypeDescriber describer) => "long";

    public override bool IsFlat => true;

    public override int MinimumSize => 4;

    public override void Write(ref CdrWriter writer, int value) => writer.WriteLong(value);

    public override int Read(ref CdrReader reader) => reader.ReadLong();
}

internal sealed class ULongCodec : CdrCodec<uint>
{
    public override string Describe(CdrTypeDescriber describer) => "unsigned long";

    public override bool IsFlat => true;

    public override int MinimumSize => 4;

    public override void Write(ref CdrWriter writer, uint value) => writer.WriteULong(value);

    public override uint Read(ref CdrReader reader) => reader.ReadULong();
}

internal sealed class LongLongCodec : CdrCodec<long>
{
    public override string Describe(CdrTypeDescriber describer) => "long long";

    public override bool IsFlat => true;

    public override int MinimumSize => 8;

    public override void Write(ref CdrWriter writer, long value) => writer.WriteLongLong(value);

    public override long Read(ref CdrReader reader) => reader.ReadLongLong();
}

internal sealed class ULongLongCodec : CdrCodec<ulong>
{
    public override string Describe(CdrTypeDescriber describer) => "unsigned long long";

    public override bool IsFlat => true;

    public override int MinimumSize => 8;

    public override void Write(ref CdrWriter writer, ulong value) => writer.WriteULongLong(value);

    public override ulong Read(ref CdrReader reader) => reader.ReadULongLong();
}

internal sealed class FloatCodec : CdrCodec<float>
{
    public override string Describe(CdrTypeDescriber describer) => "float";

    public override bool IsFlat => true;

    public override int MinimumSize => 4;

    public override void Write(ref CdrWriter writer, float value) => writer.WriteFloat(value);

    public override float Read(ref CdrReader reader) => reader.ReadFloat();
}

internal sealed class DoubleCodec : CdrCodec<double>
{
    public override string Describe(CdrTypeDescriber describer) => "double";

    public override bool IsFlat => true;

    public override int MinimumSize => 8;

    public override void Write(ref CdrWriter writer, double value) => writer.WriteDouble(value);

    public override double Read(ref CdrReader reader) => reader.ReadDouble();
}

internal sealed class CharCodec(bool narrow) : CdrCodec<char>
{
    public override string Describe(CdrTypeDescriber describer) => narrow ? "char" : "wchar";

    public override bool IsFlat => true;

    public override int MinimumSize => narrow ? 1 : 3;

    public override void Write(ref CdrWriter writer, char value)
    {
        if (narrow)
        {
            writer.WriteChar(value);
        }
        else
        {
            writer.WriteWChar(value);
        }
    }

    public override char Read(ref CdrReader reader) => narrow ? reader.ReadChar() : reader.ReadWChar();
}

internal sealed class StringCodec(bool wide, bool nullAsEmpty) : CdrCodec<string>
{
    public override string Describe(CdrTypeDescriber describer) => wide ? "wstring" : "string";

    public override bool IsFlat => true;

    public override int MinimumSize => wide ? 4 : 5;

    public override void Write(ref CdrWriter writer, string value)
    {
        if (value is null)
        {
            if (!nullAsEmpty)
            {
                throw new MarshallingException(MarshallingError.UnrepresentableValue, "CDR has no null string; mark the member [CdrNullAsEmpty] to send null as an empty string.");
            }

            value = string.Empty;
        }

        if (wide)
        {
            writer.WriteWString(value);
        }
        else
        {
            writer.WriteString(value);
        }
    }

    public override string Read(ref CdrReader reader) => wide ? reader.ReadWString() : reader.ReadString();
}

/// <summary>An enum as an unsigned long ordinal: the position of the value among the enum's values in ascending order.</summary>
internal sealed class EnumCodec<TEnum> : CdrCodec<TEnum>, IEnumCodec
    where TEnum : struct, Enum
{
    private readonly TEnum[] _values = Enum.GetValues<TEnum>().Distinct().Order().ToArray();
    private readonly Dictionary<TEnum, uint> _ordinals;

    public EnumCodec()
    {
        _ordinals = new Dictionary<TEnum, uint>(_values.Length);
        for (var i = 0; i < _values.Length; i++)
        {
            _ordinals[_values[i]] = (uint)i;
        }
    }

    public override int MinimumSize => 4;

    public override bool IsFlat => true;

    public override void Write(ref CdrWriter writer, TEnum value)
    {
        if (!_ordinals.TryGetValue(value, out var ordinal))
        {
            throw new MarshallingException(MarshallingError.UnrepresentableValue, $"{value} is not a declared value of {typeof(TEnum).Name}; a CDR enum carries only those.");
        }

        writer.WriteULong(ordinal);
    }

    public override TEnum Read(ref CdrReader reader)
    {
        var ordinal = reader.ReadULong();
        if (ordinal >= (uint)_values.Length)
        {
            throw new MarshallingException(MarshallingError.Malformed, $"Enum ordinal {ordinal} is out of range for {typeof(TEnum).Name} ({_values.Length} values).");
        }

        return _values[ordinal];
    }

    /// <summary>The values in ordinal order, boxed (for union labels).</summary>
    public IReadOnlyList<object> Values => [.. _values.Select(v => (object)v)];

    /// <summary>
    /// One identifier per ordinal: the value's name, or when several names share the value (aliases), the first
    /// <see cref="Enum.GetNames{TEnum}"/> lists for it.
    /// </summary>
    public IReadOnlyList<string> Identifiers
    {
        get
        {
            var names = Enum.GetNames<TEnum>();
            var values = Enum.GetValues<TEnum>();
            return [.. _values.Select(v => names[Array.IndexOf(values, v)])];
        }
    }

    public override string Describe(CdrTypeDescriber describer)
    {
        var name = CdrTypeDescriber.NameOf(typeof(TEnum));
        if (describer.Enter(typeof(TEnum)))
        {
            if (_values.Length == 0)
            {
                throw new MarshallingException(MarshallingError.UnsupportedType, $"{typeof(TEnum)} has no values: a CDR enum needs at least one, so it has no description.");
            }

            var identifiers = Identifiers;
            foreach (var identifier in identifiers)
            {
                CdrNotation.CheckIdentifier(identifier, $"The enum identifier {typeof(TEnum)}.{identifier}");
            }

            describer.Define(typeof(TEnum), name, $"enum {name} {{ {string.Join(", ", identifiers)} }}");
        }

        return name;
    }
}

/// <summary>An enum codec's values and identifiers in ordinal order, whatever its type argument.</summary>
internal interface IEnumCodec
{
    IReadOnlyList<object> Values { get; }

    IReadOnlyList<string> Identifiers { get; }
}
