using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Marshalling.Cdr;
using Ocean.Remoting.Protocol;
using static Ocean.Remoting.Tests.Infrastructure.Sequences;

namespace Ocean.Remoting.Tests;

/// <summary>The README's byte-by-byte examples, and how the arguments section lines up with a GIOP 1.2 body.</summary>
public sealed class GoldenEncodingTests
{
    private const ulong AddId = 0x07d20554fbeaee9bUL; // Demo.ICalculator.AddAsync(System.Int32,System.Int32):System.Int32

    // The README's request example: calculator.AddAsync(2, 3), request 1, a 5 s deadline, one metadata entry, CDR.
    private const string GoldenRequest =
        "01" + "00" + "0001" + "00000001" + "07d20554fbeaee9b" + "00001388" + "0a" + "63616c63756c61746f72"
        + "06" + "74656e616e74" + "0004" + "626c7565"
        + "00000000"
        + "00000002" + "00000003";

    private static byte[] WriteAddRequest(IMarshaller marshaller, int a, int b) => Encode(output =>
    {
        var offset = MessageEncoder.WriteRequestHeader(output, 1, RequestFlags.None, AddId, 5000, "calculator", [new("tenant", "blue")], ProtocolLimits.Default);
        offset.Should().Be(48);
        using var writer = marshaller.CreateWriter(output);
        writer.Write(a);
        writer.Write(b);
    });

    [Fact]
    public void Request_HasTheDocumentedBytes()
    {
        Hex(WriteAddRequest(CdrMarshaller.Default, 2, 3)).Should().Be(GoldenRequest);
        MethodSignature.ComputeId("Demo.ICalculator.AddAsync(System.Int32,System.Int32):System.Int32").Should().Be(AddId);
    }

    [Fact]
    public void Request_FramedByTheLengthPrefixedCodec_HasAFourByteBigEndianLength()
    {
        var frame = Encode(output => new LengthPrefixedCodec().WriteFrame(FromHex(GoldenRequest), output));

        Hex(frame).Should().Be("00000038" + GoldenRequest);
    }

    [Fact]
    public void Request_ArgumentsReadBackWithTheMarshallersReader()
    {
        var bytes = WriteAddRequest(CdrMarshaller.Default, 2, 3);

        var request = MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(bytes), ProtocolLimits.Default);
        using var reader = CdrMarshaller.Default.CreateReader(request.Arguments);

        reader.Read<int>().Should().Be(2);
        reader.Read<int>().Should().Be(3);
        reader.IsAtEnd.Should().BeTrue();
    }

    [Theory]
    [InlineData("k")]
    [InlineData("calculator")]
    [InlineData("seven77")]
    [InlineData("an-object-key-of-some-length")]
    public void CdrArguments_AlignAsInAGiop12RequestBody(string objectKey)
    {
        // A GIOP 1.2 request body starts 8-aligned, and CDR aligns each argument from the message start. Here the
        // arguments start at a multiple of 8 in the message, and the CDR stream's origin is their first byte: an
        // argument's alignment is the same counted from either, so the bytes are those a GIOP body carries.
        var bytes = Encode(output =>
        {
            var offset = MessageEncoder.WriteRequestHeader(output, 9, RequestFlags.None, 1, 0, objectKey, null, ProtocolLimits.Default);
            (offset % 8).Should().Be(0);
            using var writer = CdrMarshaller.Default.CreateWriter(output);
            writer.Write(2);
            writer.Write(1.5);
        });
        var request = MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(bytes), ProtocolLimits.Default);

        Hex(request.Arguments.ToArray()).Should().Be("00000002" + "00000000" + "3ff8000000000000");
        ((bytes.Length - request.Arguments.Length) % 8).Should().Be(0);
        var giopBody = Encode(output =>
        {
            var cdr = new CdrWriter(output, ByteOrder.BigEndian, startPosition: 0);
            cdr.WriteLong(2);
            cdr.WriteDouble(1.5);
            cdr.Flush();
        });
        request.Arguments.ToArray().Should().Equal(giopBody);
    }

    [Fact]
    public void GraphArguments_ShareOneStream_AcrossArguments()
    {
        var graph = new GraphMarshaller(new GraphTypeRegistry());
        var bytes = Encode(output =>
        {
            MessageEncoder.WriteRequestHeader(output, 2, RequestFlags.None, 1, 0, "echo", null, ProtocolLimits.Default);
            using var writer = graph.CreateWriter(output);
            writer.Write("hello");
            writer.Write(42);
        });
        var request = MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(bytes), ProtocolLimits.Default);

        using var reader = graph.CreateReader(request.Arguments);

        request.Arguments.FirstSpan[..3].ToArray().Should().Equal(0x4F, 0x47, 0x01); // one "OG" stream header for the whole call
        reader.Read<string>().Should().Be("hello");
        reader.Read<int>().Should().Be(42);
        reader.IsAtEnd.Should().BeTrue();
    }
}
