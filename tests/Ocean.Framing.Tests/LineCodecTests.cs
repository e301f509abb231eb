using System.Buffers;
using System.Text;
using Ocean.Framing.Tests.Infrastructure;

namespace Ocean.Framing.Tests;

public sealed class LineCodecTests
{
    private static readonly string[] s_lines = ["hello", "", "café 日本 😀", "tab\there", "", "a lone \r inside", "last"];

    private static readonly string[] s_linesWithoutCr = ["hello", "", "café 日本 😀", "tab\there", "", "last"];

    // ---- round trips -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(LineTerminator.Lf)]
    [InlineData(LineTerminator.CrLf)]
    public void WriteLine_SeveralLines_DecodeToSameText(LineTerminator terminator)
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = terminator });
        var stream = EncodeLines(codec, s_linesWithoutCr);

        var (frames, leftover) = Sequences.DecodeAll(codec, stream);

        leftover.Should().Be(0);
        frames.Select(f => codec.GetString(new ReadOnlySequence<byte>(f))).Should().Equal(s_linesWithoutCr);
    }

    [Fact]
    public void WriteLine_CrLfTerminator_WritesCrLfAfterEachLine()
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = LineTerminator.CrLf });
        var output = new ArrayBufferWriter<byte>();

        codec.WriteLine("ab", output);
        codec.WriteFrame(""u8, output);

        output.WrittenSpan.ToArray().Should().Equal((byte)'a', (byte)'b', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n');
    }

    [Fact]
    public void WriteLine_LfTerminator_WritesLfAfterEachLine()
    {
        var codec = new LineCodec();
        var output = new ArrayBufferWriter<byte>();

        codec.WriteLine("é", output);

        output.WrittenSpan.ToArray().Should().Equal(0xC3, 0xA9, (byte)'\n');
    }

    [Theory]
    [InlineData(LineTerminator.Lf, false)]
    [InlineData(LineTerminator.CrLf, false)]
    [InlineData(LineTerminator.CrLf, true)]
    public void WriteLine_LongerThanStackBuffer_RoundTrips(LineTerminator terminator, bool strict)
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = terminator, StrictCrLf = strict });
        var line = string.Concat(Enumerable.Repeat("日本語 text ", 400)); // well over the 1 KiB stack path
        var output = new ArrayBufferWriter<byte>();

        codec.WriteLine(line, output);
        var (frames, leftover) = Sequences.DecodeAll(codec, output.WrittenSpan.ToArray(), 97);

        leftover.Should().Be(0);
        frames.Should().ContainSingle();
        codec.GetString(new ReadOnlySequence<byte>(frames[0])).Should().Be(line);
    }

    [Theory]
    [InlineData(LineTerminator.Lf, false)]
    [InlineData(LineTerminator.CrLf, false)]
    [InlineData(LineTerminator.CrLf, true)]
    public void TryReadFrame_OneByteAtATime_FindsSameFramesAsWholeStream(LineTerminator terminator, bool strict)
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = terminator, StrictCrLf = strict });
        var stream = EncodeLines(codec, s_linesWithoutCr);
        var whole = Sequences.DecodeAll(codec, stream);

        var (frames, leftover) = Sequences.DecodeAll(codec, stream, 1);

        leftover.Should().Be(0);
        AssertSameFrames(frames, whole.Frames);
        frames.Should().HaveCount(s_linesWithoutCr.Length);
    }

    [Theory]
    [InlineData(LineTerminator.Lf, false)]
    [InlineData(LineTerminator.CrLf, false)]
    [InlineData(LineTerminator.CrLf, true)]
    public void TryReadFrame_SplitIntoTwoSegmentsAtEveryPosition_FindsSameFrames(LineTerminator terminator, bool strict)
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = terminator, StrictCrLf = strict });
        var stream = EncodeLines(codec, s_linesWithoutCr);
        var expected = DecodeSequence(codec.CreateDecoder(), new ReadOnlySequence<byte>(stream), out _);

        for (var cut = 0; cut <= stream.Length; cut++)
        {
            var frames = DecodeSequence(codec.CreateDecoder(), Sequences.SplitAt(stream, cut), out var leftover);

            leftover.Should().Be(0, "cut at {0}", cut);
            AssertSameFrames(frames, expected, $"cut at {cut}");
        }
    }

    [Theory]
    [InlineData(LineTerminator.Lf, false)]
    [InlineData(LineTerminator.CrLf, false)]
    [InlineData(LineTerminator.CrLf, true)]
    public void TryReadFrame_SplitIntoThreeSegmentsAtEveryPosition_FindsSameFrames(LineTerminator terminator, bool strict)
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = terminator, StrictCrLf = strict });
        var stream = EncodeLines(codec, s_linesWithoutCr);
        var expected = DecodeSequence(codec.CreateDecoder(), new ReadOnlySequence<byte>(stream), out _);

        for (var first = 0; first <= stream.Length; first++)
        {
            for (var second = first; second <= stream.Length; second++)
            {
                var frames = DecodeSequence(codec.CreateDecoder(), Sequences.SplitAt(stream, first, second), out var leftover);

                if (leftover != 0)
                {
                    Assert.Fail($"{leftover} bytes left over with cuts at {first} and {second}.");
                }

                AssertSameFrames(frames, expected, $"cuts at {first} and {second}");
            }
        }
    }

    [Fact]
    public void TryReadFrame_LenientLinesOneByteAtATimeAndSplit_KeepLoneCrAsContent()
    {
        var codec = new LineCodec();
        var stream = Encoding.UTF8.GetBytes(string.Concat(s_lines.Select((l, i) => l + (i % 2 == 0 ? "\n" : "\r\n"))));

        for (var size = 1; size <= 5; size++)
        {
            var (frames, leftover) = Sequences.DecodeAll(codec, stream, size);

            leftover.Should().Be(0);
            frames.Select(f => Encoding.UTF8.GetString(f)).Should().Equal(s_lines);
        }
    }

    // ---- lenient and strict line endings ------------------------------------------------------------------

    [Fact]
    public void TryReadFrame_LenientMixedEndings_StripsCrBeforeLfAndKeepsLoneCr()
    {
        var codec = new LineCodec();

        var (frames, leftover) = Sequences.DecodeAll(codec, Ascii("a\nb\r\nc\rd\n\r\n\rx\r\r\n"));

        leftover.Should().Be(0);
        frames.Select(Text).Should().Equal("a", "b", "c\rd", "", "\rx\r");
    }

    [Fact]
    public void TryReadFrame_LenientCrLfSplitBetweenSegments_StripsCr()
    {
        var decoder = new LineCodec().CreateDecoder();
        var input = Sequences.Of(Ascii("abc\r"), Ascii("\nrest"));

        var found = decoder.TryReadFrame(input, out var frame, out var consumed, out _);

        found.Should().BeTrue();
        Text(frame.ToArray()).Should().Be("abc");
        Offset(input, consumed).Should().Be(5);
    }

    [Fact]
    public void TryReadFrame_LenientCrAsOnlyByteOfLastSegment_StripsCr()
    {
        var decoder = new LineCodec().CreateDecoder();
        var input = Sequences.Of(Ascii("ab"), Ascii("\r"), [], Ascii("\n"));

        decoder.TryReadFrame(input, out var frame, out var consumed, out _).Should().BeTrue();

        Text(frame.ToArray()).Should().Be("ab");
        Offset(input, consumed).Should().Be(4);
    }

    [Fact]
    public void TryReadFrame_StrictCrLf_FindsLines()
    {
        var codec = new LineCodec(new LineCodecOptions { StrictCrLf = true });

        var (frames, leftover) = Sequences.DecodeAll(codec, Ascii("a\r\n\r\nbc\r\n"));

        leftover.Should().Be(0);
        frames.Select(Text).Should().Equal("a", "", "bc");
    }

    [Theory]
    [InlineData("abc\n")]
    [InlineData("\n")]
    [InlineData("ok\r\nabc\ndef\r\n")]
    public void TryReadFrame_StrictLoneLf_ThrowsInvalidLineEnding(string input)
    {
        var codec = new LineCodec(new LineCodecOptions { StrictCrLf = true });

        var act = () => Sequences.DecodeAll(codec, Ascii(input));

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.InvalidLineEnding);
    }

    [Theory]
    [InlineData("ab\rc\r\n")]
    [InlineData("\rx")]
    [InlineData("ab\r\r\n")]
    public void TryReadFrame_StrictLoneCrFollowedByByte_ThrowsInvalidLineEnding(string input)
    {
        var codec = new LineCodec(new LineCodecOptions { StrictCrLf = true });

        foreach (var size in new[] { 1, 2, input.Length })
        {
            var act = () => Sequences.DecodeAll(codec, Ascii(input), size);

            act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.InvalidLineEnding);
        }
    }

    [Fact]
    public void TryReadFrame_StrictCrIsLastByteSoFar_WaitsForNextByte()
    {
        var decoder = new LineCodec(new LineCodecOptions { StrictCrLf = true }).CreateDecoder();
        var first = Sequences.Of(Ascii("abc\r"));

        var found = decoder.TryReadFrame(first, out _, out var consumed, out var examined);

        found.Should().BeFalse();
        Offset(first, consumed).Should().Be(0);
        Offset(first, examined).Should().Be(first.Length);

        var grown = Sequences.Of(Ascii("abc\r"), Ascii("\n"));
        decoder.TryReadFrame(grown, out var frame, out consumed, out examined).Should().BeTrue();
        Text(frame.ToArray()).Should().Be("abc");
        Offset(grown, consumed).Should().Be(5);
        Offset(grown, examined).Should().Be(5);
    }

    [Fact]
    public void TryReadFrame_StrictCrIsLastByteThenOtherByte_ThrowsInvalidLineEnding()
    {
        var decoder = new LineCodec(new LineCodecOptions { StrictCrLf = true }).CreateDecoder();
        decoder.TryReadFrame(Sequences.Of(Ascii("abc\r")), out _, out _, out _).Should().BeFalse();

        var act = () => decoder.TryReadFrame(Sequences.Of(Ascii("abc\r"), Ascii("d")), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.InvalidLineEnding);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryReadFrame_PharoSendCommand_DecodesWithoutCr(bool strict)
    {
        // Pharo's SocketStream>>sendCommand: writes the string followed by CR LF.
        var codec = new LineCodec(new LineCodecOptions { StrictCrLf = strict });

        var (frames, leftover) = Sequences.DecodeAll(codec, Ascii("Pharo\r\n"));

        leftover.Should().Be(0);
        frames.Should().ContainSingle();
        codec.GetString(new ReadOnlySequence<byte>(frames[0])).Should().Be("Pharo");
    }

    // ---- maximum line length ------------------------------------------------------------------------------

    [Theory]
    [InlineData(false, "\n")]
    [InlineData(false, "\r\n")]
    [InlineData(true, "\r\n")]
    public void TryReadFrame_LineOfExactlyMax_IsAccepted(bool strict, string terminator)
    {
        const int Max = 16;
        var codec = new LineCodec(new LineCodecOptions { StrictCrLf = strict, MaxLineLength = Max });
        var stream = Ascii(new string('x', Max) + terminator);

        foreach (var size in new[] { 1, 3, stream.Length })
        {
            var (frames, leftover) = Sequences.DecodeAll(codec, stream, size);

            leftover.Should().Be(0);
            frames.Should().ContainSingle().Which.Should().HaveCount(Max);
        }
    }

    [Theory]
    [InlineData(false, "\n")]
    [InlineData(false, "\r\n")]
    [InlineData(true, "\r\n")]
    public void TryReadFrame_LineOfMaxPlusOne_ThrowsLineTooLong(bool strict, string terminator)
    {
        const int Max = 16;
        var codec = new LineCodec(new LineCodecOptions { StrictCrLf = strict, MaxLineLength = Max });
        var stream = Ascii(new string('x', Max + 1) + terminator);

        foreach (var size in new[] { 1, 3, stream.Length })
        {
            var act = () => Sequences.DecodeAll(codec, stream, size);

            act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.LineTooLong);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryReadFrame_LongLineWithoutTerminator_RefusedByMaxPlusTwoBytes(bool strict)
    {
        const int Max = 16;
        var decoder = new LineCodec(new LineCodecOptions { StrictCrLf = strict, MaxLineLength = Max }).CreateDecoder();
        var bytes = Ascii(new string('x', Max + 10));
        var refusedAt = -1;

        for (var arrived = 1; arrived <= bytes.Length; arrived++)
        {
            try
            {
                decoder.TryReadFrame(new ReadOnlySequence<byte>(bytes, 0, arrived), out _, out _, out _).Should().BeFalse();
            }
            catch (FramingException ex)
            {
                ex.Error.Should().Be(FramingError.LineTooLong);
                refusedAt = arrived;
                break;
            }
        }

        refusedAt.Should().BeInRange(Max + 1, Max + 2);
    }

    [Fact]
    public void TryReadFrame_LenientMaxBytesThenCr_WaitsForLf()
    {
        // max bytes of content plus a CR may still be a valid line: the decoder must not refuse it yet.
        const int Max = 16;
        var decoder = new LineCodec(new LineCodecOptions { MaxLineLength = Max }).CreateDecoder();
        var bytes = Ascii(new string('x', Max) + "\r\n");

        decoder.TryReadFrame(new ReadOnlySequence<byte>(bytes, 0, Max + 1), out _, out _, out _).Should().BeFalse();
        decoder.TryReadFrame(new ReadOnlySequence<byte>(bytes), out var frame, out _, out _).Should().BeTrue();
        frame.Length.Should().Be(Max);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryReadFrame_HugeLineIn4KiBChunks_RefusedWithoutBufferingIt(bool strict)
    {
        const int Chunk = 4096;
        const int Total = 10 * 1024 * 1024;
        var options = new LineCodecOptions { StrictCrLf = strict };
        var max = options.MaxLineLength;
        var decoder = new LineCodec(options).CreateDecoder();
        var chunk = new byte[Chunk];
        chunk.AsSpan().Fill((byte)'x');
        var chunks = new List<byte[]>();
        long arrived = 0;
        FramingException? refusal = null;

        while (arrived < Total && refusal is null)
        {
            chunks.Add(chunk);
            arrived += Chunk;
            try
            {
                var input = Sequences.Of([.. chunks]);
                decoder.TryReadFrame(input, out _, out var consumed, out var examined).Should().BeFalse();
                Offset(input, consumed).Should().Be(0);
                Offset(input, examined).Should().Be(input.Length);
            }
            catch (FramingException ex)
            {
                refusal = ex;
            }
        }

        refusal.Should().NotBeNull();
        refusal!.Error.Should().Be(FramingError.LineTooLong);
        arrived.Should().BeLessThanOrEqualTo(max + Chunk + 2);
    }

    [Theory]
    [InlineData(false, "\n")]
    [InlineData(true, "\r\n")]
    public void TryReadFrame_100KBLineOneByteAtATime_ExaminesToEndAndFindsLine(bool strict, string terminator)
    {
        const int Length = 100_000;
        var decoder = new LineCodec(new LineCodecOptions { StrictCrLf = strict, MaxLineLength = 1024 * 1024 }).CreateDecoder();
        var bytes = new byte[Length + terminator.Length];
        bytes.AsSpan(0, Length).Fill((byte)'y');
        Ascii(terminator).CopyTo(bytes, Length);

        for (var arrived = 1; arrived < bytes.Length; arrived++)
        {
            var input = new ReadOnlySequence<byte>(bytes, 0, arrived);
            if (decoder.TryReadFrame(input, out _, out var consumed, out var examined))
            {
                Assert.Fail($"A frame was found after only {arrived} bytes.");
            }

            if (Offset(input, consumed) != 0 || Offset(input, examined) != arrived)
            {
                Assert.Fail($"After {arrived} bytes: consumed {Offset(input, consumed)}, examined {Offset(input, examined)}.");
            }
        }

        var whole = new ReadOnlySequence<byte>(bytes);
        decoder.TryReadFrame(whole, out var frame, out var end, out var examinedEnd).Should().BeTrue();
        frame.Length.Should().Be(Length);
        Offset(whole, end).Should().Be(bytes.Length);
        Offset(whole, examinedEnd).Should().Be(bytes.Length);
    }

    [Theory]
    [InlineData(false, "\n")]
    [InlineData(true, "\r\n")]
    public void TryReadFrame_LineInOneByteSegments_ReportsPositionsAcrossSegments(bool strict, string terminator)
    {
        const int Length = 1500;
        var decoder = new LineCodec(new LineCodecOptions { StrictCrLf = strict }).CreateDecoder();
        var bytes = Ascii(new string('z', Length) + terminator + "next");
        var segments = OneByteSegments(bytes);

        for (var arrived = 1; arrived < Length + terminator.Length; arrived++)
        {
            var input = new ReadOnlySequence<byte>(segments[0], 0, segments[arrived - 1], 1);
            if (decoder.TryReadFrame(input, out _, out var consumed, out var examined)
                || Offset(input, consumed) != 0
                || Offset(input, examined) != arrived)
            {
                Assert.Fail($"Unexpected result after {arrived} bytes.");
            }
        }

        var all = new ReadOnlySequence<byte>(segments[0], 0, segments[^1], 1);
        decoder.TryReadFrame(all, out var frame, out var end, out _).Should().BeTrue();
        frame.Length.Should().Be(Length);
        Offset(all, end).Should().Be(Length + terminator.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryReadFrame_BytesAlreadyExamined_AreNotScannedAgain(bool strict)
    {
        // White-box proof of "never rescans": once bytes have been examined, the decoder resumes after them,
        // so terminators planted afterwards in that region are not seen.
        var decoder = new LineCodec(new LineCodecOptions { StrictCrLf = strict }).CreateDecoder();
        var bytes = Ascii("abcdef\r\n");

        decoder.TryReadFrame(new ReadOnlySequence<byte>(bytes, 0, 4), out _, out _, out _).Should().BeFalse();
        bytes[1] = (byte)'\n';
        bytes[2] = (byte)'\r';

        decoder.TryReadFrame(new ReadOnlySequence<byte>(bytes), out var frame, out _, out _).Should().BeTrue();

        frame.ToArray().Should().Equal(Ascii("a\n\rdef"));
    }

    [Fact]
    public void Reset_AfterPartialLine_StartsScanningFromTheBeginning()
    {
        var decoder = new LineCodec().CreateDecoder();
        decoder.TryReadFrame(Sequences.Of(Ascii("abcdef")), out _, out _, out _).Should().BeFalse();

        decoder.Reset();

        decoder.TryReadFrame(Sequences.Of(Ascii("x\ny")), out var frame, out _, out _).Should().BeTrue();
        Text(frame.ToArray()).Should().Be("x");
    }

    [Fact]
    public void TryReadFrame_AfterFrameFound_StartsNextLineFromScratch()
    {
        var decoder = new LineCodec().CreateDecoder();
        var input = Sequences.Of(Ascii("first\nsec"));

        decoder.TryReadFrame(input, out _, out var consumed, out _).Should().BeTrue();
        var rest = input.Slice(consumed);
        decoder.TryReadFrame(rest, out _, out _, out _).Should().BeFalse();

        decoder.TryReadFrame(Sequences.Of(Ascii("sec"), Ascii("ond\n")), out var frame, out _, out _).Should().BeTrue();
        Text(frame.ToArray()).Should().Be("second");
    }

    // ---- truncation ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData(LineTerminator.Lf, false)]
    [InlineData(LineTerminator.CrLf, false)]
    [InlineData(LineTerminator.CrLf, true)]
    public void DecodeAll_TruncatedAtEveryPosition_FindsOnlyCompleteLines(LineTerminator terminator, bool strict)
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = terminator, StrictCrLf = strict });
        var ends = new List<int>();
        var output = new ArrayBufferWriter<byte>();
        foreach (var line in s_linesWithoutCr)
        {
            codec.WriteLine(line, output);
            ends.Add(output.WrittenCount);
        }

        var stream = output.WrittenSpan.ToArray();
        var all = Sequences.DecodeAll(codec, stream).Frames;

        for (var length = 0; length <= stream.Length; length++)
        {
            foreach (var size in new[] { 1, 4, Math.Max(1, length) })
            {
                var (frames, leftover) = Sequences.DecodeAll(codec, stream[..length], size);

                var complete = ends.Count(e => e <= length);
                AssertSameFrames(frames, all.Take(complete).ToList(), $"truncated at {length}");
                leftover.Should().Be(length - (complete == 0 ? 0 : ends[complete - 1]), "truncated at {0}", length);
            }
        }
    }

    // ---- encoding options ---------------------------------------------------------------------------------

    [Fact]
    public void WriteLine_Latin1_RoundTripsAndWritesOneBytePerChar()
    {
        var codec = new LineCodec(new LineCodecOptions { Encoding = Encoding.Latin1 });
        string[] lines = ["café", "ÿ þ ß ±", "plain"];

        var stream = EncodeLines(codec, lines);
        var (frames, _) = Sequences.DecodeAll(codec, stream, 2);

        stream.Length.Should().Be(lines.Sum(l => l.Length + 1));
        frames.Select(f => codec.GetString(new ReadOnlySequence<byte>(f))).Should().Equal(lines);
    }

    [Fact]
    public void WriteLine_Ascii_RoundTrips()
    {
        var codec = new LineCodec(new LineCodecOptions { Encoding = Encoding.ASCII, Terminator = LineTerminator.CrLf });
        string[] lines = ["HELO ocean", "", "QUIT"];

        var (frames, leftover) = Sequences.DecodeAll(codec, EncodeLines(codec, lines), 3);

        leftover.Should().Be(0);
        frames.Select(f => codec.GetString(new ReadOnlySequence<byte>(f))).Should().Equal(lines);
    }

    [Fact]
    public void GetString_MultiSegmentFrame_DecodesUtf8SplitInsideCharacter()
    {
        var codec = new LineCodec();
        var bytes = Encoding.UTF8.GetBytes("日本");

        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            codec.GetString(Sequences.SplitAt(bytes, cut)).Should().Be("日本");
        }
    }

    [Fact]
    public void Encoding_Utf16_ThrowsArgumentException()
    {
        var options = new LineCodecOptions();

        foreach (var encoding in new[] { Encoding.Unicode, Encoding.BigEndianUnicode, Encoding.UTF32 })
        {
            var act = () => options.Encoding = encoding;

            act.Should().Throw<ArgumentException>();
        }

        options.Encoding.CodePage.Should().Be(65001);
    }

    [Fact]
    public void Encoding_Utf8AsciiLatin1_AreAccepted()
    {
        var options = new LineCodecOptions();

        foreach (var encoding in new[] { Encoding.UTF8, Encoding.ASCII, Encoding.Latin1 })
        {
            options.Encoding = encoding;
            options.Encoding.Should().BeSameAs(encoding);
        }
    }

    [Fact]
    public void MaxLineLength_NotPositive_ThrowsArgumentOutOfRange()
    {
        var options = new LineCodecOptions();

        ((Action)(() => options.MaxLineLength = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxLineLength = -1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    // ---- encoder refusals ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\rb")]
    [InlineData("\r\n")]
    [InlineData("end\n")]
    public void WriteFrame_PayloadWithCrOrLf_ThrowsInvalidLineEndingAndWritesNothing(string payload)
    {
        var codec = new LineCodec();
        var output = new ArrayBufferWriter<byte>();

        var frame = () => codec.WriteFrame(Ascii(payload), output);
        var line = () => codec.WriteLine(payload, output);

        frame.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.InvalidLineEnding);
        line.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.InvalidLineEnding);
        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void WriteFrame_LongerThanMax_ThrowsLineTooLongAndWritesNothing()
    {
        var codec = new LineCodec(new LineCodecOptions { MaxLineLength = 8 });
        var output = new ArrayBufferWriter<byte>();

        codec.WriteFrame(Ascii("12345678"), output);
        var written = output.WrittenCount;
        var frame = () => codec.WriteFrame(Ascii("123456789"), output);
        var line = () => codec.WriteLine("1234567é", output); // 8 chars, 9 bytes

        frame.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.LineTooLong);
        line.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.LineTooLong);
        output.WrittenCount.Should().Be(written);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /// <summary>How far <paramref name="position"/> is from the start of <paramref name="sequence"/> (GetOffset counts from the first segment's origin, not the slice's start).</summary>
    private static long Offset(in ReadOnlySequence<byte> sequence, SequencePosition position) => sequence.Slice(sequence.Start, position).Length;

    private static byte[] EncodeLines(LineCodec codec, IEnumerable<string> lines)
    {
        var output = new ArrayBufferWriter<byte>();
        var i = 0;
        foreach (var line in lines)
        {
            if (i++ % 2 == 0)
            {
                codec.WriteLine(line, output);
            }
            else
            {
                codec.WriteFrame(codec.Options.Encoding.GetBytes(line), output);
            }
        }

        return output.WrittenSpan.ToArray();
    }

    private static List<byte[]> DecodeSequence(IFrameDecoder decoder, ReadOnlySequence<byte> input, out long leftover)
    {
        var frames = new List<byte[]>();
        while (decoder.TryReadFrame(input, out var frame, out var consumed, out _))
        {
            if (Offset(input, consumed) <= 0)
            {
                Assert.Fail("A frame must consume at least its terminator.");
            }

            frames.Add(frame.ToArray());
            input = input.Slice(consumed);
        }

        leftover = input.Length;
        return frames;
    }

    private static void AssertSameFrames(List<byte[]> actual, List<byte[]> expected, string because = "")
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

    private static ReadOnlySequenceSegment<byte>[] OneByteSegments(byte[] bytes)
    {
        var segments = new ByteSegment[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            segments[i] = new ByteSegment(bytes.AsMemory(i, 1), i);
            if (i > 0)
            {
                segments[i - 1].SetNext(segments[i]);
            }
        }

        return segments;
    }

    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private sealed class ByteSegment : ReadOnlySequenceSegment<byte>
    {
        public ByteSegment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(ByteSegment next) => Next = next;
    }
}
