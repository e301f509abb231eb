using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// Golden vectors for constructed types (sequences, structs, fixed arrays, enums, unions, encapsulations),
/// hand-derived with every offset worked out from position 0, in both byte orders.
/// </summary>
public sealed class CdrConstructedVectorTests
{
    [Fact]
    public void SequenceOfLong_Empty_IsJustTheCount()
    {
        CdrTest.AssertVectors(Array.Empty<int>(), "00000000", "00000000");
        CdrTest.AssertVectors(new List<int>(), "00000000", "00000000");
    }

    [Fact]
    public void SequenceOfLong_IsCountThenElements()
    {
        CdrTest.AssertVectors(new[] { 1, -1, 0x01020304 }, "00000003 00000001 ffffffff 01020304", "03000000 01000000 ffffffff 04030201");
        CdrTest.AssertVectors(new List<int> { 1, -1, 0x01020304 }, "00000003 00000001 ffffffff 01020304", "03000000 01000000 ffffffff 04030201");
    }

    [Fact]
    public void SequenceOfLongLong_FirstElementIsAlignedToEight()
    {
        // count @0..4, pad @4..8, element @8..16
        CdrTest.AssertVectors(new[] { 1L }, "00000001 00000000 0000000000000001", "01000000 00000000 0100000000000000");
    }

    [Fact]
    public void SequenceOfShort_IsPacked()
    {
        CdrTest.AssertVectors(new short[] { 1, 2, -3 }, "00000003 0001 0002 fffd", "03000000 0100 0200 fdff");
    }

    [Fact]
    public void SequenceOfOctet_IsCountThenRawBytes()
    {
        CdrTest.AssertVectors(new byte[] { 1, 2, 0xFF }, "00000003 0102ff", "03000000 0102ff");
        CdrTest.AssertVectors(Array.Empty<byte>(), "00000000", "00000000");
        CdrTest.AssertVectors(new List<byte> { 1, 2, 0xFF }, "00000003 0102ff", "03000000 0102ff");
    }

    [Fact]
    public void SequenceOfBoolean_IsOneOctetEach()
    {
        CdrTest.AssertVectors(new[] { true, false, true }, "00000003 010001", "03000000 010001");
    }

    [Fact]
    public void SequenceOfString_PadsEachLengthToFour()
    {
        // count @0..4; "a": length @4..8, 61 00 @8..10, pad @10..12; "": length @12..16, 00 @16
        CdrTest.AssertVectors(new[] { "a", string.Empty }, "00000002 00000002 6100 0000 00000001 00", "02000000 02000000 6100 0000 01000000 00");
    }

    [Fact]
    public void SequenceOfEnum_IsOrdinals()
    {
        CdrTest.AssertVectors(new[] { Color.Blue, Color.Green }, "00000002 00000002 00000000", "02000000 02000000 00000000");
    }

    [Fact]
    public void Struct_WithEveryAlignment_MatchesVector()
    {
        // a @0, pad @1..8, b @8..16, c @16..18, pad @18..24, d @24..32, e @32, pad @33..36, f @36..40
        var value = new Aligned(0x11, 1.0, -2, 0x0102030405060708, true, -2.5f);

        CdrTest.AssertVectors(
            value,
            "11 00000000000000 3ff0000000000000 fffe 000000000000 0102030405060708 01 000000 c0200000",
            "11 00000000000000 000000000000f03f feff 000000000000 0807060504030201 01 000000 000020c0");
        CdrTest.Marshal(value, ByteOrder.BigEndian).Should().HaveCount(40);
    }

    [Fact]
    public void NestedStruct_AlignsAcrossTheBoundary()
    {
        // a @0, pad @1; inner.s @2..4, pad @4..8, inner.l @8..16; b @16, pad @17..20, c @20..24
        var value = new Outer(1, new Inner(0x0203, -1), 4, 5);

        CdrTest.AssertVectors(
            value,
            "01 00 0203 00000000 ffffffffffffffff 04 000000 00000005",
            "01 00 0302 00000000 ffffffffffffffff 04 000000 05000000");
    }

    [Fact]
    public void SequenceOfStruct_AlignsEachElement()
    {
        // count @0..4; [0].s @4..6, pad @6..8, [0].l @8..16; [1].s @16..18, pad @18..24, [1].l @24..32
        var value = new List<Inner> { new(1, 2), new(-1, -2) };

        CdrTest.AssertVectors(
            value,
            "00000002 0001 0000 0000000000000002 ffff 000000000000 fffffffffffffffe",
            "02000000 0100 0000 0200000000000000 ffff 000000000000 feffffffffffffff");
    }

    [Fact]
    public void StructWithSequenceOfStruct_MatchesVector()
    {
        // name @0..6, pad @6..8, count @8..12, person: name @12..22, pad @22..24, place @24..35, pad @35..36, year @36..40
        var value = new Team("T", [new Person("Smith", "London", 1934)]);

        CdrTest.AssertVectors(
            value,
            "00000002 5400 0000 00000001 00000006 536d69746800 0000 00000007 4c6f6e646f6e00 00 0000078e",
            "02000000 5400 0000 01000000 06000000 536d69746800 0000 07000000 4c6f6e646f6e00 00 8e070000");
    }

    [Fact]
    public void StructWithEmptyStringAndEmptySequence_MatchesVector()
    {
        // text: length 1 @0..4, NUL @4, pad @5..8; values: count 0 @8..12
        CdrTest.AssertVectors(new Holder(string.Empty, []), "00000001 00 000000 00000000", "01000000 00 000000 00000000");
        CdrTest.AssertVectors(new Team(string.Empty, []), "00000001 00 000000 00000000", "01000000 00 000000 00000000");
    }

    [Fact]
    public void ValueTypeStruct_MatchesVector()
    {
        CdrTest.AssertVectors(new Point(1, -2), "0001 fffe", "0100 feff");
        CdrTest.AssertVectors(new[] { new Point(1, 2), new Point(3, 4) }, "00000002 0001 0002 0003 0004", "02000000 0100 0200 0300 0400");
    }

    [Fact]
    public void FixedArrayOfShort_HasNoCount()
    {
        // tag @0, pad @1, values @2..8
        CdrTest.AssertVectors(new FixedShorts(0xAA, [1, 2, -3]), "aa 00 0001 0002 fffd", "aa 00 0100 0200 fdff");
    }

    [Fact]
    public void FixedArrayOfOctet_IsRawBytes()
    {
        CdrTest.AssertVectors(new FixedOctets([1, 2, 3, 4]), "01020304", "01020304");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void FixedArray_WrongLength_IsRefused(int length)
    {
        var act = () => CdrTest.Marshal(new FixedShorts(0, new short[length]), ByteOrder.BigEndian);

        act.Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Union_FirstCase_IsDiscriminatorThenLong()
    {
        CdrTest.AssertVectors(new Shape { Kind = 1, Number = 7 }, "00000001 00000007", "01000000 07000000");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Union_CaseWithTwoLabels_IsDiscriminatorThenString(int kind)
    {
        CdrTest.AssertVectors(new Shape { Kind = kind, Text = "ab" }, $"0000000{kind} 00000003 616200", $"0{kind}000000 03000000 616200");
    }

    [Fact]
    public void Union_DefaultCase_AlignsTheDouble()
    {
        // discriminator @0..4, pad @4..8, double @8..16
        CdrTest.AssertVectors(new Shape { Kind = 9, Other = 1.0 }, "00000009 00000000 3ff0000000000000", "09000000 00000000 000000000000f03f");
    }

    [Fact]
    public void Union_OnlyTheSelectedBranchIsRead()
    {
        var shape = CdrTest.Unmarshal<Shape>(CdrTest.Bytes("00000001 00000007"), ByteOrder.BigEndian);

        shape.Kind.Should().Be(1);
        shape.Number.Should().Be(7);
        shape.Text.Should().BeEmpty();
        shape.Other.Should().Be(0);
    }

    [Fact]
    public void Union_DiscriminatorSelectingNoBranch_IsRefusedWhenMarshalling()
    {
        var act = () => CdrTest.Marshal(new StrictUnion { Kind = 5 }, ByteOrder.BigEndian);

        act.Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Encapsulation_LittleEndianInsideBigEndian_AlignsFromItsOwnStart()
    {
        // outer length @0..4 (8); inside: flag 01 @0, pad @1..4, long little-endian @4..8
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output, ByteOrder.BigEndian);
        writer.WriteEncapsulation(ByteOrder.LittleEndian, 0x01020304, static (ref CdrWriter inner, int value) => inner.WriteLong(value));
        writer.Flush();

        CdrTest.Hex(output.WrittenSpan).Should().Be(CdrTest.Normalize("00000008 01 000000 04030201"));

        var reader = new CdrReader(new ReadOnlySequence<byte>(output.WrittenMemory), ByteOrder.BigEndian);
        reader.ReadEncapsulation(static (ref CdrReader inner) => inner.ReadLong()).Should().Be(0x01020304);
        reader.Remaining.Should().Be(0);
    }

    [Fact]
    public void Encapsulation_BigEndianInsideLittleEndian_AlignsFromItsOwnStart()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output, ByteOrder.LittleEndian);
        writer.WriteEncapsulation(ByteOrder.BigEndian, 0x01020304, static (ref CdrWriter inner, int value) => inner.WriteLong(value));
        writer.Flush();

        CdrTest.Hex(output.WrittenSpan).Should().Be(CdrTest.Normalize("08000000 00 000000 01020304"));

        var reader = new CdrReader(new ReadOnlySequence<byte>(output.WrittenMemory), ByteOrder.LittleEndian);
        reader.ReadEncapsulation(static (ref CdrReader inner) => inner.ReadLong()).Should().Be(0x01020304);
    }

    [Fact]
    public void Encapsulation_AfterAnOctet_ContentAlignmentIgnoresTheOuterPosition()
    {
        // outer: octet @0, pad @1..4, length @4..8 (16); inside: flag @0, pad @1..8, long long @8..16
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output, ByteOrder.BigEndian);
        writer.WriteOctet(0xAA);
        writer.WriteEncapsulation(ByteOrder.LittleEndian, 0x0102030405060708L, static (ref CdrWriter inner, long value) => inner.WriteLongLong(value));
        writer.WriteShort(-1);
        writer.Flush();

        // after the encapsulation the outer stream is at 24, so the short needs no padding
        CdrTest.Hex(output.WrittenSpan).Should().Be(CdrTest.Normalize("aa 000000 00000010 01 00000000000000 0807060504030201 ffff"));

        var reader = new CdrReader(new ReadOnlySequence<byte>(output.WrittenMemory), ByteOrder.BigEndian);
        reader.ReadOctet().Should().Be(0xAA);
        reader.ReadEncapsulation(static (ref CdrReader inner) => inner.ReadLongLong()).Should().Be(0x0102030405060708L);
        reader.ReadShort().Should().Be(-1);
        reader.Remaining.Should().Be(0);
    }

    [Fact]
    public void Encapsulation_WithMarshalledStruct_UsesTheInnerByteOrder()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output, ByteOrder.BigEndian);
        writer.WriteEncapsulation(ByteOrder.LittleEndian, new Person("Smith", "London", 1934), static (ref CdrWriter inner, Person p) => CdrMarshaller.Write(ref inner, p));
        writer.Flush();

        // inside: flag @0, pad @1..4, then the little-endian Person vector shifted by 4 (so it keeps its alignment)
        CdrTest.Hex(output.WrittenSpan).Should().Be(CdrTest.Normalize("00000020 01 000000 06000000 536d69746800 0000 07000000 4c6f6e646f6e00 00 8e070000"));

        var reader = new CdrReader(new ReadOnlySequence<byte>(output.WrittenMemory), ByteOrder.BigEndian);
        reader.ReadEncapsulation(static (ref CdrReader inner) => CdrMarshaller.Read<Person>(ref inner)).Should().Be(new Person("Smith", "London", 1934));
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("00000001 02")]
    [InlineData("00000005 00 000000")]
    public void Encapsulation_Malformed_IsRefused(string hex)
    {
        var bytes = CdrTest.Bytes(hex);
        var act = () =>
        {
            var reader = new CdrReader(new ReadOnlySequence<byte>(bytes), ByteOrder.BigEndian);
            return reader.ReadEncapsulation(static (ref CdrReader inner) => inner.ReadOctet());
        };

        act.Should().Throw<MarshallingException>();
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian, "00000000 0000000000000001")]
    [InlineData(ByteOrder.LittleEndian, "00000000 0100000000000000")]
    public void Writer_StartPositionTwelve_PadsLongLongByFour(ByteOrder order, string hex)
    {
        // a GIOP 1.2 body follows the 12-byte header: position 12 needs 4 bytes of padding to reach 16
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output, order, startPosition: 12);
        writer.WriteLongLong(1);
        writer.Flush();

        CdrTest.Hex(output.WrittenSpan).Should().Be(CdrTest.Normalize(hex));
        writer.Position.Should().Be(24);

        var reader = new CdrReader(new ReadOnlySequence<byte>(output.WrittenMemory), order, startPosition: 12);
        reader.ReadLongLong().Should().Be(1);
        reader.Remaining.Should().Be(0);
    }

    [Fact]
    public void Writer_StartPositionTwelve_LongNeedsNoPadding()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output, ByteOrder.BigEndian, startPosition: 12);
        writer.WriteLong(1);
        writer.Flush();

        CdrTest.Hex(output.WrittenSpan).Should().Be("00000001");
    }

    [Fact]
    public void Write_StructAfterGiopHeader_AlignsFromTheMessageStart()
    {
        // Aligned at position 12: a @12, pad @13..16, b @16..24, c @24..26, pad @26..32, d @32..40, e @40, pad @41..44, f @44..48
        var output = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(output, ByteOrder.BigEndian, startPosition: 12);
        CdrMarshaller.Write(ref writer, new Aligned(0x11, 1.0, -2, 0x0102030405060708, true, -2.5f));
        writer.Flush();

        CdrTest.Hex(output.WrittenSpan).Should().Be(CdrTest.Normalize("11 000000 3ff0000000000000 fffe 000000000000 0102030405060708 01 000000 c0200000"));

        var reader = new CdrReader(new ReadOnlySequence<byte>(output.WrittenMemory), ByteOrder.BigEndian, startPosition: 12);
        CdrMarshaller.Read<Aligned>(ref reader).Should().Be(new Aligned(0x11, 1.0, -2, 0x0102030405060708, true, -2.5f));
    }

    [Fact]
    public void Reader_PaddingWithNonZeroBytes_IsIgnored()
    {
        var bytes = CdrTest.Bytes("11 abcdefabcdefab 3ff0000000000000 fffe 5a5a5a5a5a5a 0102030405060708 01 ffffff c0200000");

        CdrTest.Unmarshal<Aligned>(bytes, ByteOrder.BigEndian).Should().Be(new Aligned(0x11, 1.0, -2, 0x0102030405060708, true, -2.5f));
    }

    [Fact]
    public void RecursiveStruct_MatchesVector()
    {
        // value @0..4, count @4..8, child: value @8..12, count @12..16
        var node = new Node { Value = 1, Children = [new Node { Value = 2 }] };

        CdrTest.AssertVectors(node, "00000001 00000001 00000002 00000000", "01000000 01000000 02000000 00000000");
    }
}
