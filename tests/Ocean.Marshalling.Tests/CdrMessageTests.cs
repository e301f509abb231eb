using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// A CDR message of several values is one stream: a hand-written header and the arguments align from the message's
/// first byte, as in a GIOP 1.2 request body, byte for byte what one <see cref="CdrWriter"/> writing everything makes.
/// </summary>
public sealed class CdrMessageTests
{
    // Header: ulong 7 (0-3), octet 1 (4); long 5 aligned to 8; double 1.5 aligned to 16 (pad 12-15); string "hi" at 24;
    // short -2 aligned to 32 (pad 31); Person at 34: its string aligned to 36, "London" to 48, its long to 60.
    private const string ExpectedBigEndian =
        "00000007 01 000000 00000005 00000000 3ff8000000000000 00000003 686900 00 fffe 0000 00000006 536d69746800 0000 00000007 4c6f6e646f6e00 00 0000078e";

    [Fact]
    public void WriteCdrThenArguments_AlignAsInAGiopBody_ByteExact()
    {
        var bytes = WriteRequest(CdrTest.Marshaller(ByteOrder.BigEndian));

        CdrTest.Hex(bytes).Should().Be(CdrTest.Normalize(ExpectedBigEndian));
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public void WriteCdrThenArguments_AreWhatOneCdrWriterWritesInSequence(ByteOrder order)
    {
        var oneWriter = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(oneWriter, order);
        writer.WriteULong(7);
        writer.WriteOctet(1);
        CdrMarshaller.Write(ref writer, 5);
        CdrMarshaller.Write(ref writer, 1.5);
        CdrMarshaller.Write(ref writer, "hi");
        CdrMarshaller.Write(ref writer, (short)-2);
        CdrMarshaller.Write(ref writer, new Person("Smith", "London", 1934));
        writer.Flush();

        var bytes = WriteRequest(CdrTest.Marshaller(order));

        bytes.Should().Equal(oneWriter.WrittenSpan.ToArray());
    }

    [Fact]
    public void Arguments_AreNotWhatSeparateMarshalCallsMake()
    {
        // Marshalled one by one, each value would start its own stream at alignment 0: the double would not be padded.
        var marshaller = CdrTest.Marshaller(ByteOrder.BigEndian);
        var separate = CdrTest.Marshal(marshaller, 5).Concat(CdrTest.Marshal(marshaller, 1.5)).ToArray();
        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output))
        {
            writer.Write(5);
            writer.Write(1.5);
        }

        CdrTest.Hex(separate).Should().Be("000000053ff8000000000000");
        CdrTest.Hex(output.WrittenSpan).Should().Be("00000005000000003ff8000000000000");
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public void ReadCdrThenArguments_ReadWhatWasWritten(ByteOrder order)
    {
        var marshaller = CdrTest.Marshaller(order);
        var bytes = WriteRequest(marshaller);

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
        var (requestId, kind) = reader.ReadCdr(static (ref CdrReader r) => (r.ReadULong(), r.ReadOctet()));

        requestId.Should().Be(7u);
        kind.Should().Be(1);
        reader.Position.Should().Be(5);
        reader.Read<int>().Should().Be(5);
        reader.Position.Should().Be(12);
        reader.Read(typeof(double)).Should().Be(1.5);
        reader.Read<string>().Should().Be("hi");
        reader.Read<short>().Should().Be(-2);
        reader.Read<Person>().Should().Be(new Person("Smith", "London", 1934));
        reader.IsAtEnd.Should().BeTrue();
        reader.ByteOrder.Should().Be(order);
    }

    [Fact]
    public void ReadCdr_HeaderInOneByteSegments_ReadsTheSame()
    {
        var marshaller = CdrTest.Marshaller(ByteOrder.BigEndian);
        var bytes = WriteRequest(marshaller);

        using var reader = marshaller.CreateReader(CdrTest.OneBytePerSegment(bytes));

        reader.ReadCdr(static (ref CdrReader r) => r.ReadULong()).Should().Be(7u);
        reader.ReadCdr(static (ref CdrReader r) => r.ReadOctet()).Should().Be(1);
        reader.Read<int>().Should().Be(5);
    }

    [Fact]
    public void ReadCdr_PastTheEnd_ThrowsMarshallingException()
    {
        var marshaller = CdrTest.Marshaller(ByteOrder.BigEndian);
        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(CdrTest.Bytes("00000007 01")));

        reader.ReadCdr(static (ref CdrReader r) => r.ReadULong()).Should().Be(7u);

        FluentActions.Invoking(() => reader.ReadCdr(static (ref CdrReader r) => r.ReadULong())).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void MaxObjects_CountsOverTheWholeMessage()
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 3 });
        var person = new Person("a", "b", 1);
        var output = new ArrayBufferWriter<byte>();
        using var writer = marshaller.CreateWriter(output);
        writer.Write(person);
        writer.Write(person);
        writer.Write(person);

        FluentActions.Invoking(() => writer.Write(person)).Should().Throw<MarshallingException>().WithMessage("*3 objects*");

        var four = WriteMany(CdrTest.Marshaller(ByteOrder.BigEndian), person, 4);
        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(four));
        reader.Read<Person>();
        reader.Read<Person>();
        reader.Read<Person>();
        FluentActions.Invoking(() => reader.Read<Person>()).Should().Throw<MarshallingException>().WithMessage("*3 objects*");
    }

    [Fact]
    public void StaticNonGenericWriteAndRead_MatchTheGenericOnes()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output);
        writer.WriteOctet(9);
        CdrMarshaller.Write(ref writer, typeof(long), 3L);
        CdrMarshaller.Write(ref writer, typeof(Person), new Person("Smith", "London", 1934));
        writer.Flush();

        CdrTest.Hex(output.WrittenSpan).Should().StartWith("09000000000000000000000000000003");
        var reader = new CdrReader(output.WrittenSpan);
        reader.ReadOctet().Should().Be(9);
        CdrMarshaller.Read(ref reader, typeof(long)).Should().Be(3L);
        CdrMarshaller.Read(ref reader, typeof(Person)).Should().Be(new Person("Smith", "London", 1934));
        reader.Remaining.Should().Be(0);
    }

    [Fact]
    public void StaticNonGenericWrite_Mismatch_ThrowsArgumentException()
    {
        var output = new ArrayBufferWriter<byte>();

        FluentActions.Invoking(() =>
        {
            var writer = new CdrWriter(output);
            CdrMarshaller.Write(ref writer, typeof(long), 3);
        }).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() =>
        {
            var writer = new CdrWriter(output);
            CdrMarshaller.Write(ref writer, typeof(long), null);
        }).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Surrogate_InAStructMember_TakesTheSurrogatesPlaceOnTheWire()
    {
        // ContractHolder's callback member is written exactly as a ContractReference struct would be.
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { SurrogateProvider = new ContractSurrogates() });
        var holder = new ContractHolder("h", new ContractCallback(2), [], []);
        var expected = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(expected);
        CdrMarshaller.Write(ref writer, "h");
        CdrMarshaller.Write(ref writer, new ContractReference(2, nameof(ContractCallback)));
        CdrMarshaller.Write(ref writer, Array.Empty<ContractReference>());
        CdrMarshaller.Write(ref writer, Array.Empty<ContractReference>());
        writer.Flush();

        CdrTest.Marshal(marshaller, holder).Should().Equal(expected.WrittenSpan.ToArray());
    }

    [Fact]
    public void Surrogate_NullCallback_HasNoCdrForm()
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { SurrogateProvider = new ContractSurrogates() });

        FluentActions.Invoking(() => marshaller.Marshal<IContractCallback>(null!, new ArrayBufferWriter<byte>()))
            .Should().Throw<MarshallingException>().WithMessage("*no null*");
    }

    [Fact]
    public void Surrogate_ThatIsSubstitutedItself_IsRefused()
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { SurrogateProvider = new ChainedSurrogates() });

        marshaller.CanMarshal(typeof(IContractCallback), out var reason).Should().BeFalse();
        reason.Should().Contain("substituted itself");
        FluentActions.Invoking(() => marshaller.Marshal<IContractCallback>(new ContractCallback(1), new ArrayBufferWriter<byte>()))
            .Should().Throw<MarshallingException>().WithMessage("*substituted itself*");
    }

    private static byte[] WriteRequest(CdrMarshaller marshaller)
    {
        var output = new ArrayBufferWriter<byte>();
        using var writer = marshaller.CreateWriter(output);
        writer.WriteCdr(7u, static (ref CdrWriter w, uint requestId) =>
        {
            w.WriteULong(requestId);
            w.WriteOctet(1);
        });
        writer.Position.Should().Be(5);
        writer.Write(5);
        writer.Write(1.5);
        writer.Write("hi");
        writer.Write((short)-2);
        writer.Write(new Person("Smith", "London", 1934));
        writer.Position.Should().Be(output.WrittenCount);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] WriteMany<T>(IMarshaller marshaller, T value, int count)
    {
        var output = new ArrayBufferWriter<byte>();
        using var writer = marshaller.CreateWriter(output);
        for (var i = 0; i < count; i++)
        {
            writer.Write(value);
        }

        return output.WrittenSpan.ToArray();
    }

    private sealed class ChainedSurrogates : IMarshallingSurrogateProvider
    {
        public Type? GetSurrogateType(Type declaredType) =>
            declaredType == typeof(IContractCallback) ? typeof(ContractReference) : declaredType == typeof(ContractReference) ? typeof(Person) : null;

        public object? Replace(object? value, Type declaredType, MarshallingContext? context) => value;

        public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context) => surrogate;
    }
}
