using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Tests;

/// <summary>Every primitive in one struct (every alignment, both char mappings).</summary>
public sealed record AllPrimitives(
    byte Octet,
    bool Flag,
    char Wide,
    [property: CdrNarrow] char Narrow,
    short Short,
    ushort UShort,
    int Long,
    uint ULong,
    long LongLong,
    ulong ULongLong,
    float Float,
    double Double,
    Color Color);

public sealed record Texts(string Narrow, [property: CdrWide] string Wide, string[] NarrowList, [property: CdrWide] List<string> WideList);

public sealed record Arrays(int[] Longs, long[] LongLongs, double[] Doubles, byte[] Octets, bool[] Flags, short[] Shorts, Color[] Colors, string[] Strings, int[][] Jagged);

public sealed record Lists(List<int> Longs, List<string> Strings, List<Person> People, List<Point> Points);

public sealed record Nested(Outer Outer, Aligned Aligned, Team Team, Inner[] Inners);

public sealed record Fixed([property: CdrFixedLength(3)] short[] Shorts, [property: CdrFixedLength(4)] byte[] Octets, [property: CdrFixedLength(2)] Inner[] Inners, [property: CdrFixedLength(2)] string[] Names);

/// <summary>Seeded random values of every supported shape survive Marshal then Unmarshal, in both byte orders.</summary>
public sealed class CdrRoundTripTests
{
    private const int Count = 200;

    public static TheoryData<ByteOrder> Orders => new() { ByteOrder.BigEndian, ByteOrder.LittleEndian };

    [Theory]
    [MemberData(nameof(Orders))]
    public void Primitives_RoundTrip(ByteOrder order)
    {
        var random = new Random(1);
        AssertRecordsRoundTrip(order, () => new AllPrimitives(
            (byte)random.Next(256),
            random.Next(2) == 1,
            (char)random.Next(0x10000),
            (char)random.Next(256),
            (short)random.Next(short.MinValue, short.MaxValue + 1),
            (ushort)random.Next(0x10000),
            random.Next(int.MinValue, int.MaxValue),
            (uint)random.NextInt64(0, 1L << 32),
            random.NextInt64(long.MinValue, long.MaxValue),
            (ulong)random.NextInt64(long.MinValue, long.MaxValue),
            BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue)),
            BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue)),
            RandomColor(random)));
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void PrimitiveFloatingPoint_RoundTripBitForBit(ByteOrder order)
    {
        var random = new Random(2);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var single = random.Next(int.MinValue, int.MaxValue);
            var @double = random.NextInt64(long.MinValue, long.MaxValue);

            BitConverter.SingleToInt32Bits(CdrTest.Unmarshal<float>(marshaller, CdrTest.Marshal(marshaller, BitConverter.Int32BitsToSingle(single)))).Should().Be(single);
            BitConverter.DoubleToInt64Bits(CdrTest.Unmarshal<double>(marshaller, CdrTest.Marshal(marshaller, BitConverter.Int64BitsToDouble(@double)))).Should().Be(@double);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Strings_RoundTrip(ByteOrder order)
    {
        var random = new Random(3);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var value = new Texts(
                Latin1(random),
                AnyBmp(random),
                Enumerable.Range(0, random.Next(4)).Select(_ => Latin1(random)).ToArray(),
                Enumerable.Range(0, random.Next(4)).Select(_ => AnyBmp(random)).ToList());

            var read = CdrTest.Unmarshal<Texts>(marshaller, CdrTest.Marshal(marshaller, value));

            read.Narrow.Should().Be(value.Narrow);
            read.Wide.Should().Be(value.Wide);
            read.NarrowList.Should().Equal(value.NarrowList);
            read.WideList.Should().Equal(value.WideList);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void TopLevelStrings_RoundTrip(ByteOrder order)
    {
        var random = new Random(4);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var text = Latin1(random);
            CdrTest.Unmarshal<string>(marshaller, CdrTest.Marshal(marshaller, text)).Should().Be(text);

            var c = (char)random.Next(0x10000);
            CdrTest.Unmarshal<char>(marshaller, CdrTest.Marshal(marshaller, c)).Should().Be(c);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Arrays_RoundTrip(ByteOrder order)
    {
        var random = new Random(5);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var value = new Arrays(
                Many(random, () => random.Next()),
                Many(random, () => random.NextInt64(long.MinValue, long.MaxValue)),
                Many(random, random.NextDouble),
                Many(random, () => (byte)random.Next(256)),
                Many(random, () => random.Next(2) == 1),
                Many(random, () => (short)random.Next(short.MinValue, short.MaxValue + 1)),
                Many(random, () => RandomColor(random)),
                Many(random, () => Latin1(random)),
                Many(random, () => Many(random, () => random.Next())));

            var read = CdrTest.Unmarshal<Arrays>(marshaller, CdrTest.Marshal(marshaller, value));

            read.Longs.Should().Equal(value.Longs);
            read.LongLongs.Should().Equal(value.LongLongs);
            read.Doubles.Should().Equal(value.Doubles);
            read.Octets.Should().Equal(value.Octets);
            read.Flags.Should().Equal(value.Flags);
            read.Shorts.Should().Equal(value.Shorts);
            read.Colors.Should().Equal(value.Colors);
            read.Strings.Should().Equal(value.Strings);
            read.Jagged.Should().HaveSameCount(value.Jagged);
            for (var j = 0; j < value.Jagged.Length; j++)
            {
                read.Jagged[j].Should().Equal(value.Jagged[j]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Lists_RoundTrip(ByteOrder order)
    {
        var random = new Random(6);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var value = new Lists(
                Many(random, () => random.Next()).ToList(),
                Many(random, () => Latin1(random)).ToList(),
                Many(random, () => RandomPerson(random)).ToList(),
                Many(random, () => new Point((short)random.Next(short.MinValue, short.MaxValue + 1), (short)random.Next(short.MinValue, short.MaxValue + 1))).ToList());

            var read = CdrTest.Unmarshal<Lists>(marshaller, CdrTest.Marshal(marshaller, value));

            read.Longs.Should().Equal(value.Longs);
            read.Strings.Should().Equal(value.Strings);
            read.People.Should().Equal(value.People);
            read.Points.Should().Equal(value.Points);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Enums_RoundTrip(ByteOrder order)
    {
        var random = new Random(7);
        AssertRecordsRoundTrip(order, () => RandomColor(random));
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void NestedRecords_RoundTrip(ByteOrder order)
    {
        var random = new Random(8);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var value = new Nested(
                new Outer((byte)random.Next(256), RandomInner(random), (byte)random.Next(256), random.Next()),
                new Aligned((byte)random.Next(256), random.NextDouble(), (short)random.Next(short.MinValue, short.MaxValue + 1), random.NextInt64(), random.Next(2) == 1, (float)random.NextDouble()),
                new Team(Latin1(random), Many(random, () => RandomPerson(random)).ToList()),
                Many(random, () => RandomInner(random)));

            var read = CdrTest.Unmarshal<Nested>(marshaller, CdrTest.Marshal(marshaller, value));

            read.Outer.Should().Be(value.Outer);
            read.Aligned.Should().Be(value.Aligned);
            read.Team.Name.Should().Be(value.Team.Name);
            read.Team.Members.Should().Equal(value.Team.Members);
            read.Inners.Should().Equal(value.Inners);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Unions_RoundTrip(ByteOrder order)
    {
        var random = new Random(9);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var kind = random.Next(-3, 6);
            var value = kind switch
            {
                1 => new Shape { Kind = 1, Number = random.Next() },
                2 or 3 => new Shape { Kind = kind, Text = Latin1(random) },
                _ => new Shape { Kind = kind, Other = random.NextDouble() },
            };

            var read = CdrTest.Unmarshal<Shape>(marshaller, CdrTest.Marshal(marshaller, value));

            read.Kind.Should().Be(value.Kind);
            read.Number.Should().Be(value.Number);
            read.Text.Should().Be(value.Text);
            read.Other.Should().Be(value.Other);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void FixedArrays_RoundTrip(ByteOrder order)
    {
        var random = new Random(10);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var value = new Fixed(
                [(short)random.Next(), (short)random.Next(), (short)random.Next()],
                [(byte)random.Next(), (byte)random.Next(), (byte)random.Next(), (byte)random.Next()],
                [RandomInner(random), RandomInner(random)],
                [Latin1(random), Latin1(random)]);

            var bytes = CdrTest.Marshal(marshaller, value);
            var read = CdrTest.Unmarshal<Fixed>(marshaller, bytes);

            read.Shorts.Should().Equal(value.Shorts);
            read.Octets.Should().Equal(value.Octets);
            read.Inners.Should().Equal(value.Inners);
            read.Names.Should().Equal(value.Names);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void RecursiveTrees_RoundTrip(ByteOrder order)
    {
        var random = new Random(11);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var tree = RandomTree(random, depth: 0);
            var bytes = CdrTest.Marshal(marshaller, tree);

            // Equal bytes after a second trip prove the whole tree survived (a deep comparison per value is slow).
            CdrTest.Marshal(marshaller, CdrTest.Unmarshal<Tree>(marshaller, bytes)).Should().Equal(bytes);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void SplitInput_EveryPosition_ReadsTheSameValue(ByteOrder order)
    {
        var random = new Random(12);
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < 10; i++)
        {
            var value = new Nested(
                new Outer(1, RandomInner(random), 2, 3),
                new Aligned(1, 2, 3, 4, true, 5),
                new Team(Latin1(random), Many(random, () => RandomPerson(random)).ToList()),
                Many(random, () => RandomInner(random)));
            var bytes = CdrTest.Marshal(marshaller, value);

            for (var at = 0; at <= bytes.Length; at++)
            {
                CdrTest.Marshal(marshaller, marshaller.Unmarshal<Nested>(CdrTest.Split(bytes, at))).Should().Equal(bytes);
            }

            CdrTest.Marshal(marshaller, marshaller.Unmarshal<Nested>(CdrTest.OneBytePerSegment(bytes))).Should().Equal(bytes);
        }
    }

    private static void AssertRecordsRoundTrip<T>(ByteOrder order, Func<T> next)
    {
        var marshaller = CdrTest.Marshaller(order);
        for (var i = 0; i < Count; i++)
        {
            var value = next();
            var read = CdrTest.Unmarshal<T>(marshaller, CdrTest.Marshal(marshaller, value));
            read.Should().Be(value);
        }
    }

    private static T[] Many<T>(Random random, Func<T> next) => Enumerable.Range(0, random.Next(6)).Select(_ => next()).ToArray();

    private static Color RandomColor(Random random) => Enum.GetValues<Color>()[random.Next(3)];

    private static Inner RandomInner(Random random) => new((short)random.Next(short.MinValue, short.MaxValue + 1), random.NextInt64(long.MinValue, long.MaxValue));

    private static Person RandomPerson(Random random) => new(Latin1(random), Latin1(random), random.Next(int.MinValue, int.MaxValue));

    private static Tree RandomTree(Random random, int depth) =>
        new(random.Next(), depth >= 5 ? [] : Enumerable.Range(0, random.Next(3)).Select(_ => RandomTree(random, depth + 1)).ToList());

    /// <summary>Up to 30 characters from U+0001 to U+00FF (NUL is the terminator, so it cannot appear).</summary>
    private static string Latin1(Random random) => new([.. Enumerable.Range(0, random.Next(31)).Select(_ => (char)random.Next(1, 256))]);

    /// <summary>Up to 30 UTF-16 code units, any value U+0000 to U+FFFF (lone surrogates too).</summary>
    private static string AnyBmp(Random random) => new([.. Enumerable.Range(0, random.Next(31)).Select(_ => (char)random.Next(0x10000))]);
}
