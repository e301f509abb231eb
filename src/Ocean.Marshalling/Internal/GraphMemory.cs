using System.Reflection;
using System.Runtime.CompilerServices;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Estimates of what the reader's allocations take in memory (64-bit runtime), charged to a stream's budget
/// (<see cref="GraphReader.Charge"/>) before they are made. Close enough to bound memory by the input; not exact.
/// </summary>
internal static class GraphMemory
{
    /// <summary>An array's header and length.</summary>
    public const int ArrayOverhead = 24;

    /// <summary>A list object and its array's header.</summary>
    public const int ListOverhead = 32 + ArrayOverhead;

    /// <summary>A dictionary object, its comparer and its two arrays' headers.</summary>
    public const int DictionaryOverhead = 80 + 32 + (2 * ArrayOverhead);

    /// <summary>An object's header and method table pointer.</summary>
    public const int ObjectHeader = 16;

    /// <summary>What an instance of <paramref name="type"/> takes on the heap: its header and every instance field, base types' too.</summary>
    public static int InstanceSize(Type type)
    {
        if (type.IsValueType)
        {
            return SizeOf(type);
        }

        long size = ObjectHeader;
        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                size += field.FieldType.IsValueType ? SizeOf(field.FieldType) : IntPtr.Size;
            }
        }

        return (int)Math.Min(int.MaxValue, Math.Max(24, (size + 7) & ~7L));
    }

    /// <summary>A boxed value of <paramref name="type"/> (a value type).</summary>
    public static int BoxSize(Type type) => Math.Max(24, (ObjectHeader + SizeOf(type) + 7) & ~7);

    private static int SizeOf(Type type) => RuntimeHelpers.SizeOf(type.TypeHandle);
}
