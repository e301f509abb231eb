using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

internal sealed class BooleanCodec : CdrCodec<bool>
{
    public override bool IsFlat => true;

    public override void Write(ref CdrWriter writer, bool value) => writer.WriteBoolean(value);

    public override bool Read(ref CdrReader reader) => reader.ReadBoolean();
}

internal sealed class OctetCodec : CdrCodec<byte>
{
    public override bool IsFlat => true;

    public override void Write(ref CdrWriter writer, byte value) => writer.WriteOctet(value);

    public override byte Read(ref CdrReader reader) => reader.ReadOctet();
}

internal sealed class ShortCodec : CdrCodec<short>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 2;

    public override void Write(ref CdrWriter writer, short value) => writer.WriteShort(value);

    public override short Read(ref CdrReader reader) => reader.ReadShort();
}

internal sealed class UShortCodec : CdrCodec<ushort>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 2;

    public override void Write(ref CdrWriter writer, ushort value) => writer.WriteUShort(value);

    public override ushort Read(ref CdrReader reader) => reader.ReadUShort();
}

internal sealed class LongCodec : CdrCodec<int>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 4;

    public override void Write(ref CdrWriter writer, int value) => writer.WriteLong(value);

    public override int Read(ref CdrReader reader) => reader.ReadLong();
}

internal sealed class ULongCodec : CdrCodec<uint>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 4;

    public override void Write(ref CdrWriter writer, uint value) => writer.WriteULong(value);

    public override uint Read(ref CdrReader reader) => reader.ReadULong();
}

internal sealed class LongLongCodec : CdrCodec<long>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 8;

    public override void Write(ref CdrWriter writer, long value) => writer.WriteLongLong(value);

    public override long Read(ref CdrReader reader) => reader.ReadLongLong();
}

internal sealed class ULongLongCodec : CdrCodec<ulong>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 8;

    public override void Write(ref CdrWriter writer, ulong value) => writer.WriteULongLong(value);

    public override ulong Read(ref CdrReader reader) => reader.ReadULongLong();
}

internal sealed class FloatCodec : CdrCodec<float>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 4;

    public override void Write(ref CdrWriter writer, float value) => writer.WriteFloat(value);

    public override float Read(ref CdrReader reader) => reader.ReadFloat();
}

internal sealed class DoubleCodec : CdrCodec<double>
{
    public override bool IsFlat => true;

    public override int MinimumSize => 8;

    public override void Write(ref CdrWriter writer, double value) => writer.WriteDouble(value);

    public override double Read(ref CdrReader reader) => reader.ReadDouble();
}

internal sealed class CharCodec(bool narrow) : CdrCodec<char>
{
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
internal sealed class EnumCodec<TEnum> : CdrCodec<TEnum>
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
}
