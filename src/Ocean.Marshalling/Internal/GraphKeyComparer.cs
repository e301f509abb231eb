using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// The comparer of a dictionary the reader builds, so a peer cannot choose keys that collide. Equality is the
/// default comparer's; hashing is keyed per process (Marvin, as .NET uses for strings), over a key's full value for
/// primitives and enums (whose default hashes a peer can collide at will: <c>(x &lt;&lt; 32) | x</c> hashes to 0 for
/// every <see cref="long"/>), and over the type's own hash otherwise. A type's own hash may still collide on
/// purpose (a record's is computed from its members), so <see cref="Equals(T, T)"/> calls are counted while the
/// dictionary is read and the read is refused past a budget linear in its size.
/// </summary>
internal sealed class GraphKeyComparer<T> : IEqualityComparer<T>
{
    /// <summary>
    /// Equals calls allowed per entry while reading, on top of <see cref="FixedEqualsBudget"/>: keys with a good hash
    /// rarely need one, and a poor but honest hash (a few dozen distinct values over a thousand keys) stays within it.
    /// </summary>
    public const int EqualsBudgetPerEntry = 16;

    public const int FixedEqualsBudget = 1024;

    /// <summary>
    /// Up to this many entries a dictionary shares an uncounting comparer: even if every key collides it costs at most
    /// 2,016 Equals calls, for at least 64 keys' bytes on the wire.
    /// </summary>
    public const int CountedAbove = 64;

    /// <summary>Whether <typeparamref name="T"/> is hashed by its value, without calling its own hash (decided once per type).</summary>
    public static readonly bool HashesValue = IsHashedByValue(typeof(T));

    private static readonly GraphKeyComparer<T> s_shared = new() { _counting = false };

    // While the dictionary is read: count Equals calls, and how many remain. Never changed after EndRead, so the
    // caller's lookups (from any number of threads) are never counted or refused.
    private bool _counting;
    private int _equalsLeft;

    /// <summary>
    /// The comparer for a dictionary of <paramref name="count"/> entries about to be read: null for strings (the
    /// dictionary's own string hashing is randomized and switches to it on collisions), shared when keys are hashed by
    /// value or the dictionary is small, else one of its own that counts.
    /// </summary>
    public static GraphKeyComparer<T>? ForRead(int count)
    {
        if (typeof(T) == typeof(string))
        {
            return null;
        }

        return HashesValue || count <= CountedAbove ? s_shared : new GraphKeyComparer<T> { _counting = true, _equalsLeft = (int)Math.Min(int.MaxValue, ((long)EqualsBudgetPerEntry * count) + FixedEqualsBudget) };
    }

    /// <summary>Stops counting once the dictionary is read.</summary>
    public void EndRead()
    {
        if (_counting)
        {
            _counting = false;
        }
    }

    public bool Equals(T? x, T? y)
    {
        if (_counting && --_equalsLeft < 0)
        {
            _counting = false;
            throw new MarshallingException(
                $"The keys of a Dictionary<{typeof(T).Name}, ...> have equal hash codes far more often than chance allows; refused, as reading it would take quadratic time.");
        }

        return EqualityComparer<T>.Default.Equals(x, y);
    }

    public int GetHashCode(T value)
    {
        if (!HashesValue)
        {
            return Keyed(value is null ? 0UL : (uint)EqualityComparer<T>.Default.GetHashCode(value));
        }

        // Each branch is decided when the JIT compiles the closed type. Values that compare equal hash alike.
        if (typeof(T) == typeof(double))
        {
            return Keyed(DoubleBits(Unsafe.As<T, double>(ref value)));
        }

        if (typeof(T) == typeof(float))
        {
            return Keyed(DoubleBits(Unsafe.As<T, float>(ref value)));
        }

        if (typeof(T) == typeof(decimal))
        {
            return KeyedDecimal(Unsafe.As<T, decimal>(ref value));
        }

        // Integers, char, bool and enums: equal exactly when their bits are.
        return Unsafe.SizeOf<T>() switch
        {
            1 => Keyed(Unsafe.As<T, byte>(ref value)),
            2 => Keyed(Unsafe.As<T, ushort>(ref value)),
            4 => Keyed(Unsafe.As<T, uint>(ref value)),
            _ => Keyed(Unsafe.As<T, ulong>(ref value)),
        };
    }

    private static bool IsHashedByValue(Type type)
    {
        var underlying = type.IsEnum ? Enum.GetUnderlyingType(type) : type;
        return GraphWire.PrimitiveCode(underlying) != 0;
    }

    /// <summary>All zeros and all NaNs compare equal, so they share one hash.</summary>
    private static ulong DoubleBits(double value) =>
        value == 0 ? 0UL : double.IsNaN(value) ? 0x7FF8_0000_0000_0000UL : (ulong)BitConverter.DoubleToInt64Bits(value);

    /// <summary>1.0m equals 1.00m: hash the value with trailing zeros removed (and every zero alike).</summary>
    private static int KeyedDecimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = ((UInt128)(uint)bits[2] << 64) | ((ulong)(uint)bits[1] << 32) | (uint)bits[0];
        if (mantissa == 0)
        {
            return Keyed(0UL);
        }

        var scale = (bits[3] >> 16) & 0xFF;
        while (scale > 0 && mantissa % 10 == 0)
        {
            mantissa /= 10;
            scale--;
        }

        var sign = (ulong)(uint)bits[3] >> 31;
        Span<ulong> normalized = [(ulong)mantissa, (ulong)(mantissa >> 64) | ((ulong)scale << 32) | (sign << 63)];
        return string.GetHashCode(MemoryMarshal.Cast<ulong, char>(normalized));
    }

    private static int Keyed(ulong bits) => string.GetHashCode(MemoryMarshal.Cast<ulong, char>(new ReadOnlySpan<ulong>(in bits)));
}
