using System.Runtime.CompilerServices;

namespace Ocean.Marshalling.Internal;

/// <summary>The untyped face of an object-graph codec, for the version-skew path that works with boxed values.</summary>
internal abstract class GraphCodec(byte[] signature)
{
    /// <summary>The type's signature on the wire (see <see cref="GraphWire"/>).</summary>
    public byte[] Signature { get; } = signature;

    /// <summary>The fewest bytes a value takes on the wire, so a claimed count is checked before allocating.</summary>
    public int MinimumSize => GraphWire.MinimumSize(Signature[0]);

    public abstract object? ReadBoxed(GraphReader reader);

    public abstract void WriteBoxed(GraphWriter writer, object? value);
}

/// <summary>Writes and reads one C# type in the object-graph format. Built once per type and marshaller, then shared.</summary>
internal abstract class GraphCodec<T>(byte[] signature) : GraphCodec(signature)
{
    public abstract void Write(GraphWriter writer, T value);

    public abstract T Read(GraphReader reader);

    public sealed override object? ReadBoxed(GraphReader reader) => Read(reader);

    public sealed override void WriteBoxed(GraphWriter writer, object? value) => Write(writer, (T)value!);
}

/// <summary>A primitive: each branch is decided when the JIT compiles the closed type.</summary>
internal sealed class GraphPrimitiveCodec<T>(byte[] signature) : GraphCodec<T>(signature)
{
    public override void Write(GraphWriter writer, T value) => WriteValue(writer, value);

    public override T Read(GraphReader reader) => ReadValue(reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteValue(GraphWriter writer, T value)
    {
        if (typeof(T) == typeof(bool))
        {
            writer.WriteBool(Unsafe.As<T, bool>(ref value));
        }
        else if (typeof(T) == typeof(byte))
        {
            writer.WriteUInt8(Unsafe.As<T, byte>(ref value));
        }
        else if (typeof(T) == typeof(sbyte))
        {
            writer.WriteInt8(Unsafe.As<T, sbyte>(ref value));
        }
        else if (typeof(T) == typeof(short))
        {
            writer.WriteInt16(Unsafe.As<T, short>(ref value));
        }
        else if (typeof(T) == typeof(ushort))
        {
            writer.WriteUInt16(Unsafe.As<T, ushort>(ref value));
        }
        else if (typeof(T) == typeof(int))
        {
            writer.WriteInt32(Unsafe.As<T, int>(ref value));
        }
        else if (typeof(T) == typeof(uint))
        {
            writer.WriteUInt32(Unsafe.As<T, uint>(ref value));
        }
        else if (typeof(T) == typeof(long))
        {
            writer.WriteInt64(Unsafe.As<T, long>(ref value));
        }
        else if (typeof(T) == typeof(ulong))
        {
            writer.WriteUInt64(Unsafe.As<T, ulong>(ref value));
        }
        else if (typeof(T) == typeof(float))
        {
            writer.WriteSingle(Unsafe.As<T, float>(ref value));
        }
        else if (typeof(T) == typeof(double))
        {
            writer.WriteDouble(Unsafe.As<T, double>(ref value));
        }
        else if (typeof(T) == typeof(decimal))
        {
            writer.WriteDecimal(Unsafe.As<T, decimal>(ref value));
        }
        else if (typeof(T) == typeof(char))
        {
            writer.WriteChar(Unsafe.As<T, char>(ref value));
        }
        else
        {
            throw new MarshallingException(MarshallingError.UnsupportedType, $"{typeof(T)} is not a primitive.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ReadValue(GraphReader reader)
    {
        if (typeof(T) == typeof(bool))
        {
            var value = reader.ReadBool();
            return Unsafe.As<bool, T>(ref value);
        }

        if (typeof(T) == typeof(byte))
        {
            var value = reader.ReadUInt8();
            return Unsafe.As<byte, T>(ref value);
        }

        if (typeof(T) == typeof(sbyte))
        {
            var value = reader.ReadInt8();
            return Unsafe.As<sbyte, T>(ref value);
        }

        if (typeof(T) == typeof(short))
        {
            var value = reader.ReadInt16();
            return Unsafe.As<short, T>(ref value);
        }

        if (typeof(T) == typeof(ushort))
        {
            var value = reader.ReadUInt16();
            return Unsafe.As<ushort, T>(ref value);
        }

        if (typeof(T) == typeof(int))
        {
            var value = reader.ReadInt32();
            return Unsafe.As<int, T>(ref value);
        }

        if (typeof(T) == typeof(uint))
        {
            var value = reader.ReadUInt32();
            return Unsafe.As<uint, T>(ref value);
        }

        if (typeof(T) == typeof(long))
        {
            var value = reader.ReadInt64();
            return Unsafe.As<long, T>(ref value);
        }

        if (typeof(T) == typeof(ulong))
        {
            var value = reader.ReadUInt64();
            return Unsafe.As<ulong, T>(ref value);
        }

        if (typeof(T) == typeof(float))
        {
            var value = reader.ReadSingle();
            return Unsafe.As<float, T>(ref value);
        }

        if (typeof(T) == typeof(double))
        {
            var value = reader.ReadDouble();
            return Unsafe.As<double, T>(ref value);
        }

        if (typeof(T) == typeof(decimal))
        {
            var value = reader.ReadDecimal();
            return Unsafe.As<decimal, T>(ref value);
        }

        if (typeof(T) == typeof(char))
        {
            var value = reader.ReadChar();
            return Unsafe.As<char, T>(ref value);
        }

        throw new MarshallingException(MarshallingError.UnsupportedType, $"{typeof(T)} is not a primitive.");
    }
}

/// <summary>An enum as its underlying integer; any value is accepted, as C# allows.</summary>
internal sealed class GraphEnumCodec<TEnum, TUnderlying>(byte[] signature) : GraphCodec<TEnum>(signature)
    where TEnum : struct, Enum
    where TUnderlying : struct
{
    public override void Write(GraphWriter writer, TEnum value) => GraphPrimitiveCodec<TUnderlying>.WriteValue(writer, Unsafe.As<TEnum, TUnderlying>(ref value));

    public override TEnum Read(GraphReader reader)
    {
        var value = GraphPrimitiveCodec<TUnderlying>.ReadValue(reader);
        return Unsafe.As<TUnderlying, TEnum>(ref value);
    }
}

/// <summary>A string: varint (UTF-8 length + 1, 0 for null), then the bytes. Strings are values, never shared by handle.</summary>
internal sealed class GraphStringCodec(byte[] signature) : GraphCodec<string?>(signature)
{
    public override void Write(GraphWriter writer, string? value) => writer.WriteString(value);

    public override string? Read(GraphReader reader) => reader.ReadString();
}

/// <summary>A <see cref="Nullable{T}"/>: byte 0 (null) or 1 followed by the value.</summary>
internal sealed class GraphNullableCodec<T>(byte[] signature, GraphCodec<T> inner) : GraphCodec<T?>(signature)
    where T : struct
{
    public override void Write(GraphWriter writer, T? value)
    {
        if (value is { } present)
        {
            writer.WriteByte(1);
            inner.Write(writer, present);
        }
        else
        {
            writer.WriteByte(0);
        }
    }

    public override T? Read(GraphReader reader) => reader.ReadByte() switch
    {
        0 => null,
        1 => inner.Read(reader),
        var b => throw new MarshallingException(MarshallingError.Malformed, $"A nullable's presence byte is {b}; only 0 and 1 are allowed."),
    };
}
