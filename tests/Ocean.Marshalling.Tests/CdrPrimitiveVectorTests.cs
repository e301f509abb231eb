using System.Buffers;
using Ocean.Framing;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// Golden vectors for every CDR primitive, hand-derived from CORBA 3.0 chapter 15 (CDR as GIOP 1.2 uses it), in
/// both byte orders: exact bytes from Marshal, the exact value from Unmarshal.
/// </summary>
public sealed class CdrPrimitiveVectorTests
{
    [Theory]
    [InlineData((byte)0x00, "00")]
    [InlineData((byte)0x7F, "7f")]
    [InlineData((byte)0xFF, "ff")]
    public void Octet_MatchesVector(byte value, string hex) => CdrTest.AssertVectors(value, hex, hex);

    [Theory]
    [InlineData(false, "00")]
    [InlineData(true, "01")]
    public void Boolean_MatchesVector(bool value, string hex) => CdrTest.AssertVectors(value, hex, hex);

    [Theory]
    [InlineData((short)0, "0000", "0000")]
    [InlineData((short)1, "0001", "0100")]
    [InlineData((short)0x1234, "1234", "3412")]
    [InlineData((short)-1, "ffff", "ffff")]
    [InlineData((short)-2, "fffe", "feff")]
    [InlineData(short.MinValue, "8000", "0080")]
    [InlineData(short.MaxValue, "7fff", "ff7f")]
    public void Short_MatchesVector(short value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Theory]
    [InlineData((ushort)0, "0000", "0000")]
    [InlineData((ushort)0x1234, "1234", "3412")]
    [InlineData((ushort)0x8001, "8001", "0180")]
    [InlineData(ushort.MaxValue, "ffff", "ffff")]
    public void UShort_MatchesVector(ushort value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Theory]
    [InlineData(0, "00000000", "00000000")]
    [InlineData(1934, "0000078e", "8e070000")]
    [InlineData(0x01020304, "01020304", "04030201")]
    [InlineData(-1, "ffffffff", "ffffffff")]
    [InlineData(-2, "fffffffe", "feffffff")]
    [InlineData(int.MinValue, "80000000", "00000080")]
    [InlineData(int.MaxValue, "7fffffff", "ffffff7f")]
    public void Long_MatchesVector(int value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Theory]
    [InlineData(0u, "00000000", "00000000")]
    [InlineData(0xDEADBEEFu, "deadbeef", "efbeadde")]
    [InlineData(0x80000001u, "80000001", "01000080")]
    [InlineData(uint.MaxValue, "ffffffff", "ffffffff")]
    public void ULong_MatchesVector(uint value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Theory]
    [InlineData(0L, "0000000000000000", "0000000000000000")]
    [InlineData(0x0102030405060708L, "0102030405060708", "0807060504030201")]
    [InlineData(-1L, "ffffffffffffffff", "ffffffffffffffff")]
    [InlineData(-2L, "fffffffffffffffe", "feffffffffffffff")]
    [InlineData(long.MinValue, "8000000000000000", "0000000000000080")]
    [InlineData(long.MaxValue, "7fffffffffffffff", "ffffffffffffff7f")]
    public void LongLong_MatchesVector(long value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Theory]
    [InlineData(0UL, "0000000000000000", "0000000000000000")]
    [InlineData(0x8000000000000001UL, "8000000000000001", "0100000000000080")]
    [InlineData(0xFEDCBA9876543210UL, "fedcba9876543210", "1032547698badcfe")]
    [InlineData(ulong.MaxValue, "ffffffffffffffff", "ffffffffffffffff")]
    public void ULongLong_MatchesVector(ulong value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Theory]
    [InlineData(0.0f, "00000000", "00000000")]
    [InlineData(-0.0f, "80000000", "00000080")]
    [InlineData(1.0f, "3f800000", "0000803f")]
    [InlineData(-2.5f, "c0200000", "000020c0")]
    [InlineData(float.MaxValue, "7f7fffff", "ffff7f7f")]
    [InlineData(float.MinValue, "ff7fffff", "ffff7fff")]
    [InlineData(float.Epsilon, "00000001", "01000000")]
    [InlineData(float.PositiveInfinity, "7f800000", "0000807f")]
    [InlineData(float.NegativeInfinity, "ff800000", "000080ff")]
    public void Float_MatchesIeeeBits(float value, string bigEndian, string littleEndian)
    {
        CdrTest.AssertVectors(value, bigEndian, littleEndian);
        BitConverter.SingleToInt32Bits(CdrTest.Unmarshal<float>(CdrTest.Bytes(bigEndian), ByteOrder.BigEndian)).Should().Be(BitConverter.SingleToInt32Bits(value));
        BitConverter.SingleToInt32Bits(CdrTest.Unmarshal<float>(CdrTest.Bytes(littleEndian), ByteOrder.LittleEndian)).Should().Be(BitConverter.SingleToInt32Bits(value));
    }

    [Theory]
    [InlineData(0.0, "0000000000000000", "0000000000000000")]
    [InlineData(-0.0, "8000000000000000", "0000000000000080")]
    [InlineData(1.0, "3ff0000000000000", "000000000000f03f")]
    [InlineData(-2.5, "c004000000000000", "00000000000004c0")]
    [InlineData(0.1, "3fb999999999999a", "9a9999999999b93f")]
    [InlineData(double.MaxValue, "7fefffffffffffff", "ffffffffffffef7f")]
    [InlineData(double.MinValue, "ffefffffffffffff", "ffffffffffffefff")]
    [InlineData(double.Epsilon, "0000000000000001", "0100000000000000")]
    [InlineData(double.NegativeInfinity, "fff0000000000000", "000000000000f0ff")]
    public void Double_MatchesIeeeBits(double value, string bigEndian, string littleEndian)
    {
        CdrTest.AssertVectors(value, bigEndian, littleEndian);
        BitConverter.DoubleToInt64Bits(CdrTest.Unmarshal<double>(CdrTest.Bytes(bigEndian), ByteOrder.BigEndian)).Should().Be(BitConverter.DoubleToInt64Bits(value));
        BitConverter.DoubleToInt64Bits(CdrTest.Unmarshal<double>(CdrTest.Bytes(littleEndian), ByteOrder.LittleEndian)).Should().Be(BitConverter.DoubleToInt64Bits(value));
    }

    [Fact]
    public void Float_QuietNaN_KeepsItsBits()
    {
        var nan = BitConverter.Int32BitsToSingle(0x7FC00001);

        CdrTest.Marshal(nan, ByteOrder.BigEndian).Should().Equal(0x7F, 0xC0, 0x00, 0x01);
        BitConverter.SingleToInt32Bits(CdrTest.Unmarshal<float>(CdrTest.Bytes("7fc00001"), ByteOrder.BigEndian)).Should().Be(0x7FC00001);
        BitConverter.SingleToInt32Bits(CdrTest.Unmarshal<float>(CdrTest.Bytes("0100c07f"), ByteOrder.LittleEndian)).Should().Be(0x7FC00001);
    }

    // A C# char is a CDR wchar: GIOP 1.2 writes the octet 2 then the UTF-16 unit big-endian, whatever the stream's order.
    [Theory]
    [InlineData('A', "020041")]
    [InlineData('\u00E9', "0200e9")]
    [InlineData('\u20AC', "0220ac")]
    [InlineData('\u0000', "020000")]
    [InlineData('\uFFFF', "02ffff")]
    public void WChar_IsOctetTwoThenBigEndianUnit_InBothByteOrders(char value, string hex) => CdrTest.AssertVectors(value, hex, hex);

    [Theory]
    [InlineData('A', "41")]
    [InlineData('\u00E9', "e9")]
    [InlineData('\u00FF', "ff")]
    public void NarrowChar_IsOneLatin1Octet(char value, string hex) => CdrTest.AssertVectors(new NarrowChar(value), hex, hex);

    [Fact]
    public void NarrowChar_OutsideLatin1_IsRefused()
    {
        var act = () => CdrTest.Marshal(new NarrowChar('\u0100'), ByteOrder.BigEndian);

        act.Should().Throw<MarshallingException>();
    }

    [Theory]
    [InlineData("", "00000001 00", "01000000 00")]
    [InlineData("A", "00000002 4100", "02000000 4100")]
    [InlineData("Hi", "00000003 486900", "03000000 486900")]
    [InlineData("\u00E9", "00000002 e900", "02000000 e900")]
    [InlineData("caf\u00E9", "00000005 636166e900", "05000000 636166e900")]
    [InlineData("\u00FF\u0001", "00000003 ff0100", "03000000 ff0100")]
    public void String_IsLengthWithNulThenLatin1ThenNul(string value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Theory]
    [InlineData("\u0100")]
    [InlineData("\u20AC")]
    [InlineData("a\0b")]
    public void String_OutsideLatin1OrWithNul_IsRefused(string value)
    {
        var act = () => CdrTest.Marshal(value, ByteOrder.BigEndian);

        act.Should().Throw<MarshallingException>();
    }

    // GIOP 1.2 wstring: byte count (in the stream's order), then UTF-16 units big-endian, no NUL.
    [Theory]
    [InlineData("", "00000000", "00000000")]
    [InlineData("Hi", "00000004 00480069", "04000000 00480069")]
    [InlineData("\u00E9", "00000002 00e9", "02000000 00e9")]
    [InlineData("\u20AC1", "00000004 20ac0031", "04000000 20ac0031")]
    public void WString_IsByteCountThenBigEndianUnits(string value, string bigEndian, string littleEndian) =>
        CdrTest.AssertVectors(new WideText(value), bigEndian, littleEndian);

    [Theory]
    [InlineData("00000006 feff 0048 0069")]
    [InlineData("00000006 fffe 4800 6900")]
    public void WString_WithByteOrderMark_IsReadInThatOrder(string hex)
    {
        CdrTest.Unmarshal<WideText>(CdrTest.Bytes(hex), ByteOrder.BigEndian).Should().Be(new WideText("Hi"));
    }

    [Fact]
    public void WString_OnlyAByteOrderMark_IsEmpty()
    {
        CdrTest.Unmarshal<WideText>(CdrTest.Bytes("00000002 feff"), ByteOrder.BigEndian).Should().Be(new WideText(string.Empty));
    }

    // A text that starts with U+FEFF (or U+FFFE) must survive: the writer has to mark the order so the reader
    // does not take the first character for a byte-order mark.
    [Theory]
    [InlineData("\uFEFFHi")]
    [InlineData("\uFFFEHi")]
    public void WString_StartingWithByteOrderMarkCharacter_RoundTrips(string value)
    {
        foreach (var order in new[] { ByteOrder.BigEndian, ByteOrder.LittleEndian })
        {
            CdrTest.Unmarshal<WideText>(CdrTest.Marshal(new WideText(value), order), order).Value.Should().Be(value);
        }
    }

    [Theory]
    [InlineData(Color.Green, "00000000", "00000000")]
    [InlineData(Color.Red, "00000001", "01000000")]
    [InlineData(Color.Blue, "00000002", "02000000")]
    public void Enum_IsOrdinalAmongValuesSortedAscending(Color value, string bigEndian, string littleEndian) => CdrTest.AssertVectors(value, bigEndian, littleEndian);

    [Fact]
    public void Enum_UndeclaredValue_IsRefused()
    {
        var act = () => CdrTest.Marshal((Color)7, ByteOrder.BigEndian);

        act.Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Unmarshal_MultiSegmentLongString_ReadsAcrossSegments()
    {
        var text = new string('x', 1000) + "\u00E9";
        var bytes = CdrTest.Marshal(text, ByteOrder.BigEndian);

        CdrTest.Marshaller(ByteOrder.BigEndian).Unmarshal<string>(CdrTest.Split(bytes, 500)).Should().Be(text);
        CdrTest.Marshaller(ByteOrder.BigEndian).Unmarshal<string>(CdrTest.OneBytePerSegment(bytes)).Should().Be(text);
        CdrTest.Marshaller(ByteOrder.BigEndian).Unmarshal<WideText>(CdrTest.OneBytePerSegment(CdrTest.Marshal(new WideText(text), ByteOrder.BigEndian))).Value.Should().Be(text);
    }

    [Fact]
    public void Unmarshal_EmptySequence_IsNotAValue()
    {
        var act = () => CdrTest.Marshaller(ByteOrder.BigEndian).Unmarshal<int>(ReadOnlySequence<byte>.Empty);

        act.Should().Throw<MarshallingException>();
    }
}
