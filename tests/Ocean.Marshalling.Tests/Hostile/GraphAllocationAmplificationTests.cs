namespace Ocean.Marshalling.Tests.Hostile;

/// <summary>A class with no members: the cheapest object on the wire (two bytes), 24 bytes in memory.</summary>
public sealed class GraphMarker
{
}

/// <summary>A class of 256 bytes of fields that a stream may describe with no members at all (version skew).</summary>
public sealed class GraphWideClass
{
    public decimal A { get; set; }

    public decimal B { get; set; }

    public decimal C { get; set; }

    public decimal D { get; set; }

    public decimal E { get; set; }

    public decimal F { get; set; }

    public decimal G { get; set; }

    public decimal H { get; set; }

    public decimal I { get; set; }

    public decimal J { get; set; }

    public decimal K { get; set; }

    public decimal L { get; set; }

    public decimal M { get; set; }

    public decimal N { get; set; }

    public decimal O { get; set; }

    public decimal P { get; set; }
}

/// <summary>
/// Allocation amplification: a stream of N bytes that makes the reader allocate far more than N, here through
/// descriptors that list no members, so each element costs a byte or two on the wire and hundreds in memory.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class GraphAllocationAmplificationTests
{
    private static readonly GraphMarshaller s_marshaller = new(new GraphTypeRegistry()
        .Register<GraphWideStruct>("test.WideStruct")
        .Register<GraphWideClass>("test.WideClass")
        .Register<GraphMarker>("test.Marker"), new GraphMarshallerOptions { MaxObjects = 1_000_000 });

    /// <summary>What the read may allocate beyond the budget: the lists of handles and descriptors, boxes of values, the JIT's first calls.</summary>
    private const long Leeway = 4 * 1024 * 1024;

    [Fact]
    public void Unmarshal_InnerArraysOfZeroMemberStructs_AllocationBoundedByInput()
    {
        // 4,000 inner arrays of 256 GraphWideStruct (256 bytes each), every element one byte: its class reference.
        var stream = GraphStreamBuilder.Stream(0x11, 0x11, 0x15).Raw(0x02).Varint(4_000);
        for (var array = 0; array < 4_000; array++)
        {
            stream.Raw(0x02).Varint(256);
            for (var element = 0; element < 256; element++)
            {
                if (array == 0 && element == 0)
                {
                    stream.Raw(0x00).Raw(GraphStreamBuilder.Descriptor("test.WideStruct"));
                }
                else
                {
                    stream.Raw(0x01);
                }
            }
        }

        var bytes = stream.ToArray();
        bytes.Length.Should().BeGreaterThan(1_000_000);

        AllocationOf(() => s_marshaller.Read<GraphWideStruct[][]>(bytes), out var failure).Should().BeLessThan(Bound(bytes.Length), "262 MB would be held without a budget");
        failure.Should().BeOfType<MarshallingException>().Which.Message.Should().Contain("MaxMemoryMultiple");
        ((MarshallingException)failure!).Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_ListOfZeroMemberObjects_AllocationBoundedByInput()
    {
        // 250,000 GraphWideClass objects (272 bytes each in memory), each two bytes on the wire: new, class 1.
        var stream = GraphStreamBuilder.Stream(0x12, 0x10).Raw(0x02).Varint(250_000).Raw(0x02, 0x00).Raw(GraphStreamBuilder.Descriptor("test.WideClass"));
        for (var i = 1; i < 250_000; i++)
        {
            stream.Raw(0x02, 0x01);
        }

        var bytes = stream.ToArray();

        AllocationOf(() => s_marshaller.Read<List<GraphWideClass>>(bytes), out var failure).Should().BeLessThan(Bound(bytes.Length));
        failure.Should().BeOfType<MarshallingException>();
    }

    [Fact]
    public void MaxMemoryMultiple_HonestStream_ReadUnderTheDefaultAndRefusedUnderALowerLimit()
    {
        // 300,000 objects of two bytes each (600 KB) hold 300,000 × (24 + 8) bytes = 9.6 MB.
        var markers = Enumerable.Range(0, 300_000).Select(_ => new GraphMarker()).ToList();
        var bytes = s_marshaller.Bytes(markers);
        new GraphMarshallerOptions().MaxMemoryMultiple.Should().Be(32);

        s_marshaller.Read<List<GraphMarker>>(bytes).Should().HaveCount(300_000);

        var strict = new GraphMarshaller(new GraphTypeRegistry().Register<GraphMarker>("test.Marker"), new GraphMarshallerOptions { MaxObjects = 1_000_000, MaxMemoryMultiple = 8 });
        FluentActions.Invoking(() => strict.Read<List<GraphMarker>>(bytes)).Should().Throw<MarshallingException>().WithMessage("*MaxMemoryMultiple*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void MaxMemoryMultiple_NotPositive_Throws()
    {
        FluentActions.Invoking(() => new GraphMarshallerOptions { MaxMemoryMultiple = 0 }).Should().Throw<ArgumentOutOfRangeException>();
    }

    private static long Bound(int inputLength) => ((long)(new GraphMarshallerOptions().MaxMemoryMultiple + 4) * inputLength) + Leeway;

    private static long AllocationOf(Action read, out Exception? failure)
    {
        // A small valid read first, so the codecs are compiled outside the measurement.
        s_marshaller.RoundTrip(new[] { new GraphWideStruct() });
        s_marshaller.RoundTrip(new List<GraphWideClass> { new() });
        var before = GC.GetAllocatedBytesForCurrentThread();
        failure = Record.Exception(read);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
