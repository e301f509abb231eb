using System.Buffers;
using System.Globalization;
using Ocean.Framing.Tests.Infrastructure;

namespace Ocean.Framing.Tests;

public sealed class JavaUtfCodecTests
{
    private const string Utf16Prefix = "utf16:";
    private const string ErrorPrefix = "ERROR:";

    private static readonly Lazy<IReadOnlyDictionary<(string Kind, string Name), Vector>> s_vectors = new(LoadVectors);

    public static TheoryData<string> EncodeVectorNames => Names("encode");

    public static TheoryData<string> DecodeVectorNames => Names("decode");

    // ---- the golden vectors -------------------------------------------------------------------------------

    [Theory]
    [InlineData("encode", "empty")]
    [InlineData("encode", "ascii_hello_ocean")]
    [InlineData("encode", "e_acute")]
    [InlineData("encode", "nihon")]
    [InlineData("encode", "emoji_u1f600")]
    [InlineData("encode", "a_nul_b")]
    [InlineData("encode", "a_x65535_bytes65535")]
    [InlineData("encode", "a_x65536_bytes65536")]
    [InlineData("decode", "roundtrip_a_x65535_bytes65535")]
    [InlineData("decode", "raw_nul_in_middle")]
    [InlineData("decode", "overlong_c1_81_A")]
    [InlineData("decode", "overlong_e0_80_80_nul")]
    [InlineData("decode", "cesu_pair_u1f600")]
    [InlineData("decode", "lone_high_surrogate_eda080")]
    [InlineData("decode", "utf8_4byte_emoji_f09f9880")]
    [InlineData("decode", "len5_only2_available")]
    [InlineData("decode", "len_ends_mid_2byte_char")]
    [InlineData("decode", "len0_trailing_bytes_ignored")]
    public void Vectors_CasesNamedInTheIssue_ArePresent(string kind, string name)
    {
        s_vectors.Value.Should().ContainKey((kind, name), "the vectors file must keep the {0} case '{1}'", kind, name);
    }

    [Fact]
    public void Vectors_LimitCases_HaveExpectedShape()
    {
        var vectors = s_vectors.Value;

        vectors[("encode", "empty")].Result.Should().Be("0000");
        vectors[("encode", "a_x65535_bytes65535")].Result.Should().StartWith("ffff").And.HaveLength(2 * (2 + 65_535));
        vectors[("encode", "a_x65536_bytes65536")].Result.Should().Be("ERROR:UTFDataFormatException");
        vectors[("encode", "a_nul_b")].Result.Should().Be("000461c08062");
        vectors[("encode", "emoji_u1f600")].Result.Should().Be("0006eda0bdedb880");
        vectors[("decode", "raw_nul_in_middle")].Result.Should().Be("utf16:006100000062");
        vectors.Keys.Count(k => k.Kind == "encode").Should().BeGreaterThan(20);
        vectors.Keys.Count(k => k.Kind == "decode").Should().BeGreaterThan(60);
    }

    [Theory]
    [MemberData(nameof(EncodeVectorNames))]
    public void WriteString_GoldenVector_WritesWhatJavaWrites(string name)
    {
        var vector = s_vectors.Value[("encode", name)];
        var text = FromUtf16Hex(vector.Input);
        var output = new ArrayBufferWriter<byte>();

        if (vector.Result.StartsWith(ErrorPrefix, StringComparison.Ordinal))
        {
            vector.Result.Should().Be("ERROR:UTFDataFormatException");
            var act = () => JavaUtfCodec.WriteString(text, output);

            act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
            output.WrittenCount.Should().Be(0, "writeUTF writes nothing when it refuses");
            JavaUtfCodec.GetByteCount(text).Should().BeGreaterThan(JavaUtfCodec.MaxEncodedLength);
        }
        else
        {
            var expected = Convert.FromHexString(vector.Result);

            JavaUtfCodec.WriteString(text, output);

            AssertBytes(output.WrittenSpan, expected);
            JavaUtfCodec.GetByteCount(text).Should().Be(expected.Length - 2);
        }
    }

    [Theory]
    [MemberData(nameof(DecodeVectorNames))]
    public void ReadString_GoldenVector_ReadsWhatJavaReads(string name)
    {
        var vector = s_vectors.Value[("decode", name)];
        var input = Convert.FromHexString(vector.Input);

        var outcome = Decode(new ReadOnlySequence<byte>(input));

        outcome.Should().Be(vector.Result);
        if (input.Length <= 64)
        {
            for (var cut = 0; cut <= input.Length; cut++)
            {
                Decode(Sequences.SplitAt(input, cut)).Should().Be(vector.Result, "the input split at {0}", cut);
            }
        }
    }

    [Theory]
    [MemberData(nameof(EncodeVectorNames))]
    public void WriteString_GoldenVector_RoundTripsThroughDecoder(string name)
    {
        var vector = s_vectors.Value[("encode", name)];
        if (vector.Result.StartsWith(ErrorPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var text = FromUtf16Hex(vector.Input);
        var output = new ArrayBufferWriter<byte>();
        JavaUtfCodec.WriteString(text, output);
        JavaUtfCodec.WriteString(text, output);

        var (frames, leftover) = Sequences.DecodeAll(JavaUtfCodec.Instance, output.WrittenSpan.ToArray(), 4093, 1, 7);

        leftover.Should().Be(0);
        frames.Should().HaveCount(2);
        foreach (var frame in frames)
        {
            JavaUtfCodec.ReadString(frame.AsSpan()).Should().Be(text);
        }
    }

    // ---- ReadString over segments, GetByteCount -----------------------------------------------------------

    [Theory]
    [InlineData("emoji_u1f600")]
    [InlineData("a_nul_b")]
    [InlineData("nihon")]
    [InlineData("mixed_widths")]
    public void ReadString_FrameSplitAtEveryPosition_ReadsSameString(string name)
    {
        var vector = s_vectors.Value[("encode", name)];
        var expected = FromUtf16Hex(vector.Input);
        var payload = Convert.FromHexString(vector.Result)[2..];

        for (var cut = 0; cut <= payload.Length; cut++)
        {
            JavaUtfCodec.ReadString(Sequences.SplitAt(payload, cut)).Should().Be(expected, "split at {0}", cut);
            for (var second = cut; second <= payload.Length; second++)
            {
                JavaUtfCodec.ReadString(Sequences.SplitAt(payload, cut, second)).Should().Be(expected);
            }
        }
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("Hello", 5)]
    [InlineData("é", 2)]
    [InlineData("日本", 6)]
    [InlineData("😀", 6)]
    [InlineData("a\0b", 4)]
    [InlineData("\u007F\u0080\u07FF\u0800", 1 + 2 + 2 + 3)]
    public void GetByteCount_Text_CountsModifiedUtf8Bytes(string text, long expected)
    {
        JavaUtfCodec.GetByteCount(text).Should().Be(expected);
    }

    [Fact]
    public void GetByteCount_LongerThanFrame_ReturnsFullCount()
    {
        JavaUtfCodec.GetByteCount(new string('日', 30_000)).Should().Be(90_000);
    }

    [Fact]
    public void ReadString_MultiSegmentMalformed_ThrowsMalformedText()
    {
        var act = () => JavaUtfCodec.ReadString(Sequences.Of([0x61, 0xC3], [0x41]));

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.MalformedText);
    }

    [Fact]
    public void ReadString_LongerThanOneFrame_ThrowsFrameTooLarge()
    {
        var act = () => JavaUtfCodec.ReadString(new byte[65_536].AsSpan());

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
    }

    // ---- the frame codec ----------------------------------------------------------------------------------

    [Fact]
    public void WriteFrame_RawPayload_WritesBigEndianLength()
    {
        var output = new ArrayBufferWriter<byte>();

        JavaUtfCodec.Instance.WriteFrame([0x41, 0x42, 0x43], output);
        JavaUtfCodec.Instance.WriteFrame(new byte[65_535], output);

        Convert.ToHexString(output.WrittenSpan[..5]).Should().Be("0003414243");
        Convert.ToHexString(output.WrittenSpan.Slice(5, 2)).Should().Be("FFFF");
        output.WrittenCount.Should().Be(5 + 2 + 65_535);
    }

    [Fact]
    public void WriteFrame_65536Bytes_ThrowsFrameTooLargeAndWritesNothing()
    {
        var output = new ArrayBufferWriter<byte>();

        var act = () => JavaUtfCodec.Instance.WriteFrame(new byte[65_536], output);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void WriteFrameWithState_WritesSameBytesAsWriteString()
    {
        var expected = new ArrayBufferWriter<byte>();
        JavaUtfCodec.WriteString("café 日本 😀", expected);
        var payload = expected.WrittenSpan[2..].ToArray();
        var output = new ArrayBufferWriter<byte>();

        JavaUtfCodec.Instance.WriteFrame(output, payload, static (p, w) => w.Write(p));

        output.WrittenSpan.ToArray().Should().Equal(expected.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryReadFrame_ManyStringsOneByteAtATime_FindsEachString()
    {
        string[] texts = ["", "Hello, Ocean", "é", "日本", "😀", "a\0b", ""];
        var output = new ArrayBufferWriter<byte>();
        foreach (var text in texts)
        {
            JavaUtfCodec.WriteString(text, output);
        }

        var stream = output.WrittenSpan.ToArray();
        var (frames, leftover) = Sequences.DecodeAll(JavaUtfCodec.Instance, stream, 1);

        leftover.Should().Be(0);
        frames.Select(f => JavaUtfCodec.ReadString(f.AsSpan())).Should().Equal(texts);
        for (var cut = 0; cut <= stream.Length; cut++)
        {
            var (split, rest) = Sequences.DecodeAll(JavaUtfCodec.Instance, stream, cut == 0 ? stream.Length : cut, stream.Length);
            rest.Should().Be(0);
            split.Select(f => JavaUtfCodec.ReadString(f.AsSpan())).Should().Equal(texts);
        }
    }

    [Fact]
    public void DecodeAll_TruncatedAtEveryPosition_FindsOnlyCompleteStrings()
    {
        string[] texts = ["ab", "", "日本", "😀x"];
        var output = new ArrayBufferWriter<byte>();
        var ends = new List<int>();
        foreach (var text in texts)
        {
            JavaUtfCodec.WriteString(text, output);
            ends.Add(output.WrittenCount);
        }

        var stream = output.WrittenSpan.ToArray();
        for (var length = 0; length <= stream.Length; length++)
        {
            var (frames, leftover) = Sequences.DecodeAll(JavaUtfCodec.Instance, stream[..length], 1);

            var complete = ends.Count(e => e <= length);
            frames.Select(f => JavaUtfCodec.ReadString(f.AsSpan())).Should().Equal(texts.Take(complete));
            leftover.Should().Be(length - (complete == 0 ? 0 : ends[complete - 1]));
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /// <summary>How far <paramref name="position"/> is from the start of <paramref name="sequence"/> (GetOffset counts from the first segment's origin, not the slice's start).</summary>
    private static long Offset(in ReadOnlySequence<byte> sequence, SequencePosition position) => sequence.Slice(sequence.Start, position).Length;

    /// <summary>What Java's readUTF makes of the input, in the vectors file's notation.</summary>
    private static string Decode(ReadOnlySequence<byte> input)
    {
        var decoder = JavaUtfCodec.Instance.CreateDecoder();
        if (!decoder.TryReadFrame(input, out var frame, out var consumed, out var examined))
        {
            Offset(input, consumed).Should().Be(0);
            Offset(input, examined).Should().Be(input.Length);
            return "ERROR:EOFException";
        }

        Offset(input, consumed).Should().Be(2 + frame.Length);
        try
        {
            return Utf16Prefix + ToUtf16Hex(JavaUtfCodec.ReadString(frame));
        }
        catch (FramingException ex) when (ex.Error == FramingError.MalformedText)
        {
            return "ERROR:UTFDataFormatException";
        }
    }

    private static void AssertBytes(ReadOnlySpan<byte> actual, byte[] expected)
    {
        actual.Length.Should().Be(expected.Length);
        var mismatch = actual.CommonPrefixLength(expected);
        mismatch.Should().Be(expected.Length, "the bytes must match (first difference at {0})", mismatch);
    }

    private static string FromUtf16Hex(string hex)
    {
        var chars = new char[hex.Length / 4];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)ushort.Parse(hex.AsSpan(i * 4, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return new string(chars);
    }

    private static string ToUtf16Hex(string text) =>
        string.Concat(text.Select(c => ((int)c).ToString("x4", CultureInfo.InvariantCulture)));

    private static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var key in s_vectors.Value.Keys.Where(k => k.Kind == kind))
        {
            data.Add(key.Name);
        }

        return data;
    }

    private static IReadOnlyDictionary<(string Kind, string Name), Vector> LoadVectors()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "writeutf-vectors.tsv");
        var vectors = new Dictionary<(string Kind, string Name), Vector>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length != 4 || fields[0] is not ("encode" or "decode"))
            {
                throw new InvalidDataException($"Malformed vector line: {line[..Math.Min(line.Length, 80)]}");
            }

            var result = fields[3];
            if (fields[0] == "decode" && result == "utf16")
            {
                result = Utf16Prefix;
            }

            vectors.Add((fields[0], fields[1]), new Vector(fields[2], result));
        }

        return vectors;
    }

    private sealed record Vector(string Input, string Result);
}
