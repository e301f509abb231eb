using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;
using Ocean.Marshalling.Tests.Hostile;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// Whatever the bytes, Unmarshal returns a valid value or raises <see cref="MarshallingException"/>: never
/// another exception, never an allocation sized by a claimed length, never a stack overflow.
/// </summary>
public sealed class CdrMalformedInputTests
{
    private const int Corruptions = 5_000;
    private const long AllocationBudget = 64 * 1024;

    public static TheoryData<string, ByteOrder> Samples
    {
        get
        {
            var data = new TheoryData<string, ByteOrder>();
            foreach (var name in s_samples.Keys)
            {
                data.Add(name, ByteOrder.BigEndian);
                data.Add(name, ByteOrder.LittleEndian);
            }

            return data;
        }
    }

    private static readonly Dictionary<string, Sample> s_samples = new()
    {
        ["person"] = Sample.Of(new Person("Smith", "London", 1934)),
        ["aligned"] = Sample.Of(new Aligned(0x11, 1.0, -2, 0x0102030405060708, true, -2.5f)),
        ["team"] = Sample.Of(new Team("Team", [new Person("Smith", "London", 1934), new Person("\u00C9mile", "Li\u00E8ge", -7)])),
        ["union-long"] = Sample.Of(new Shape { Kind = 1, Number = 7 }),
        ["union-string"] = Sample.Of(new Shape { Kind = 2, Text = "text" }),
        ["union-default"] = Sample.Of(new Shape { Kind = 9, Other = 2.5 }),
        ["wstring"] = Sample.Of(new WideText("w\u00E9\u20AC\uD83D\uDE00")),
        ["tree"] = Sample.Of(new Tree(1, [new Tree(2, []), new Tree(3, [new Tree(4, [])])])),
        ["fixed"] = Sample.Of(new FixedShorts(0xAA, [1, 2, 3])),
        ["primitives"] = Sample.Of(new AllPrimitives(1, true, '\u20AC', 'x', -1, 2, -3, 4, -5, 6, 7.5f, 8.25, Color.Blue)),
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Unmarshal_EveryTruncation_ThrowsMarshallingException(string sample, ByteOrder order)
    {
        var marshaller = CdrTest.Marshaller(order);
        var (bytes, unmarshal) = s_samples[sample].Create(marshaller);
        unmarshal(bytes).Should().BeTrue("the untouched input is valid");

        for (var length = 0; length < bytes.Length; length++)
        {
            var act = () => unmarshal(bytes[..length]);
            act.Should().Throw<MarshallingException>("{0} of {1} bytes are a truncated {2}", length, bytes.Length, sample)
                .Which.Error.Should().Be(MarshallingError.Truncated, "{0} of {1} bytes are a truncated {2}", length, bytes.Length, sample);
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Unmarshal_RandomCorruptions_GiveAValueOrMarshallingException(string sample, ByteOrder order)
    {
        var marshaller = CdrTest.Marshaller(order);
        var (bytes, unmarshal) = s_samples[sample].Create(marshaller);
        var random = new Random(sample.Length * 31 + (int)order);
        var failures = new List<string>();

        for (var i = 0; i < Corruptions; i++)
        {
            var corrupt = (byte[])bytes.Clone();
            var changes = random.Next(1, 4);
            for (var c = 0; c < changes; c++)
            {
                var at = random.Next(corrupt.Length);
                corrupt[at] = (byte)(corrupt[at] ^ random.Next(1, 256));
            }

            try
            {
                unmarshal(corrupt);
            }
            catch (MarshallingException)
            {
            }
            catch (Exception ex)
            {
                failures.Add($"{CdrTest.Hex(corrupt)}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        failures.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Unmarshal_TrailingBytes_ThrowsMarshallingException(string sample, ByteOrder order)
    {
        var marshaller = CdrTest.Marshaller(order);
        var (bytes, unmarshal) = s_samples[sample].Create(marshaller);

        var act = () => unmarshal([.. bytes, 0]);

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.TrailingBytes);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Unmarshal_EveryTruncationOneBytePerSegment_ThrowsMarshallingException(string sample, ByteOrder order)
    {
        var marshaller = CdrTest.Marshaller(order);
        var (bytes, _) = s_samples[sample].Create(marshaller);

        // The multi-segment path copies into a pooled buffer: the truncation must still be seen, not the buffer's slack.
        for (var length = 0; length < bytes.Length; length++)
        {
            var input = CdrTest.OneBytePerSegment(bytes[..length]);
            var act = () => s_samples[sample].Unmarshal(marshaller, input);
            act.Should().Throw<MarshallingException>("{0} of {1} bytes in segments are a truncated {2}", length, bytes.Length, sample)
                .Which.Error.Should().Be(MarshallingError.Truncated);
        }
    }

    [Theory]
    [InlineData("80000000 0000000000000000")]
    [InlineData("ffffffff 0000000000000000")]
    [InlineData("7fffffff 0000000000000000")]
    public void Unmarshal_HugeSequenceCount_ThrowsWithoutAllocating(string hex)
    {
        var bytes = CdrTest.Bytes(hex);

        AssertRefusedCheaply<int[]>(bytes);
        AssertRefusedCheaply<List<int>>(bytes);
        AssertRefusedCheaply<long[]>(bytes);
        AssertRefusedCheaply<byte[]>(bytes);
        AssertRefusedCheaply<List<byte>>(bytes);
        AssertRefusedCheaply<bool[]>(bytes);
        AssertRefusedCheaply<string[]>(bytes);
        AssertRefusedCheaply<List<Person>>(bytes);
        AssertRefusedCheaply<Point[]>(bytes);
        AssertRefusedCheaply<Tree[]>(bytes);
        AssertRefusedCheaply<int[][]>(bytes);
    }

    [Fact]
    public void Unmarshal_HugeSequenceCountInsideStruct_ThrowsWithoutAllocating()
    {
        // team name "T", then members: count 0x80000000 and 8 bytes
        AssertRefusedCheaply<Team>(CdrTest.Bytes("00000002 5400 0000 80000000 0000000000000000"));
        AssertRefusedCheaply<Holder>(CdrTest.Bytes("00000001 00 000000 80000000 0000000000000000"));
    }

    [Theory]
    [InlineData("80000000 0000000000000000")]
    [InlineData("7ffffffe 0000000000000000")]
    [InlineData("fffffffe 0000000000000000")]
    public void Unmarshal_HugeWStringLength_ThrowsWithoutAllocating(string hex)
    {
        AssertRefusedCheaply<WideText>(CdrTest.Bytes(hex));
    }

    [Theory]
    [InlineData("ffffffff 4100")]
    [InlineData("80000000 4100")]
    [InlineData("7fffffff 4100")]
    public void Unmarshal_HugeStringLength_ThrowsWithoutAllocating(string hex)
    {
        AssertRefusedCheaply<string>(CdrTest.Bytes(hex));
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("00000000 00")]
    public void Unmarshal_ZeroStringLength_ThrowsMarshallingException(string hex) => AssertRefused<string>(hex, MarshallingError.Malformed);

    [Theory]
    [InlineData("00000002 4142")]
    [InlineData("00000001 41")]
    [InlineData("00000003 414243")]
    public void Unmarshal_StringWithoutNul_ThrowsMarshallingException(string hex) => AssertRefused<string>(hex, MarshallingError.Malformed, MarshallingError.Truncated);

    [Theory]
    [InlineData("00000003 4100")]
    [InlineData("00000007 536d69746800")]
    [InlineData("00000002 41")]
    [InlineData("00000002")]
    public void Unmarshal_StringLengthBeyondTheInput_ThrowsMarshallingException(string hex)
    {
        AssertRefused<string>(hex, MarshallingError.Truncated);
        AssertRefused<string[]>($"00000001 {hex}", MarshallingError.Truncated);
    }

    [Theory]
    [InlineData("00000004 0041")]
    [InlineData("00000002")]
    [InlineData("00000006 feff0041")]
    public void Unmarshal_WStringLengthBeyondTheInput_ThrowsMarshallingException(string hex)
    {
        AssertRefused<WideText>(hex, MarshallingError.Truncated);
        AssertRefused<WideText[]>($"00000001 {hex}", MarshallingError.Truncated);
    }

    [Theory]
    [InlineData("00000002 feff", "")]
    [InlineData("00000004 fffe4100", "A")]
    [InlineData("00000004 feff0041", "A")]
    [InlineData("00000000", "")]
    public void Unmarshal_WStringWithByteOrderMarkOrEmpty_IsRead(string hex, string expected)
    {
        CdrTest.Unmarshal<WideText>(CdrTest.Bytes(hex), ByteOrder.BigEndian).Value.Should().Be(expected);
    }

    [Theory]
    [InlineData("00000002 0000000a")]
    [InlineData("00000001")]
    [InlineData("00000003 00000001 00000002")]
    public void Unmarshal_SequenceCountBeyondTheElements_ThrowsMarshallingException(string hex)
    {
        AssertRefused<int[]>(hex, MarshallingError.Truncated);
        AssertRefused<List<int>>(hex, MarshallingError.Truncated);
        AssertRefused<Color[]>(hex, MarshallingError.Truncated);
    }

    [Theory]
    [InlineData("00000002 01")]
    [InlineData("00000001 0102")]
    public void Unmarshal_OctetSequenceCountWrong_ThrowsMarshallingException(string hex)
    {
        // one byte short (the sequence is truncated), one byte over (a byte left after it)
        var error = hex.Length > 11 ? MarshallingError.TrailingBytes : MarshallingError.Truncated;
        AssertRefused<byte[]>(hex, error, MarshallingError.Truncated);
        AssertRefused<List<byte>>(hex, error, MarshallingError.Truncated);
    }

    [Theory]
    [InlineData("00000001 01 41")]
    [InlineData("00000002 02 0041 03")]
    public void Unmarshal_WCharSequenceWithWrongLength_ThrowsMarshallingException(string hex) => AssertRefused<char[]>(hex, MarshallingError.Truncated);

    [Theory]
    [InlineData("02 00000000 00000000")]
    [InlineData("ff 00000000 00000000")]
    public void Unmarshal_UnionBooleanDiscriminatorOtherThanZeroOrOne_ThrowsMarshallingException(string hex) => AssertRefused<BoolUnion>(hex, MarshallingError.Malformed);

    [Theory]
    [InlineData("00000003 00000000")]
    [InlineData("ffffffff 00000000")]
    public void Unmarshal_UnionEnumDiscriminatorOutOfRange_ThrowsMarshallingException(string hex) => AssertRefused<ColorUnion>(hex, MarshallingError.Malformed);

    [Fact]
    public void Unmarshal_UnionBranchTruncated_ThrowsMarshallingException()
    {
        AssertRefused<Shape>("00000001 0000", MarshallingError.Truncated);
        AssertRefused<Shape>("00000002 00000005 4142", MarshallingError.Truncated);
        AssertRefused<Shape>("00000009 00000000 3ff000", MarshallingError.Truncated);
        AssertRefused<BoolUnion>("01 000000 00000000", MarshallingError.Truncated);
    }

    [Fact]
    public void Unmarshal_NestedUnionsBeyondMaxDepth_ThrowsMarshallingException()
    {
        FluentActions.Invoking(() => CdrTest.Unmarshal<CdrNestedUnion>(NestedUnions(65), ByteOrder.BigEndian)).Should().Throw<MarshallingException>().WithMessage("*64*")
            .Which.Error.Should().Be(MarshallingError.LimitExceeded);
        CdrTest.Unmarshal<CdrNestedUnion>(NestedUnions(64), ByteOrder.BigEndian).Kind.Should().Be(1);
    }

    [Theory]
    [InlineData("00000000", "at least its byte-order octet")]
    [InlineData("00000001 02", "byte-order octet is 0 or 1")]
    [InlineData("00000001 ff", "byte-order octet is 0 or 1")]
    [InlineData("00000009 00000000", "truncated")]
    [InlineData("ffffffff 00", "truncated")]
    [InlineData("00000003 000000", "truncated")]
    [InlineData("00000006 00 000000 0000", "truncated")]
    public void ReadEncapsulation_Malformed_ThrowsMarshallingException(string hex, string reason)
    {
        var bytes = CdrTest.Bytes(hex);

        // The content is a long (aligned from the encapsulation's start, so at its offset 4).
        var act = () =>
        {
            var reader = new CdrReader(bytes);
            return reader.ReadEncapsulation(static (ref CdrReader inner) => inner.ReadLong());
        };

        act.Should().Throw<MarshallingException>().WithMessage($"*{reason}*")
            .Which.Error.Should().Be(reason == "truncated" ? MarshallingError.Truncated : MarshallingError.Malformed);
    }

    [Theory]
    [InlineData("00000002 01")]
    [InlineData("80000000 01")]
    public void ReadOctetSequence_CountBeyondTheInput_ThrowsMarshallingException(string hex)
    {
        var bytes = CdrTest.Bytes(hex);

        var act = () =>
        {
            var reader = new CdrReader(bytes);
            return reader.ReadOctetSequence();
        };

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.Truncated);
    }

    [Fact]
    public void ReadSequenceLength_CountTimesElementSizeBeyondTheInput_ThrowsMarshallingException()
    {
        var bytes = CdrTest.Bytes("00000002 0000000000000000");

        int Read(int size)
        {
            var reader = new CdrReader(bytes);
            return reader.ReadSequenceLength(size);
        }

        Read(4).Should().Be(2);
        FluentActions.Invoking(() => Read(5)).Should().Throw<MarshallingException>().WithMessage("*claims 2 elements*")
            .Which.Error.Should().Be(MarshallingError.Truncated);
        Read(0).Should().Be(2, "a size below 1 counts as 1");
    }

    [Theory]
    [InlineData("02")]
    [InlineData("ff")]
    public void Unmarshal_BooleanOtherThanZeroOrOne_ThrowsMarshallingException(string hex)
    {
        AssertRefused<bool>(hex, MarshallingError.Malformed);
        AssertRefused<Aligned>($"11 00000000000000 3ff0000000000000 fffe 000000000000 0102030405060708 {hex} 000000 c0200000", MarshallingError.Malformed);
        AssertRefused<bool[]>($"00000001 {hex}", MarshallingError.Malformed, MarshallingError.Truncated);
    }

    [Theory]
    [InlineData("00000003")]
    [InlineData("7fffffff")]
    [InlineData("ffffffff")]
    public void Unmarshal_EnumOrdinalOutOfRange_ThrowsMarshallingException(string hex)
    {
        AssertRefused<Color>(hex, MarshallingError.Malformed);
        AssertRefused<Color[]>($"00000001 {hex}", MarshallingError.Malformed, MarshallingError.Truncated);
    }

    [Theory]
    [InlineData("00000000 00000000")]
    [InlineData("00000005 00000000")]
    [InlineData("ffffffff 00000000")]
    public void Unmarshal_UnionDiscriminatorSelectingNoBranch_ThrowsMarshallingException(string hex) => AssertRefused<StrictUnion>(hex, MarshallingError.Malformed);

    [Theory]
    [InlineData("01 41")]
    [InlineData("00")]
    [InlineData("04 00410042")]
    public void Unmarshal_WCharWithWrongLength_ThrowsMarshallingException(string hex) => AssertRefused<char>(hex, MarshallingError.Malformed);

    [Theory]
    [InlineData("00000003 004100")]
    [InlineData("00000001 00")]
    public void Unmarshal_WStringWithOddByteCount_ThrowsMarshallingException(string hex) => AssertRefused<WideText>(hex, MarshallingError.Malformed, MarshallingError.Truncated);

    [Theory]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public void Unmarshal_DeeplyNestedInput_ThrowsMarshallingExceptionNotStackOverflow(int depth)
    {
        var bytes = NestedNodes(depth);

        var act = () => CdrTest.Unmarshal<Node>(bytes, ByteOrder.BigEndian);
        var actRecord = () => CdrTest.Unmarshal<Tree>(bytes, ByteOrder.BigEndian);

        act.Should().Throw<MarshallingException>().WithMessage("*64*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
        actRecord.Should().Throw<MarshallingException>().WithMessage("*64*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_NestedToTheDefaultLimit_IsRead()
    {
        var read = CdrTest.Unmarshal<Node>(NestedNodes(64), ByteOrder.BigEndian);

        var depth = 1;
        for (var node = read; node.Children.Count != 0; node = node.Children[0])
        {
            depth++;
        }

        depth.Should().Be(64);
        FluentActions.Invoking(() => CdrTest.Unmarshal<Node>(NestedNodes(65), ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Unmarshal_MaxDepthOption_IsHonoured()
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { MaxDepth = 10 });

        marshaller.Unmarshal<Node>(new ReadOnlySequence<byte>(NestedNodes(10))).Should().NotBeNull();
        FluentActions.Invoking(() => marshaller.Unmarshal<Node>(new ReadOnlySequence<byte>(NestedNodes(11)))).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_SequenceHoldingATooDeepTree_ThrowsMarshallingException()
    {
        // the sequence itself is not a struct, so the tree inside it still has 65 levels of structs
        var bytes = CdrTest.Bytes("00000001").Concat(NestedNodes(65)).ToArray();

        FluentActions.Invoking(() => CdrTest.Unmarshal<Tree[]>(bytes, ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        CdrTest.Unmarshal<Tree[]>(CdrTest.Bytes("00000001").Concat(NestedNodes(64)).ToArray(), ByteOrder.BigEndian).Should().ContainSingle();
    }

    [Fact]
    public void Unmarshal_EmptyInput_ThrowsMarshallingException()
    {
        AssertRefused<Person>(string.Empty, MarshallingError.Truncated);
        AssertRefused<int>(string.Empty, MarshallingError.Truncated);
        AssertRefused<byte>(string.Empty, MarshallingError.Truncated);
        AssertRefused<int[]>(string.Empty, MarshallingError.Truncated);
        AssertRefused<Shape>(string.Empty, MarshallingError.Truncated);
    }

    [Fact]
    public void Unmarshal_PaddingMissingAtTheEnd_ThrowsMarshallingException()
    {
        // Aligned cut in the padding before f
        AssertRefused<Aligned>("11 00000000000000 3ff0000000000000 fffe 000000000000 0102030405060708 01 0000", MarshallingError.Truncated);
    }

    /// <summary>Bytes of a chain of <paramref name="depth"/> unions: discriminator 1 and a count of 1, the last discriminator 0 and a leaf.</summary>
    private static byte[] NestedUnions(int depth)
    {
        var bytes = new byte[depth * 8];
        for (var level = 0; level < depth - 1; level++)
        {
            bytes[(level * 8) + 3] = 1;
            bytes[(level * 8) + 7] = 1;
        }

        return bytes;
    }

    /// <summary>Bytes of a chain of <paramref name="depth"/> nodes: each level is value 0 and a count of 1, the last a count of 0.</summary>
    private static byte[] NestedNodes(int depth)
    {
        var bytes = new byte[depth * 8];
        for (var level = 0; level < depth - 1; level++)
        {
            bytes[(level * 8) + 7] = 1;
        }

        return bytes;
    }

    /// <param name="hex">The input.</param>
    /// <param name="error">The kind expected when the input is read big-endian.</param>
    /// <param name="littleEndian">The kind expected little-endian, where it differs (a count of 1 reads as 2^24).</param>
    private static void AssertRefused<T>(string hex, MarshallingError error, MarshallingError? littleEndian = null)
    {
        var bytes = CdrTest.Bytes(hex);
        foreach (var order in new[] { ByteOrder.BigEndian, ByteOrder.LittleEndian })
        {
            var expected = order == ByteOrder.LittleEndian ? littleEndian ?? error : error;
            var act = () => CdrTest.Unmarshal<T>(bytes, order);
            act.Should().Throw<MarshallingException>("{0} is not a valid {1}", hex, typeof(T).Name)
                .Which.Error.Should().Be(expected, "{0} is not a valid {1} ({2})", hex, typeof(T).Name, order);
        }
    }

    private static void AssertRefusedCheaply<T>(byte[] bytes)
    {
        var marshaller = CdrTest.Marshaller(ByteOrder.BigEndian);
        var input = new ReadOnlySequence<byte>(bytes);

        // Warm up: the codec is built and the throw path jitted before measuring.
        try
        {
            marshaller.Unmarshal<T>(input);
        }
        catch (MarshallingException)
        {
        }

        // Only the call is measured (the assertion library allocates too).
        Exception? thrown = null;
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            marshaller.Unmarshal<T>(input);
        }
        catch (Exception ex)
        {
            thrown = ex;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        thrown.Should().BeOfType<MarshallingException>("{0} claims more than the input holds", typeof(T).Name)
            .Which.Error.Should().Be(MarshallingError.Truncated, "{0} claims more than the input holds", typeof(T).Name);
        allocated.Should().BeLessThan(AllocationBudget, "a claimed length must not be allocated ({0})", typeof(T).Name);
    }

    /// <summary>A valid value's bytes and a way to unmarshal bytes as its type.</summary>
    private sealed record Sample(Func<IMarshaller, (byte[] Bytes, Func<byte[], bool> Unmarshal)> Create, Func<IMarshaller, ReadOnlySequence<byte>, object?> Unmarshal)
    {
        public static Sample Of<T>(T value) => new(
            marshaller => (CdrTest.Marshal(marshaller, value), bytes => marshaller.Unmarshal<T>(new ReadOnlySequence<byte>(bytes)) is not null),
            (marshaller, input) => marshaller.Unmarshal<T>(input));
    }
}
