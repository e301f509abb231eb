using System.Buffers;
using System.Buffers.Binary;
using Ocean.Framing.Internal;
using Ocean.Framing.Tests.Infrastructure;

namespace Ocean.Framing.Tests;

/// <summary>
/// <see cref="FrameCodec.WriteFrame{TState}"/>: the payload is written into the output's own memory and the header
/// filled in afterwards, and a frame reaches the output whole or not at all.
/// </summary>
public sealed class FrameWriterTests
{
    public static TheoryData<string> InPlaceCodecs => ["length-prefixed", "two-byte little-endian", "line", "crlf line", "writeUTF"];

    [Theory]
    [MemberData(nameof(InPlaceCodecs))]
    public void WriteFrame_Writer_PayloadIsWrittenIntoTheOutputsMemory_AndTheFrameMatchesTheSpanForm(string name)
    {
        var codec = Codec(name);
        var output = new RecordingWriter(4096);
        var payload = "hello, in place"u8.ToArray();
        var lent = false;
        var scratchBefore = FrameWriter.ScratchFramesOnThisThread;

        codec.WriteFrame(output, payload, (p, writer) =>
        {
            var span = writer.GetSpan(p.Length);
            lent = span.Overlaps(output.Buffer); // the payload writer got the output's own memory: no copy after
            p.CopyTo(span);
            writer.Advance(p.Length);
        });

        lent.Should().BeTrue();
        FrameWriter.ScratchFramesOnThisThread.Should().Be(scratchBefore, "no frame went through a pooled buffer");
        output.Written.Should().Equal(SpanForm(codec, payload));
        output.Advances.Should().Be(1, "the output is advanced once, for the whole frame");
    }

    [Theory]
    [MemberData(nameof(InPlaceCodecs))]
    public void WriteFrame_PayloadOutgrowsTheLentMemory_FallsBackToACopyAndTheFrameIsTheSame(string name)
    {
        var codec = Codec(name);
        var output = new RecordingWriter(700); // room for a first window only
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)('a' + (i % 26))).ToArray();
        var scratchBefore = FrameWriter.ScratchFramesOnThisThread;

        codec.WriteFrame(output, payload, static (p, writer) =>
        {
            for (var offset = 0; offset < p.Length; offset += 100)
            {
                writer.Write(p.AsSpan(offset, 100));
            }
        });

        FrameWriter.ScratchFramesOnThisThread.Should().Be(scratchBefore + 1);
        output.Written.Should().Equal(SpanForm(codec, payload));
    }

    [Theory]
    [MemberData(nameof(InPlaceCodecs))]
    public void WriteFrame_WriterThrows_NothingReachesTheOutput(string name)
    {
        var codec = Codec(name);
        var output = new RecordingWriter(4096);

        var act = () => codec.WriteFrame(output, 0, static (_, writer) =>
        {
            writer.Write("partial"u8);
            throw new InvalidDataException("serializer failed");
        });

        act.Should().Throw<InvalidDataException>();
        output.Advances.Should().Be(0);
        output.Written.Should().BeEmpty();
    }

    [Theory]
    [InlineData("length-prefixed", FramingError.FrameTooLarge)]
    [InlineData("line", FramingError.LineTooLong)]
    [InlineData("writeUTF", FramingError.FrameTooLarge)]
    [InlineData("varint", FramingError.FrameTooLarge)]
    public void WriteFrame_PayloadPassesTheMaximum_ThrowsAsItPassesAndNothingReachesTheOutput(string name, FramingError error)
    {
        var codec = Codec(name);
        var output = new RecordingWriter(1 << 20);
        var written = 0;

        var act = () => codec.WriteFrame(output, codec, (c, writer) =>
        {
            var chunk = new byte[1000];
            chunk.AsSpan().Fill((byte)'x');
            while (written < c.MaxPayloadLength + 10_000)
            {
                writer.Write(chunk);
                written += chunk.Length;
            }
        });

        act.Should().Throw<FramingException>().Which.Error.Should().Be(error);
        written.Should().BeLessThan(codec.MaxPayloadLength + 1000, "the write fails as the maximum is passed, not after");
        output.Advances.Should().Be(0);
    }

    [Fact]
    public void WriteFrame_Varint_GoesThroughAPooledBuffer()
    {
        var codec = Codec("varint");
        var output = new RecordingWriter(4096);
        var scratchBefore = FrameWriter.ScratchFramesOnThisThread;

        codec.WriteFrame(output, "abc"u8.ToArray(), static (p, writer) => writer.Write(p));

        FrameWriter.ScratchFramesOnThisThread.Should().Be(scratchBefore + 1, "a varint's size depends on the length, so it cannot be back-filled");
        output.Written.Should().Equal(3, (byte)'a', (byte)'b', (byte)'c');
    }

    [Fact]
    public void WriteFrame_LinePayloadWithALineBreak_RefusedAndNothingWritten()
    {
        var output = new RecordingWriter(4096);

        var act = () => new LineCodec().WriteFrame(output, 0, static (_, writer) => writer.Write("two\nlines"u8));

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.InvalidLineEnding);
        output.Advances.Should().Be(0);
    }

    [Fact]
    public void WriteFrame_LengthBelowTheAdjustment_RefusedAndNothingWritten()
    {
        // A negative length adjustment means the announced length counts bytes the payload must at least have.
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { LengthAdjustment = 4 });
        var output = new RecordingWriter(4096);

        var act = () => codec.WriteFrame(output, 0, static (_, writer) => writer.Write("ab"u8));

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
        output.Advances.Should().Be(0);
    }

    [Theory]
    [InlineData(LengthPrefix.OneByte, 1000, 255)]
    [InlineData(LengthPrefix.TwoBytes, 100_000, 65_535)]
    [InlineData(LengthPrefix.FourBytes, 4100, 4096)]
    [InlineData(LengthPrefix.EightBytes, 4100, 4092)]
    [InlineData(LengthPrefix.Varint, 200, 198)]
    [InlineData(LengthPrefix.Varint, 16 * 1024 * 1024, (16 * 1024 * 1024) - 4)]
    public void MaxPayloadLength_LengthPrefixed_IsTheLargestPayloadWriteFrameAccepts(LengthPrefix prefix, int maxFrame, int expected)
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = prefix, MaxFrameLength = maxFrame });

        codec.MaxPayloadLength.Should().Be(expected);
        var output = new ArrayBufferWriter<byte>();
        codec.WriteFrame(new byte[expected], output);
        FluentActions.Invoking(() => codec.WriteFrame(new byte[expected + 1], new ArrayBufferWriter<byte>())).Should().Throw<FramingException>();
    }

    [Fact]
    public void MaxPayloadLength_LineAndWriteUtf_AreTheirMaximums()
    {
        new LineCodec(new LineCodecOptions { MaxLineLength = 123 }).MaxPayloadLength.Should().Be(123);
        JavaUtfCodec.Instance.MaxPayloadLength.Should().Be(65_535);
    }

    private static FrameCodec Codec(string name) => name switch
    {
        "length-prefixed" => new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = 64 * 1024 }),
        "two-byte little-endian" => new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.TwoBytes, ByteOrder = ByteOrder.LittleEndian }),
        "varint" => new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.Varint, MaxFrameLength = 64 * 1024 }),
        "line" => new LineCodec(new LineCodecOptions { MaxLineLength = 64 * 1024 }),
        "crlf line" => new LineCodec(new LineCodecOptions { Terminator = LineTerminator.CrLf }),
        "writeUTF" => JavaUtfCodec.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static byte[] SpanForm(FrameCodec codec, byte[] payload)
    {
        var expected = new ArrayBufferWriter<byte>();
        codec.WriteFrame(payload, expected);
        return expected.WrittenSpan.ToArray();
    }

    /// <summary>An output over one array that lends its free tail and grows by moving to a new array (as a pipe moves to a new segment).</summary>
    private sealed class RecordingWriter(int firstSize) : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];

        public byte[] Buffer { get; private set; } = new byte[firstSize];

        public int Used { get; private set; }

        public int Advances { get; private set; }

        public byte[] Written => [.. _written];

        public void Advance(int count)
        {
            _written.AddRange(Buffer.AsSpan(Used, count).ToArray());
            Used += count;
            Advances++;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (Buffer.Length - Used < Math.Max(sizeHint, 1))
            {
                Buffer = new byte[Math.Max(sizeHint, 4096)];
                Used = 0;
            }

            return Buffer.AsMemory(Used);
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
