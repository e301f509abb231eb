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

    /// <summary>An object's header and method table pointer.</summary>
    public const int ObjectHeader = 16;

    private const int ListObject = 32;

    /// <summary>A dictionary object and a comparer of its own.</summary>
    private const int DictionaryObject = 80 + 32;

    /// <summary>An array of <paramref name="count"/> elements of <paramref name="elementSize"/> bytes.</summary>
    public static long Array(int count, int elementSize) => ArrayOverhead + ((long)count * elementSize);

    /// <summary>A list with room for <paramref name="count"/> elements (an empty one shares an empty array).</summary>
    public static long List(int count, int elementSize) => ListObject + (count == 0 ? 0 : Array(count, elementSize));

    /// <summary>A dictionary with room for <paramref name="count"/> entries: each holds the pair, its hash code and next index, and a bucket.</summary>
    public static long Dictionary(int count, int pairSize) => DictionaryObject + (count == 0 ? 0 : (2 * ArrayOverhead) + ((long)count * (pairSize + 8 + 4)));

    /// <summary>What an instance of <paramref name="type"/> takes on the heap: its header and every instance field, base types' too.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
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
