using System.Text;

namespace Ocean.Marshalling.Internal;

/// <summary>The limits a <see cref="GraphMarshaller"/> enforces, copied from its options.</summary>
internal readonly record struct GraphLimits(
    int MaxDepth,
    int MaxObjects,
    int MaxCollectionLength,
    int MaxStringLength,
    int MaxBytes,
    int MaxMemoryMultiple,
    int MaxKeyComparisons,
    int MaxCachedDescriptors,
    int MaxCachedDescriptorBytes);

/// <summary>The constants of the object-graph format (see the README's "Object-graph format") and helpers over signatures.</summary>
internal static class GraphWire
{
    public const byte Magic0 = 0x4F; // 'O'
    public const byte Magic1 = 0x47; // 'G'
    public const byte Version = 1;

    // Tags before a reference value (object, array, list, dictionary).
    public const byte Null = 0;
    public const byte Ref = 1;
    public const byte New = 2;

    // Type codes in signatures.
    public const byte Bool = 0x01;
    public const byte UInt8 = 0x02;
    public const byte Int8 = 0x03;
    public const byte Int16 = 0x04;
    public const byte UInt16 = 0x05;
    public const byte Int32 = 0x06;
    public const byte UInt32 = 0x07;
    public const byte Int64 = 0x08;
    public const byte UInt64 = 0x09;
    public const byte Float32 = 0x0A;
    public const byte Float64 = 0x0B;
    public const byte Decimal = 0x0C;
    public const byte Char = 0x0D;
    public const byte String = 0x0E;
    public const byte Object = 0x10;
    public const byte Array = 0x11;
    public const byte List = 0x12;
    public const byte Dictionary = 0x13;
    public const byte Nullable = 0x14;
    public const byte Struct = 0x15;

    /// <summary>The longest stable or member name, in UTF-8 bytes.</summary>
    public const int MaxNameLength = 1024;

    /// <summary>How deeply signatures may nest (list of list of ...).</summary>
    public const int MaxSignatureDepth = 16;

    public const ulong FnvOffset = 0xcbf29ce484222325;
    public const ulong FnvPrime = 0x100000001b3;

    public static ulong Fnv1a(ulong hash, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * FnvPrime;
        }

        return hash;
    }

    /// <summary>The primitive type code of <paramref name="type"/>, or 0.</summary>
    public static byte PrimitiveCode(Type type) => Type.GetTypeCode(type) switch
    {
        _ when type.IsEnum => 0,
        TypeCode.Boolean => Bool,
        TypeCode.Byte => UInt8,
        TypeCode.SByte => Int8,
        TypeCode.Int16 => Int16,
        TypeCode.UInt16 => UInt16,
        TypeCode.Int32 => Int32,
        TypeCode.UInt32 => UInt32,
        TypeCode.Int64 => Int64,
        TypeCode.UInt64 => UInt64,
        TypeCode.Single => Float32,
        TypeCode.Double => Float64,
        TypeCode.Decimal => Decimal,
        TypeCode.Char => Char,
        _ => 0,
    };

    public static bool IsPrimitiveCode(byte code) => code is >= Bool and <= Char;

    public static bool IsIntegerCode(byte code) => code is >= UInt8 and <= UInt64;

    /// <summary>The fewest bytes a value of this code takes, so a claimed count can be checked against the bytes left.</summary>
    public static int MinimumSize(byte code) => code switch
    {
        Bool or UInt8 or Int8 => 1,
        Int16 or UInt16 or Char => 2,
        Int32 or UInt32 or Float32 => 4,
        Int64 or UInt64 or Float64 => 8,
        Decimal => 16,
        _ => 1,
    };

    /// <summary>The length of the well-formed signature at the start of <paramref name="signature"/>, or -1.</summary>
    public static int Measure(ReadOnlySpan<byte> signature, int depth = 0)
    {
        if (signature.IsEmpty || depth >= MaxSignatureDepth)
        {
            return -1;
        }

        var code = signature[0];
        switch (code)
        {
            case >= Bool and <= String:
            case Object:
            case Struct:
                return 1;
            case Array:
            case List:
                {
                    var element = Measure(signature[1..], depth + 1);
                    return element < 0 ? -1 : 1 + element;
                }

            case Nullable:
                {
                    if (signature.Length < 2 || !(IsPrimitiveCode(signature[1]) || signature[1] == Struct))
                    {
                        return -1;
                    }

                    return 2;
                }

            case Dictionary:
                {
                    var key = Measure(signature[1..], depth + 1);
                    if (key < 0)
                    {
                        return -1;
                    }

                    var value = Measure(signature[(1 + key)..], depth + 1);
                    return value < 0 ? -1 : 1 + key + value;
                }

            default:
                return -1;
        }
    }

    /// <summary>Whether values of the two signatures have the same bytes (arrays and lists are laid out alike).</summary>
    public static bool Equivalent(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i] && !((a[i] == Array || a[i] == List) && (b[i] == Array || b[i] == List)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A signature for messages, such as <c>list&lt;int32&gt;</c>.</summary>
    public static string Describe(ReadOnlySpan<byte> signature)
    {
        var text = new StringBuilder();
        Describe(signature, text);
        return text.ToString();
    }

    private static int Describe(ReadOnlySpan<byte> signature, StringBuilder text)
    {
        if (signature.IsEmpty)
        {
            text.Append('?');
            return 0;
        }

        var code = signature[0];
        switch (code)
        {
            case Array or List or Nullable:
                text.Append(code == Array ? "array<" : code == List ? "list<" : "nullable<");
                var element = Describe(signature[1..], text);
                text.Append('>');
                return 1 + element;
            case Dictionary:
                text.Append("dictionary<");
                var key = Describe(signature[1..], text);
                text.Append(", ");
                var value = Describe(signature[(1 + key)..], text);
                text.Append('>');
                return 1 + key + value;
            default:
                text.Append(code switch
                {
                    Bool => "bool",
                    UInt8 => "uint8",
                    Int8 => "int8",
                    Int16 => "int16",
                    UInt16 => "uint16",
                    Int32 => "int32",
                    UInt32 => "uint32",
                    Int64 => "int64",
                    UInt64 => "uint64",
                    Float32 => "float32",
                    Float64 => "float64",
                    Decimal => "decimal",
                    Char => "char",
                    String => "string",
                    Object => "object",
                    Struct => "struct",
                    _ => $"0x{code:X2}",
                });
                return 1;
        }
    }
}
