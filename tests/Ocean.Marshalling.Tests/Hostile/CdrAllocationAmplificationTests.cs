using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Tests.Hostile;

/// <summary>struct { boolean value; } as a class: 1 byte on the wire, an object of about 24 bytes (and a reference) in memory.</summary>
public sealed class CdrFlag
{
    public bool Value { get; set; }
}

/// <summary>A value-type struct holding a class: no object of its own, but one for its member.</summary>
public record struct CdrFlagBox(CdrFlag Flag);

/// <summary>union switch (boolean) { case TRUE: boolean on; case FALSE: octet off; }: 2 bytes, an object and two boxes.</summary>
[CdrUnion]
public sealed class CdrFlagUnion
{
    [CdrDiscriminator]
    public bool Has { get; set; }

    [CdrCase(1)]
    public bool On { get; set; }

    [CdrCase(0)]
    public byte Off { get; set; }
}

/// <summary>struct { long long values[1000000]; }: the type declares a length the input must still hold.</summary>
public sealed record CdrMillionLongs([property: CdrFixedLength(1_000_000)] long[] Values);

/// <summary>
/// A few bytes per element must not become millions of objects: CDR reads count the objects they create
/// (<see cref="CdrMarshallerOptions.MaxObjects"/>) and refuse a sequence whose elements could not fit before
/// allocating its array.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class CdrAllocationAmplificationTests
{
    private const long AllocationBudget = 64 * 1024;

    [Fact]
    public void Unmarshal_FourMegabytesOfOneBoolClasses_RefusedBeforeAllocating()
    {
        // The attack: 4 MB of input made 4 million objects and 128 MB live.
        var bytes = Sequence(4_000_000, "01");

        var (thrown, allocated) = UnmarshalMeasured<List<CdrFlag>>(CdrMarshaller.Default, bytes);

        thrown.Should().BeOfType<MarshallingException>().Which.Message.Should().Contain("limit of 100000 objects");
        ((MarshallingException)thrown!).Error.Should().Be(MarshallingError.LimitExceeded);
        allocated.Should().BeLessThan(AllocationBudget);
        FluentActions.Invoking(() => CdrTest.Unmarshal<CdrFlag[]>(bytes, ByteOrder.BigEndian)).Should().Throw<MarshallingException>().WithMessage("*100000 objects*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_DefaultLimit_AllowsExactly100000Objects()
    {
        // The list is one object, each flag another.
        CdrTest.Unmarshal<List<CdrFlag>>(Sequence(99_999, "01"), ByteOrder.BigEndian).Should().HaveCount(99_999);
        FluentActions.Invoking(() => CdrTest.Unmarshal<List<CdrFlag>>(Sequence(100_000, "01"), ByteOrder.BigEndian))
            .Should().Throw<MarshallingException>().WithMessage("*100000 objects*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_SequenceOfEmptySequences_RefusedBeforeAllocating()
    {
        // 4 bytes per element (an empty count), a List of about 32 bytes each: 1,000,000 of them.
        var bytes = Sequence(1_000_000, "00000000");

        AssertRefusedCheaply<List<List<int>>>(bytes);
        AssertRefusedCheaply<List<int>[]>(bytes);
        AssertRefusedCheaply<int[][]>(bytes);
    }

    [Fact]
    public void Unmarshal_SequenceOfTwoByteUnions_RefusedBeforeAllocating()
    {
        var (thrown, allocated) = UnmarshalMeasured<CdrFlagUnion[]>(CdrMarshaller.Default, Sequence(1_000_000, "0101"));

        thrown.Should().BeOfType<MarshallingException>().Which.Message.Should().Contain("objects");
        allocated.Should().BeLessThan(AllocationBudget);
    }

    [Fact]
    public void Unmarshal_SequenceOfValueStructsHoldingAClass_RefusedBeforeAllocating()
    {
        var (thrown, allocated) = UnmarshalMeasured<CdrFlagBox[]>(CdrMarshaller.Default, Sequence(1_000_000, "01"));

        thrown.Should().BeOfType<MarshallingException>().Which.Message.Should().Contain("objects");
        allocated.Should().BeLessThan(AllocationBudget);
    }

    public static TheoryData<string> SmallestElementTypes => new() { "List<List<int>>", "WideText[]", "CdrFlag[]", "CdrFlagUnion[]", "Point[]", "bool[]" };

    [Theory]
    [MemberData(nameof(SmallestElementTypes))]
    public void Unmarshal_ClaimOf2To31ElementsOfTheSmallestTypes_RefusedBeforeAllocating(string type)
    {
        var bytes = CdrTest.Bytes("80000000 0000000000000000 0000000000000000");
        switch (type)
        {
            case "List<List<int>>":
                AssertRefusedCheaply<List<List<int>>>(bytes);
                break;
            case "WideText[]":
                AssertRefusedCheaply<WideText[]>(bytes);
                break;
            case "CdrFlag[]":
                AssertRefusedCheaply<CdrFlag[]>(bytes);
                break;
            case "CdrFlagUnion[]":
                AssertRefusedCheaply<CdrFlagUnion[]>(bytes);
                break;
            case "Point[]":
                AssertRefusedCheaply<Point[]>(bytes);
                break;
            default:
                AssertRefusedCheaply<bool[]>(bytes);
                break;
        }
    }

    [Fact]
    public void Unmarshal_FixedLengthArrayBeyondTheInput_RefusedBeforeAllocating()
    {
        // The type declares 1,000,000 longs (8 MB); the input holds one.
        AssertRefusedCheaply<CdrMillionLongs>(CdrTest.Bytes("0000000000000001"));
    }

    [Fact]
    public void Unmarshal_ObjectsSpreadOverManySequences_AreCountedOneByOne()
    {
        // Three lists of 400 flags: each list's claim fits on its own, the total does not.
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 1_000 });
        var groups = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 400).Select(i => new CdrFlag { Value = i % 2 == 0 }).ToList()).ToArray();
        var bytes = CdrTest.Marshal(new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 10_000 }), groups);

        FluentActions.Invoking(() => CdrTest.Unmarshal<List<CdrFlag>[]>(marshaller, bytes)).Should().Throw<MarshallingException>().WithMessage("*1000 objects*").Which.Error.Should().Be(MarshallingError.LimitExceeded);

        // 1 array + 3 lists + 1,200 flags = 1,204 objects.
        var exact = new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 1_204 });
        CdrTest.Unmarshal<List<CdrFlag>[]>(exact, bytes).SelectMany(g => g).Should().HaveCount(1_200);
        FluentActions.Invoking(() => CdrTest.Unmarshal<List<CdrFlag>[]>(new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 1_203 }), bytes))
            .Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Unmarshal_ClassesStringsAndValueStructs_CountOnlyObjects()
    {
        // Team: the team, its list and two Persons make 4 (strings are not counted).
        var team = new Team("T", [new Person("A", "B", 1), new Person("C", "D", 2)]);
        var bytes = CdrTest.Marshal(team, ByteOrder.BigEndian);
        CdrTest.Unmarshal<Team>(new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 4 }), bytes).Should().BeEquivalentTo(team);
        FluentActions.Invoking(() => CdrTest.Unmarshal<Team>(new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 3 }), bytes)).Should().Throw<MarshallingException>();

        // Point[]: only the array.
        var points = Enumerable.Range(0, 1_000).Select(i => new Point((short)i, 1)).ToArray();
        var one = new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 1 });
        CdrTest.Unmarshal<Point[]>(one, CdrTest.Marshal(one, points)).Should().Equal(points);
    }

    [Fact]
    public void Marshal_MoreObjectsThanTheLimit_ThrowsAndARaisedLimitRoundTrips()
    {
        var flags = Enumerable.Range(0, 150_000).Select(i => new CdrFlag { Value = i % 3 == 0 }).ToList();

        FluentActions.Invoking(() => CdrMarshaller.Default.Marshal(flags, new ArrayBufferWriter<byte>())).Should().Throw<MarshallingException>().WithMessage("*100000 objects*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => CdrMarshaller.Default.Marshal(flags.Take(99_999).ToList(), new ArrayBufferWriter<byte>())).Should().NotThrow();

        var raised = new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 150_001 });
        var bytes = CdrTest.Marshal(raised, flags);
        bytes.Should().HaveCount(4 + 150_000);
        CdrTest.Unmarshal<List<CdrFlag>>(raised, bytes).Select(f => f.Value).Should().Equal(flags.Select(f => f.Value));
        FluentActions.Invoking(() => CdrTest.Unmarshal<List<CdrFlag>>(CdrMarshaller.Default, bytes)).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Read_ObjectsInsideAnEncapsulation_CountTowardsTheOuterReader()
    {
        // Two flags outside, then an encapsulation holding two more: four objects against a limit of 3.
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output);
        CdrMarshaller.Write(ref writer, new CdrFlag { Value = true });
        CdrMarshaller.Write(ref writer, new CdrFlag());
        writer.WriteEncapsulation(ByteOrder.LittleEndian, 0, static (ref CdrWriter inner, int _) =>
        {
            CdrMarshaller.Write(ref inner, new CdrFlag { Value = true });
            CdrMarshaller.Write(ref inner, new CdrFlag { Value = true });
        });
        writer.Flush();
        CdrTest.Hex(output.WrittenSpan).Should().Be("0100" + "0000" + "00000003" + "010101");

        ReadFlags(output.WrittenSpan, maxObjects: 4).Should().Be(4);
        FluentActions.Invoking(() => ReadFlags(output.WrittenSpan.ToArray(), maxObjects: 3)).Should().Throw<MarshallingException>().WithMessage("*limit of 3 objects*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Write_ObjectsInsideAnEncapsulation_CountTowardsTheOuterWriter()
    {
        var act = () =>
        {
            var writer = new CdrWriter(new ArrayBufferWriter<byte>()) { MaxObjects = 2 };
            CdrMarshaller.Write(ref writer, new CdrFlag());
            writer.WriteEncapsulation(ByteOrder.BigEndian, 0, static (ref CdrWriter inner, int _) => CdrMarshaller.Write(ref inner, new CdrFlag()));
            CdrMarshaller.Write(ref writer, new CdrFlag());
        };

        act.Should().Throw<MarshallingException>().WithMessage("*limit of 2 objects*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Options_NonPositiveMaxObjects_IsRefused(int value)
    {
        FluentActions.Invoking(() => new CdrMarshallerOptions { MaxObjects = value }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new CdrReader(ReadOnlySpan<byte>.Empty) { MaxObjects = value }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new CdrWriter(new ArrayBufferWriter<byte>()) { MaxObjects = value }).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Options_DefaultMaxObjects_Is100000()
    {
        new CdrMarshallerOptions().MaxObjects.Should().Be(100_000);
        CdrReader.DefaultMaxObjects.Should().Be(100_000);
        new CdrReader(ReadOnlySpan<byte>.Empty).MaxObjects.Should().Be(100_000);
        new CdrWriter(new ArrayBufferWriter<byte>()).MaxObjects.Should().Be(100_000);
    }

    private static int ReadFlags(ReadOnlySpan<byte> bytes, int maxObjects)
    {
        var reader = new CdrReader(bytes) { MaxObjects = maxObjects };
        var read = 0;
        read += CdrMarshaller.Read<CdrFlag>(ref reader) is not null ? 1 : 0;
        read += CdrMarshaller.Read<CdrFlag>(ref reader) is not null ? 1 : 0;
        read += reader.ReadEncapsulation(static (ref CdrReader inner) =>
            (CdrMarshaller.Read<CdrFlag>(ref inner) is not null ? 1 : 0) + (CdrMarshaller.Read<CdrFlag>(ref inner) is not null ? 1 : 0));
        return read;
    }

    /// <summary>A big-endian sequence: the count, then <paramref name="count"/> copies of <paramref name="elementHex"/>.</summary>
    private static byte[] Sequence(int count, string elementHex)
    {
        var element = CdrTest.Bytes(elementHex);
        var bytes = new byte[4 + (count * element.Length)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, count);
        for (var i = 0; i < count; i++)
        {
            element.CopyTo(bytes, 4 + (i * element.Length));
        }

        return bytes;
    }

    private static void AssertRefusedCheaply<T>(byte[] bytes)
    {
        var (thrown, allocated) = UnmarshalMeasured<T>(CdrMarshaller.Default, bytes);

        thrown.Should().BeOfType<MarshallingException>("{0} elements cannot fit the object limit", typeof(T).Name);
        allocated.Should().BeLessThan(AllocationBudget, "nothing is allocated for a refused {0}", typeof(T).Name);
    }

    /// <summary>Unmarshals once to warm up (codec built, throw path jitted), then again measuring only the call.</summary>
    private static (Exception? Thrown, long Allocated) UnmarshalMeasured<T>(CdrMarshaller marshaller, byte[] bytes)
    {
        try
        {
            marshaller.Unmarshal<T>(bytes);
        }
        catch (MarshallingException)
        {
        }

        Exception? thrown = null;
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            marshaller.Unmarshal<T>(bytes);
        }
        catch (Exception ex)
        {
            thrown = ex;
        }

        return (thrown, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
