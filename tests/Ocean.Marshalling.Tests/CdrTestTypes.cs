using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Tests;

// Types shared by the CDR tests. They are public because the marshaller emits code that binds to them.

/// <summary>struct { octet a; double b; short c; long long d; boolean e; float f; }: padding after a, c and e.</summary>
public sealed record Aligned(byte A, double B, short C, long D, bool E, float F);

/// <summary>struct { short s; long long l; }.</summary>
public sealed record Inner(short S, long L);

/// <summary>struct { octet a; Inner inner; octet b; long c; }: the inner struct's members align across the boundary.</summary>
public sealed record Outer(byte A, Inner Inner, byte B, int C);

/// <summary>struct { string name; sequence&lt;Person&gt; members; }.</summary>
public sealed record Team(string Name, List<Person> Members);

/// <summary>struct { string text; sequence&lt;long&gt; values; }.</summary>
public sealed record Holder(string Text, int[] Values);

/// <summary>struct { char value; } (narrow, ISO-8859-1).</summary>
public sealed record NarrowChar([property: CdrNarrow] char Value);

/// <summary>struct { wstring value; }.</summary>
public sealed record WideText([property: CdrWide] string Value);

/// <summary>struct { octet tag; short values[3]; }.</summary>
public sealed record FixedShorts(byte Tag, [property: CdrFixedLength(3)] short[] Values);

/// <summary>struct { octet value[4]; }.</summary>
public sealed record FixedOctets([property: CdrFixedLength(4)] byte[] Value);

/// <summary>A value-type struct { short x; short y; }.</summary>
public record struct Point(short X, short Y);

/// <summary>An enum whose values are not in declaration order: ordinals are Green 0, Red 1, Blue 2.</summary>
public enum Color
{
    Red = 10,
    Green = -5,
    Blue = 100,
}

/// <summary>union Shape switch (long) { case 1: long number; case 2: case 3: string text; default: double other; }.</summary>
[CdrUnion]
public sealed class Shape
{
    [CdrDiscriminator]
    public int Kind { get; set; }

    [CdrCase(1)]
    public int Number { get; set; }

    [CdrCase(2, 3)]
    public string Text { get; set; } = string.Empty;

    [CdrDefaultCase]
    public double Other { get; set; }
}

/// <summary>union StrictUnion switch (long) { case 1: long a; case 2: short b; } (no default).</summary>
[CdrUnion]
public sealed class StrictUnion
{
    [CdrDiscriminator]
    public int Kind { get; set; }

    [CdrCase(1)]
    public int A { get; set; }

    [CdrCase(2)]
    public short B { get; set; }
}

/// <summary>A recursive type: struct Node { long value; sequence&lt;Node&gt; children; }.</summary>
public sealed class Node
{
    public int Value;

    public List<Node> Children = [];
}

/// <summary>Marshalling helpers: hex in and out, multi-segment inputs.</summary>
public static class CdrTest
{
    public static CdrMarshaller Marshaller(ByteOrder order) => new(new CdrMarshallerOptions { ByteOrder = order });

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string Normalize(string hex) => hex.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    public static byte[] Marshal<T>(T value, ByteOrder order) => Marshal(Marshaller(order), value);

    public static byte[] Marshal<T>(IMarshaller marshaller, T value)
    {
        var output = new ArrayBufferWriter<byte>();
        marshaller.Marshal(value, output);
        return output.WrittenSpan.ToArray();
    }

    public static T Unmarshal<T>(byte[] bytes, ByteOrder order) => Marshaller(order).Unmarshal<T>(new ReadOnlySequence<byte>(bytes));

    public static T Unmarshal<T>(IMarshaller marshaller, byte[] bytes) => marshaller.Unmarshal<T>(new ReadOnlySequence<byte>(bytes));

    /// <summary>The bytes as a sequence of two segments split at <paramref name="at"/>.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        var first = new Segment(bytes.AsMemory(0, at));
        var last = first.Append(bytes.AsMemory(at));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The bytes as a sequence of one-byte segments.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1));
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    /// <summary>
    /// Asserts a golden vector: <paramref name="value"/> marshals to exactly <paramref name="hex"/>, and the bytes
    /// unmarshal to an equivalent value, contiguous and split across segments at every position.
    /// </summary>
    public static void AssertVector<T>(T value, ByteOrder order, string hex)
    {
        var marshaller = Marshaller(order);
        var expected = Normalize(hex);

        Hex(Marshal(marshaller, value)).Should().Be(expected, "{0} marshals {1} {2}", order, typeof(T).Name, value);

        var bytes = Bytes(expected);
        var read = marshaller.Unmarshal<T>(new ReadOnlySequence<byte>(bytes));
        read.Should().BeEquivalentTo(value, o => o.WithStrictOrdering().RespectingRuntimeTypes());

        // Split inputs: the value read back must marshal to the same bytes (cheaper than a deep comparison each time).
        for (var at = 0; at <= bytes.Length; at++)
        {
            Hex(Marshal(marshaller, marshaller.Unmarshal<T>(Split(bytes, at)))).Should().Be(expected, "the input is split at {0}", at);
        }

        Hex(Marshal(marshaller, marshaller.Unmarshal<T>(OneBytePerSegment(bytes)))).Should().Be(expected, "the input is one byte per segment");
    }

    /// <summary>Asserts the vector in both byte orders.</summary>
    public static void AssertVectors<T>(T value, string bigEndianHex, string littleEndianHex)
    {
        AssertVector(value, ByteOrder.BigEndian, bigEndianHex);
        AssertVector(value, ByteOrder.LittleEndian, littleEndianHex);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
