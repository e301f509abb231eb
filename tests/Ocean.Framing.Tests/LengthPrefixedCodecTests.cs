using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Ocean.Framing.Tests.Infrastructure;

namespace Ocean.Framing.Tests;

public sealed class LengthPrefixedCodecTests
{
    private static readonly int[] s_sizes = [0, 1, 127, 128, 255, 300, 65_535];

    private static readonly int[] s_streamSizes = [0, 1, 5, 0, 0, 130, 3, 0, 17, 2];

    private static readonly LengthPrefix[] s_prefixes = [LengthPrefix.Varint, LengthPrefix.OneByte, LengthPrefix.TwoBytes, LengthPrefix.FourBytes, LengthPrefix.EightBytes];

    public static TheoryData<LengthPrefix, ByteOrder, int> RoundTripCases
    {
        get
        {
            var data = new TheoryData<LengthPrefix, ByteOrder, int>();
            foreach (var prefix in s_prefixes)
            {
                foreach (var order in new[] { ByteOrder.BigEndian, ByteOrder.LittleEndian })
                {
                    foreach (var size in s_sizes.Where(s => s <= FieldMax(prefix)))
                    {
                        data.Add(prefix, order, size);
                    }
                }
            }

            return data;
        }
    }

    public static TheoryData<LengthPrefix, ByteOrder> PrefixesAndOrders
    {
        get
        {
            var data = new TheoryData<LengthPrefix, ByteOrder>();
            foreach (var prefix in s_prefixes)
            {
                data.Add(prefix, ByteOrder.BigEndian);
                data.Add(prefix, ByteOrder.LittleEndian);
            }

            return data;
        }
    }

    // ---- round trips and exact bytes ----------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void WriteFrame_EveryPrefixOrderAndSize_RoundTrips(LengthPrefix prefix, ByteOrder order, int size)
    {
        var codec = Codec(prefix, order);
        var payload = Payload(size, seed: size);
        var output = new ArrayBufferWriter<byte>();

        codec.WriteFrame(payload, output);
        var stream = output.WrittenSpan.ToArray();

        stream.Length.Should().Be(HeaderLength(prefix, size) + size);
        foreach (var chunks in new[] { Array.Empty<int>(), size < 1000 ? new[] { 1 } : new[] { 3, 1000 } })
        {
            var (frames, leftover) = Sequences.DecodeAll(codec, stream, chunks);

            leftover.Should().Be(0);
            frames.Should().ContainSingle().Which.Should().Equal(payload);
        }
    }

    [Theory]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.BigEndian, "HELLO", "0000000548454C4C4F")]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.LittleEndian, "HELLO", "0500000048454C4C4F")]
    [InlineData(LengthPrefix.TwoBytes, ByteOrder.BigEndian, "AB", "00024142")]
    [InlineData(LengthPrefix.TwoBytes, ByteOrder.LittleEndian, "AB", "02004142")]
    [InlineData(LengthPrefix.OneByte, ByteOrder.BigEndian, "AB", "024142")]
    [InlineData(LengthPrefix.EightBytes, ByteOrder.BigEndian, "A", "000000000000000141")]
    [InlineData(LengthPrefix.EightBytes, ByteOrder.LittleEndian, "A", "010000000000000041")]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, "", "00")]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, "A", "0141")]
    public void WriteFrame_SmallPayload_WritesExactBytes(LengthPrefix prefix, ByteOrder order, string payload, string expectedHex)
    {
        var output = new ArrayBufferWriter<byte>();

        Codec(prefix, order).WriteFrame(Encoding.ASCII.GetBytes(payload), output);

        Convert.ToHexString(output.WrittenSpan).Should().Be(expectedHex);
    }

    [Theory]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, 127, "7F")]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, 128, "8001")]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, 300, "AC02")]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, 16_384, "808001")]
    [InlineData(LengthPrefix.TwoBytes, ByteOrder.BigEndian, 256, "0100")]
    [InlineData(LengthPrefix.TwoBytes, ByteOrder.LittleEndian, 256, "0001")]
    [InlineData(LengthPrefix.TwoBytes, ByteOrder.BigEndian, 65_535, "FFFF")]
    [InlineData(LengthPrefix.OneByte, ByteOrder.BigEndian, 255, "FF")]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.BigEndian, 65_536, "00010000")]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.LittleEndian, 65_536, "00000100")]
    public void WriteFrame_PayloadSize_WritesExactHeader(LengthPrefix prefix, ByteOrder order, int size, string expectedHeaderHex)
    {
        var output = new ArrayBufferWriter<byte>();

        Codec(prefix, order).WriteFrame(new byte[size], output);

        Convert.ToHexString(output.WrittenSpan[..(expectedHeaderHex.Length / 2)]).Should().Be(expectedHeaderHex);
        output.WrittenCount.Should().Be((expectedHeaderHex.Length / 2) + size);
    }

    [Theory]
    [InlineData(LengthPrefix.TwoBytes, 2, "000E")]
    [InlineData(LengthPrefix.FourBytes, 4, "00000010")]
    public void WriteFrame_NegativeAdjustment_CountsHeaderInLength(LengthPrefix prefix, int headerLength, string expectedHeaderHex)
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = prefix, LengthAdjustment = -headerLength });
        var output = new ArrayBufferWriter<byte>();

        codec.WriteFrame("HELLO, OCEAN"u8, output);

        Convert.ToHexString(output.WrittenSpan[..headerLength]).Should().Be(expectedHeaderHex);
        var (frames, _) = Sequences.DecodeAll(codec, output.WrittenSpan.ToArray(), 1);
        frames.Should().ContainSingle().Which.Should().Equal("HELLO, OCEAN"u8.ToArray());
    }

    // ---- streams: one byte at a time, split, truncated ----------------------------------------------------

    [Theory]
    [MemberData(nameof(PrefixesAndOrders))]
    public void TryReadFrame_OneByteAtATime_FindsSameFramesAsWholeStream(LengthPrefix prefix, ByteOrder order)
    {
        var codec = Codec(prefix, order);
        var (stream, _, payloads) = BuildStream(codec, s_streamSizes);

        var whole = Sequences.DecodeAll(codec, stream);
        var (frames, leftover) = Sequences.DecodeAll(codec, stream, 1);

        whole.Leftover.Should().Be(0);
        leftover.Should().Be(0);
        AssertFrames(whole.Frames, payloads);
        AssertFrames(frames, payloads);
    }

    [Theory]
    [MemberData(nameof(PrefixesAndOrders))]
    public void TryReadFrame_SplitIntoTwoSegmentsAtEveryPosition_FindsSameFrames(LengthPrefix prefix, ByteOrder order)
    {
        var codec = Codec(prefix, order);
        var (stream, _, payloads) = BuildStream(codec, s_streamSizes);

        for (var cut = 0; cut <= stream.Length; cut++)
        {
            var frames = DecodeSequence(codec.CreateDecoder(), Sequences.SplitAt(stream, cut), out var leftover);

            leftover.Should().Be(0);
            AssertFrames(frames, payloads, $"cut at {cut}");
        }
    }

    [Theory]
    [MemberData(nameof(PrefixesAndOrders))]
    public void TryReadFrame_SplitIntoThreeSegmentsAtEveryPosition_FindsSameFrames(LengthPrefix prefix, ByteOrder order)
    {
        var codec = Codec(prefix, order);
        var (stream, _, payloads) = BuildStream(codec, [0, 3, 1, 0, 20, 2, 0, 9]);

        for (var first = 0; first <= stream.Length; first++)
        {
            for (var second = first; second <= stream.Length; second++)
            {
                var frames = DecodeSequence(codec.CreateDecoder(), Sequences.SplitAt(stream, first, second), out var leftover);

                if (leftover != 0)
                {
                    Assert.Fail($"{leftover} bytes left over with cuts at {first} and {second}.");
                }

                AssertFrames(frames, payloads, $"cuts at {first} and {second}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(PrefixesAndOrders))]
    public void DecodeAll_TruncatedAtEveryPosition_FindsOnlyCompleteFrames(LengthPrefix prefix, ByteOrder order)
    {
        var codec = Codec(prefix, order);
        var (stream, ends, payloads) = BuildStream(codec, s_streamSizes);

        for (var length = 0; length <= stream.Length; length++)
        {
            foreach (var size in new[] { 5, Math.Max(1, length) })
            {
                var (frames, leftover) = Sequences.DecodeAll(codec, stream[..length], size);

                var complete = ends.Count(e => e <= length);
                AssertFrames(frames, payloads.Take(complete).ToList(), $"truncated at {length}");
                leftover.Should().Be(length - (complete == 0 ? 0 : ends[complete - 1]));
            }
        }
    }

    [Theory]
    [InlineData(LengthPrefix.Varint, "000000")]
    [InlineData(LengthPrefix.OneByte, "000000")]
    [InlineData(LengthPrefix.TwoBytes, "000000000000")]
    [InlineData(LengthPrefix.FourBytes, "000000000000000000000000")]
    [InlineData(LengthPrefix.EightBytes, "000000000000000000000000000000000000000000000000")]
    public void TryReadFrame_SeveralZeroLengthFrames_FindsEmptyFrames(LengthPrefix prefix, string hex)
    {
        var codec = Codec(prefix, ByteOrder.BigEndian);

        var (frames, leftover) = Sequences.DecodeAll(codec, Convert.FromHexString(hex), 1);

        leftover.Should().Be(0);
        frames.Should().HaveCount(3).And.OnlyContain(f => f.Length == 0);
    }

    [Fact]
    public void TryReadFrame_IncompleteHeader_ReturnsFalseAndExaminesAll()
    {
        var decoder = Codec(LengthPrefix.FourBytes, ByteOrder.BigEndian).CreateDecoder();
        var input = Sequences.Of([0x00], [0x00, 0x00]);

        decoder.TryReadFrame(input, out _, out var consumed, out var examined).Should().BeFalse();

        Offset(input, consumed).Should().Be(0);
        Offset(input, examined).Should().Be(3);
    }

    // ---- maximum, negative, overflowing and malformed lengths ---------------------------------------------

    [Fact]
    public void TryReadFrame_ClaimedLength2Pow31_ThrowsFrameTooLargeFromHeaderAlone()
    {
        var decoder = new LengthPrefixedCodec().CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>([0x7F, 0xFF, 0xFF, 0xFF]), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
    }

    [Theory]
    [InlineData(LengthPrefix.OneByte, ByteOrder.BigEndian, "FF")]
    [InlineData(LengthPrefix.TwoBytes, ByteOrder.LittleEndian, "FFFF")]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.LittleEndian, "FFFFFF7F")]
    [InlineData(LengthPrefix.EightBytes, ByteOrder.BigEndian, "0000010000000000")]
    [InlineData(LengthPrefix.EightBytes, ByteOrder.LittleEndian, "FFFFFFFFFFFFFF0F")]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, "FFFFFFFF0F")]
    [InlineData(LengthPrefix.Varint, ByteOrder.BigEndian, "E501")]
    public void TryReadFrame_LengthOverMaximum_ThrowsFrameTooLargeFromHeaderAlone(LengthPrefix prefix, ByteOrder order, string headerHex)
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = prefix, ByteOrder = order, MaxFrameLength = 100 });
        var decoder = codec.CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>(Convert.FromHexString(headerHex)), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
    }

    [Theory]
    [InlineData(LengthPrefix.OneByte, 99, true)]
    [InlineData(LengthPrefix.OneByte, 100, false)]
    [InlineData(LengthPrefix.FourBytes, 96, true)]
    [InlineData(LengthPrefix.FourBytes, 97, false)]
    [InlineData(LengthPrefix.EightBytes, 92, true)]
    [InlineData(LengthPrefix.EightBytes, 93, false)]
    public void TryReadFrame_FrameAroundMaximum_CountsHeaderInMaximum(LengthPrefix prefix, int payloadLength, bool accepted)
    {
        var options = new LengthPrefixedCodecOptions { Prefix = prefix, MaxFrameLength = 100 };
        var stream = Frame(new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = prefix }), new byte[payloadLength]);

        var act = () => Sequences.DecodeAll(new LengthPrefixedCodec(options), stream);

        if (accepted)
        {
            act.Should().NotThrow().Subject.Frames.Should().ContainSingle().Which.Should().HaveCount(payloadLength);
        }
        else
        {
            act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
        }
    }

    [Theory]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.BigEndian, "FFFFFFFF")]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.BigEndian, "80000000")]
    [InlineData(LengthPrefix.FourBytes, ByteOrder.LittleEndian, "00000080")]
    [InlineData(LengthPrefix.EightBytes, ByteOrder.BigEndian, "8000000000000000")]
    [InlineData(LengthPrefix.EightBytes, ByteOrder.BigEndian, "FFFFFFFFFFFFFFFF")]
    [InlineData(LengthPrefix.EightBytes, ByteOrder.LittleEndian, "0000000000000080")]
    public void TryReadFrame_NegativeLength_ThrowsNegativeLength(LengthPrefix prefix, ByteOrder order, string headerHex)
    {
        var decoder = Codec(prefix, order).CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>(Convert.FromHexString(headerHex)), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.NegativeLength);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public void TryReadFrame_EightByteMaxValueWithAdjustment_ThrowsLengthOverflow(int adjustment)
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.EightBytes, LengthAdjustment = adjustment });
        var decoder = codec.CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>(Convert.FromHexString("7FFFFFFFFFFFFFFF")), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.LengthOverflow);
    }

    [Theory]
    [InlineData("808080808001")]
    [InlineData("8080808080")]
    [InlineData("FFFFFFFFFF")]
    public void TryReadFrame_VarintLongerThanFiveBytes_ThrowsMalformedLength(string hex)
    {
        var decoder = Codec(LengthPrefix.Varint, ByteOrder.BigEndian).CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>(Convert.FromHexString(hex)), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.MalformedLength);
    }

    [Theory]
    [InlineData(0x10)]
    [InlineData(0x40)]
    [InlineData(0x7F)]
    public void TryReadFrame_VarintFifthByteOver32Bits_ThrowsLengthOverflow(byte fifth)
    {
        var decoder = Codec(LengthPrefix.Varint, ByteOrder.BigEndian).CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>([0x80, 0x80, 0x80, 0x80, fifth]), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.LengthOverflow);
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")]
    [InlineData("FFFFFFFF")]
    [InlineData("AC")]
    public void TryReadFrame_IncompleteVarint_ReturnsFalse(string hex)
    {
        var decoder = Codec(LengthPrefix.Varint, ByteOrder.BigEndian).CreateDecoder();
        var input = new ReadOnlySequence<byte>(Convert.FromHexString(hex));

        decoder.TryReadFrame(input, out _, out var consumed, out var examined).Should().BeFalse();

        Offset(input, consumed).Should().Be(0);
        Offset(input, examined).Should().Be(input.Length);
    }

    [Fact]
    public void TryReadFrame_NonMinimalVarint_IsAccepted()
    {
        var decoder = Codec(LengthPrefix.Varint, ByteOrder.BigEndian).CreateDecoder();

        decoder.TryReadFrame(new ReadOnlySequence<byte>(Convert.FromHexString("828000" + "4142")), out var frame, out _, out _).Should().BeTrue();

        frame.ToArray().Should().Equal((byte)'A', (byte)'B');
    }

    // ---- Netty-style options ------------------------------------------------------------------------------

    [Fact]
    public void TryReadFrame_DefaultOptions_StripsFourByteHeader()
    {
        var decoder = new LengthPrefixedCodec().CreateDecoder();
        var input = new ReadOnlySequence<byte>([.. Convert.FromHexString("0000000C"), .. "HELLO, OCEAN"u8.ToArray()]);

        decoder.TryReadFrame(input, out var frame, out var consumed, out _).Should().BeTrue();

        frame.ToArray().Should().Equal("HELLO, OCEAN"u8.ToArray());
        Offset(input, consumed).Should().Be(16);
    }

    [Fact]
    public void TryReadFrame_LengthCountsHeaderAndHeaderKept_ReturnsWholeFrame()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions
        {
            Prefix = LengthPrefix.TwoBytes,
            LengthAdjustment = -2,
            InitialBytesToStrip = 0,
        });
        byte[] stream = [.. Convert.FromHexString("000E"), .. "HELLO, OCEAN"u8.ToArray()];

        var (frames, leftover) = Sequences.DecodeAll(codec, stream, 1);

        leftover.Should().Be(0);
        frames.Should().ContainSingle().Which.Should().Equal(stream);
    }

    [Fact]
    public void TryReadFrame_HeaderBeforeLengthStripped_ReturnsPayload()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions
        {
            Prefix = LengthPrefix.FourBytes,
            LengthFieldOffset = 2,
            InitialBytesToStrip = 6,
        });
        byte[] stream = [.. Convert.FromHexString("CAFE0000000C"), .. "HELLO, OCEAN"u8.ToArray(), .. Convert.FromHexString("BEEF00000000")];

        var (frames, leftover) = Sequences.DecodeAll(codec, stream, 1);

        leftover.Should().Be(0);
        frames.Should().HaveCount(2);
        frames[0].Should().Equal("HELLO, OCEAN"u8.ToArray());
        frames[1].Should().BeEmpty();
    }

    [Fact]
    public void TryReadFrame_HeaderBeforeLengthKept_ReturnsWholeFrame()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions
        {
            Prefix = LengthPrefix.TwoBytes,
            LengthFieldOffset = 1,
            InitialBytesToStrip = 0,
        });
        byte[] stream = Convert.FromHexString("7F0003414243");

        var (frames, _) = Sequences.DecodeAll(codec, stream, 1);

        frames.Should().ContainSingle().Which.Should().Equal(stream);
    }

    [Fact]
    public void TryReadFrame_VarintAfterOffset_ReadsLengthAtOffset()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.Varint, LengthFieldOffset = 3 });
        byte[] stream = [0xAA, 0xBB, 0xCC, 0xAC, 0x02, .. new byte[300]];

        foreach (var size in new[] { 1, 2, 100 })
        {
            var (frames, leftover) = Sequences.DecodeAll(codec, stream, size);

            leftover.Should().Be(0);
            frames.Should().ContainSingle().Which.Should().HaveCount(300);
        }
    }

    [Theory]
    [InlineData("0001")]
    [InlineData("0000")]
    public void TryReadFrame_AdjustmentMakesFrameShorterThanHeader_ThrowsNegativeLength(string headerHex)
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.TwoBytes, LengthAdjustment = -2 });
        var decoder = codec.CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>(Convert.FromHexString(headerHex)), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.NegativeLength);
    }

    [Fact]
    public void TryReadFrame_StripLongerThanFrame_ThrowsNegativeLength()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { InitialBytesToStrip = 10 });
        var decoder = codec.CreateDecoder();

        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>(Convert.FromHexString("000000024142")), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.NegativeLength);
    }

    [Fact]
    public void TryReadFrame_StripPartOfHeader_KeepsRestOfHeader()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { InitialBytesToStrip = 2 });

        var (frames, _) = Sequences.DecodeAll(codec, Convert.FromHexString("000000024142"));

        Convert.ToHexString(frames.Should().ContainSingle().Subject).Should().Be("00024142");
    }

    [Fact]
    public void Options_NegativeValues_ThrowArgumentOutOfRange()
    {
        var options = new LengthPrefixedCodecOptions();

        ((Action)(() => options.LengthFieldOffset = -1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.InitialBytesToStrip = -1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxFrameLength = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = (LengthPrefix)3 }))).Should().Throw<ArgumentException>();
    }

    // ---- FailFast = false ---------------------------------------------------------------------------------

    [Fact]
    public void TryReadFrame_NotFailFast_SkipsOversizedFrameThenThrowsThenDecodesNext()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = 16, FailFast = false });
        var decoder = codec.CreateDecoder();
        var oversized = new byte[4 + 100];
        oversized[3] = 100;
        oversized.AsSpan(4).Fill(0xAB);
        var valid = Convert.FromHexString("00000003414243");
        byte[] stream = [.. oversized, .. valid];

        // The oversized frame's bytes are consumed as they arrive, without waiting for all of them.
        var first = new ReadOnlySequence<byte>(stream, 0, 10);
        decoder.TryReadFrame(first, out _, out var consumed, out var examined).Should().BeFalse();
        Offset(first, consumed).Should().Be(10);
        Offset(first, examined).Should().Be(10);

        var second = new ReadOnlySequence<byte>(stream, 10, 50);
        decoder.TryReadFrame(second, out _, out consumed, out _).Should().BeFalse();
        Offset(second, consumed).Should().Be(50);

        // The rest of the oversized frame arrives with the valid frame behind it: skipped up to its end...
        var third = new ReadOnlySequence<byte>(stream, 60, stream.Length - 60);
        decoder.TryReadFrame(third, out _, out consumed, out _).Should().BeFalse();
        Offset(third, consumed).Should().Be(oversized.Length - 60);

        // ...then the next call refuses it, consuming nothing...
        var rest = new ReadOnlySequence<byte>(stream, oversized.Length, valid.Length);
        var act = () => decoder.TryReadFrame(rest, out _, out _, out _);
        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);

        // ...and the stream is still in step: the input continuing after the skipped frame decodes.
        decoder.TryReadFrame(rest, out var frame, out consumed, out _).Should().BeTrue();
        frame.ToArray().Should().Equal("ABC"u8.ToArray());
        Offset(rest, consumed).Should().Be(valid.Length);
    }

    [Fact]
    public void TryReadFrame_NotFailFastOneByteAtATime_ThrowsOnceRightAfterTheLastSkippedByte()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.OneByte, MaxFrameLength = 8, FailFast = false });
        var decoder = codec.CreateDecoder();
        byte[] stream = [20, .. new byte[20], 2, 0x41, 0x42];
        var throws = new List<int>();
        var frames = new List<byte[]>();
        var start = 0;
        var end = 0;

        while (end < stream.Length)
        {
            end++;
            var input = new ReadOnlySequence<byte>(stream, start, end - start);
            // Like a reader loop: decode again at once when bytes were consumed without a frame.
            while (true)
            {
                try
                {
                    var found = decoder.TryReadFrame(input, out var frame, out var consumed, out _);
                    if (found)
                    {
                        frames.Add(frame.ToArray());
                    }

                    var advanced = (int)Offset(input, consumed);
                    start += advanced;
                    input = input.Slice(advanced);
                    if (found || advanced == 0 || input.IsEmpty && !found && advanced == 0)
                    {
                        break;
                    }
                }
                catch (FramingException ex) when (ex.Error == FramingError.FrameTooLarge)
                {
                    throws.Add(end);
                }
            }
        }

        throws.Should().Equal(21);
        frames.Should().ContainSingle().Which.Should().Equal((byte)'A', (byte)'B');
    }

    [Fact]
    public void Reset_WhileDiscarding_ForgetsTheOversizedFrame()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.OneByte, MaxFrameLength = 8, FailFast = false });
        var decoder = codec.CreateDecoder();
        decoder.TryReadFrame(new ReadOnlySequence<byte>([200, 1, 2]), out _, out _, out _).Should().BeFalse();

        decoder.Reset();

        decoder.TryReadFrame(new ReadOnlySequence<byte>([1, 0x41]), out var frame, out _, out _).Should().BeTrue();
        frame.ToArray().Should().Equal((byte)'A');
    }

    // ---- encoder ------------------------------------------------------------------------------------------

    [Fact]
    public void WriteFrame_OneBytePrefix256Bytes_ThrowsFrameTooLargeAndWritesNothing()
    {
        var codec = Codec(LengthPrefix.OneByte, ByteOrder.BigEndian);
        var output = new ArrayBufferWriter<byte>();

        var act = () => codec.WriteFrame(new byte[256], output);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void WriteFrame_TwoBytePrefix65536Bytes_ThrowsFrameTooLarge()
    {
        var act = () => Codec(LengthPrefix.TwoBytes, ByteOrder.BigEndian).WriteFrame(new byte[65_536], new ArrayBufferWriter<byte>());

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
    }

    [Theory]
    [InlineData(LengthPrefix.OneByte, 99)]
    [InlineData(LengthPrefix.TwoBytes, 98)]
    [InlineData(LengthPrefix.FourBytes, 96)]
    [InlineData(LengthPrefix.EightBytes, 92)]
    [InlineData(LengthPrefix.Varint, 99)]
    public void WriteFrame_OverMaxFrameLength_ThrowsFrameTooLargeAndWritesNothing(LengthPrefix prefix, int largestPayload)
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = prefix, MaxFrameLength = 100 });
        var output = new ArrayBufferWriter<byte>();

        codec.WriteFrame(new byte[largestPayload], output);
        output.WrittenCount.Should().Be(100);
        var act = () => codec.WriteFrame(new byte[largestPayload + 1], output);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
        output.WrittenCount.Should().Be(100);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(16_384)]
    [InlineData(1024 * 1024)]
    public void WriteFrame_VarintNearMaxFrameLength_WritesOnlyFramesTheDecoderAccepts(int maxFrameLength)
    {
        // The maximum counts the whole header; a multi-byte varint header must count in full.
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.Varint, MaxFrameLength = maxFrameLength });

        for (var size = maxFrameLength - 6; size <= maxFrameLength; size++)
        {
            var output = new ArrayBufferWriter<byte>();
            try
            {
                codec.WriteFrame(new byte[size], output);
            }
            catch (FramingException ex) when (ex.Error == FramingError.FrameTooLarge)
            {
                continue;
            }

            output.WrittenCount.Should().BeLessThanOrEqualTo(maxFrameLength, "WriteFrame accepted a {0}-byte payload", size);
            var decode = () => Sequences.DecodeAll(codec, output.WrittenSpan.ToArray());
            decode.Should().NotThrow("what WriteFrame writes ({0}-byte payload) must decode with the same options", size);
        }
    }

    [Fact]
    public void WriteFrame_NonZeroLengthFieldOffset_ThrowsNotSupported()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { LengthFieldOffset = 2 });

        var span = () => codec.WriteFrame("x"u8, new ArrayBufferWriter<byte>());
        var state = () => codec.WriteFrame(new ArrayBufferWriter<byte>(), 0, static (_, w) => w.Write("x"u8));

        span.Should().Throw<NotSupportedException>();
        state.Should().Throw<NotSupportedException>();
    }

    [Theory]
    [MemberData(nameof(PrefixesAndOrders))]
    public async Task WriteFrameWithState_IntoPipeAndBufferWriter_WritesSameBytesAsSpanOverload(LengthPrefix prefix, ByteOrder order)
    {
        var codec = Codec(prefix, order);
        var sizes = s_sizes.Where(s => s <= FieldMax(prefix)).Append(Math.Min(10_000, (int)FieldMax(prefix))).ToArray();
        var expected = new ArrayBufferWriter<byte>();
        var copied = new ArrayBufferWriter<byte>();
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 512, pauseWriterThreshold: 0));

        // Something already in the pipe, so headers land at odd offsets in its segments.
        pipe.Writer.Write(new byte[509]);
        foreach (var size in sizes)
        {
            var payload = Payload(size, seed: size + 1);
            codec.WriteFrame(payload, expected);
            codec.WriteFrame(copied, payload, WriteInPieces);
            codec.WriteFrame(pipe.Writer, payload, WriteInPieces);
        }

        await pipe.Writer.FlushAsync();
        await pipe.Writer.CompleteAsync();
        var piped = await pipe.Reader.ReadToEndAsync();

        copied.WrittenSpan.ToArray().Should().Equal(expected.WrittenSpan.ToArray());
        piped[509..].Should().Equal(expected.WrittenSpan.ToArray());
    }

    [Fact]
    public async Task WriteFrameWithState_PipeAndOneBytePrefixTooLong_ThrowsFrameTooLarge()
    {
        var codec = Codec(LengthPrefix.OneByte, ByteOrder.BigEndian);
        var pipe = new Pipe();

        var act = () => codec.WriteFrame(pipe.Writer, new byte[256], WriteInPieces);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
        await pipe.Writer.CompleteAsync();
        await pipe.Reader.CompleteAsync();
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /// <summary>How far <paramref name="position"/> is from the start of <paramref name="sequence"/> (GetOffset counts from the first segment's origin, not the slice's start).</summary>
    private static long Offset(in ReadOnlySequence<byte> sequence, SequencePosition position) => sequence.Slice(sequence.Start, position).Length;

    private static LengthPrefixedCodec Codec(LengthPrefix prefix, ByteOrder order) =>
        new(new LengthPrefixedCodecOptions { Prefix = prefix, ByteOrder = order });

    private static long FieldMax(LengthPrefix prefix) => prefix switch
    {
        LengthPrefix.OneByte => byte.MaxValue,
        LengthPrefix.TwoBytes => ushort.MaxValue,
        _ => int.MaxValue,
    };

    private static int HeaderLength(LengthPrefix prefix, int size) => prefix switch
    {
        LengthPrefix.Varint => size < 0x80 ? 1 : size < 0x4000 ? 2 : size < 0x200000 ? 3 : size < 0x10000000 ? 4 : 5,
        _ => (int)prefix,
    };

    private static byte[] Payload(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Frame(LengthPrefixedCodec codec, byte[] payload)
    {
        var output = new ArrayBufferWriter<byte>();
        codec.WriteFrame(payload, output);
        return output.WrittenSpan.ToArray();
    }

    private static (byte[] Stream, List<int> Ends, List<byte[]> Payloads) BuildStream(LengthPrefixedCodec codec, int[] sizes)
    {
        var output = new ArrayBufferWriter<byte>();
        var ends = new List<int>();
        var payloads = new List<byte[]>();
        foreach (var size in sizes)
        {
            var payload = Payload(size, seed: payloads.Count);
            codec.WriteFrame(payload, output);
            ends.Add(output.WrittenCount);
            payloads.Add(payload);
        }

        return (output.WrittenSpan.ToArray(), ends, payloads);
    }

    private static void WriteInPieces(byte[] payload, IBufferWriter<byte> writer)
    {
        for (var offset = 0; offset < payload.Length; offset += 333)
        {
            var piece = payload.AsSpan(offset, Math.Min(333, payload.Length - offset));
            piece.CopyTo(writer.GetSpan(piece.Length));
            writer.Advance(piece.Length);
        }
    }

    private static List<byte[]> DecodeSequence(IFrameDecoder decoder, ReadOnlySequence<byte> input, out long leftover)
    {
        var frames = new List<byte[]>();
        while (decoder.TryReadFrame(input, out var frame, out var consumed, out _))
        {
            if (Offset(input, consumed) <= 0)
            {
                Assert.Fail("A frame must consume at least its header.");
            }

            frames.Add(frame.ToArray());
            input = input.Slice(consumed);
        }

        leftover = input.Length;
        return frames;
    }

    private static void AssertFrames(List<byte[]> actual, List<byte[]> expected, string because = "")
    {
        if (actual.Count == expected.Count && actual.Zip(expected).All(p => p.First.AsSpan().SequenceEqual(p.Second)))
        {
            return; // the common case, without building assertion messages
        }

        actual.Should().HaveCount(expected.Count, because);
        for (var i = 0; i < expected.Count; i++)
        {
            actual[i].Should().Equal(expected[i], because);
        }
    }
}
