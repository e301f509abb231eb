using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// The comparer of a dictionary the reader builds, so a peer cannot choose keys that collide. Equality is the
/// default comparer's; hashing is keyed per process (Marvin, as .NET uses for strings), over a key's full value for
/// primitives and enums (whose default hashes a peer can collide at will: <c>(x &lt;&lt; 32) | x</c> hashes to 0 for
/// every <see cref="long"/>), and over the type's own hash otherwise. A type's own hash may still collide on
/// purpose (a record's is computed from its members), so for those types <see cref="Equals(T, T)"/> calls made while
/// the dictionary is read are charged to its stream's budget (<see cref="GraphLimits.MaxKeyComparisons"/>, shared by
/// every dictionary in the stream), and the read is refused once it is spent.
/// </summary>
internal sealed class GraphKeyComparer<T> : IEqualityComparer<T>
{
    /// <summary>Whether <typeparamref name="T"/> is hashed by its value, without calling its own hash (decided once per type).</summary>
    public static readonly bool HashesValue = IsHashedByValue(typeof(T));

    private static readonly GraphKeyComparer<T> s_shared = new();

    // While the dictionary is read: the reader whose stream pays for Equals calls. Cleared by EndRead (and never set
    // again), so the caller's lookups, from any number of threads, are never counted or refused.
    private GraphReader? _reader;

    /// <summary>
    /// The comparer for a dictionary of <paramref name="count"/> entries that <paramref name="reader"/> is about to
    /// read: null for strings (the dictionary's own string hashing is randomized and switches to it on collisions),
    /// shared when keys are hashed by value, else one of its own whose Equals calls the stream pays for, with one
    /// comparison per entry added to the stream's budget.
    /// </summary>
    public static GraphKeyComparer<T>? ForRead(GraphReader reader, int count)
    {
        if (typeof(T) == typeof(string))
        {
            return null;
        }

        if (HashesValue)
        {
            return s_shared;
        }

        reader.AllowKeyComparisons(count);
        return new GraphKeyComparer<T> { _reader = reader };
    }

    /// <summary>Stops counting once the dictionary is read.</summary>
    public void EndRead() => _reader = null;

    public bool Equals(T? x, T? y)
    {
        if (_reader is { } reader && !reader.TrySpendKeyComparison())
        {
            _reader = null;
            throw new MarshallingException(MarshallingError.LimitExceeded,
                $"The keys of a Dictionary<{typeof(T).Name}, ...> have equal hash codes far more often than chance allows: reading them would take more than the limit of {reader.Factory.Limits.MaxKeyComparisons} key comparisons (GraphMarshallerOptions.MaxKeyComparisons).");
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
