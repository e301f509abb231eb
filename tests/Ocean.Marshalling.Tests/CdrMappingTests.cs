using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Tests;

/// <summary>Declares properties and fields interleaved: the wire order must still be A, B, C, D.</summary>
public sealed class Interleaved
{
    public byte A { get; set; }

    public short B;

    public int C { get; set; }

    public byte D;
}

/// <summary>Interleaved fields and properties set through a constructor.</summary>
public sealed class InterleavedImmutable
{
    public readonly byte First;

    public InterleavedImmutable(byte first, int second, byte third)
    {
        First = first;
        Second = second;
        Third = third;
    }

    public int Second { get; }

    public readonly byte Third;
}

/// <summary>[CdrOrder] on every member reorders them: the wire order is Second, First.</summary>
public sealed class Reordered
{
    [CdrOrder(2)]
    public int First { get; set; }

    [CdrOrder(1)]
    public byte Second { get; set; }
}

/// <summary>[CdrOrder] on only some members is refused.</summary>
public sealed class PartlyOrdered
{
    [CdrOrder(1)]
    public int First { get; set; }

    public int Second { get; set; }
}

/// <summary>A record whose constructor parameters match no member and whose properties are read-only.</summary>
public sealed record Mismatched
{
    public Mismatched(int x) => Value = x;

    public int Value { get; }
}

/// <summary>Read-only members set through a constructor that matches them by name.</summary>
public sealed class Immutable(int id, string name)
{
    public int Id { get; } = id;

    public string Name { get; } = name;
}

/// <summary>A positional record with an extra settable property.</summary>
public sealed record Mixed(int Id)
{
    public string Note { get; set; } = string.Empty;
}

/// <summary>A class whose setter is private and has no matching constructor.</summary>
public sealed class PrivateSetter
{
    public int Value { get; private set; }
}

/// <summary>Init-only properties with a parameterless constructor.</summary>
public sealed class InitOnly
{
    public int Id { get; init; }

    public string Name { get; init; } = string.Empty;
}

/// <summary>A mutable value type with fields.</summary>
public struct MutableStruct
{
    public int X;
    public double Y;
}

/// <summary>A readonly value type set through its constructor.</summary>
public readonly struct ReadOnlyStruct(short x, long y)
{
    public readonly short X = x;
    public readonly long Y = y;
}

/// <summary>Nulls written as empty.</summary>
public sealed class NullAsEmpty
{
    [CdrNullAsEmpty]
    public string? Text { get; set; }

    [CdrNullAsEmpty]
    public int[]? Values { get; set; }

    [CdrNullAsEmpty]
    public List<string>? Names { get; set; }
}

/// <summary>An ignored member is not on the wire.</summary>
public sealed class WithIgnored
{
    public int Kept { get; set; }

    [CdrIgnore]
    public decimal Ignored { get; set; }
}

/// <summary>sequence&lt;wstring&gt; and sequence&lt;char&gt; through member attributes.</summary>
public sealed record WideAndNarrowSequences([property: CdrWide] string[] Words, [property: CdrNarrow] char[] Letters);

/// <summary>A recursive positional record.</summary>
public sealed record Tree(int Value, List<Tree> Children);

public sealed record WithDecimal(int Id, decimal Amount);

public sealed record WithNullable(int? Maybe);

public sealed record WithDictionary(Dictionary<string, int> Map);

public sealed record WithMultiDimensional(int[,] Grid);

public sealed record WithFixedLengthOnList([property: CdrFixedLength(2)] List<int> Values);

public sealed class NoMembers;

/// <summary>A union without a discriminator.</summary>
[CdrUnion]
public sealed class UnionWithoutDiscriminator
{
    [CdrCase(1)]
    public int A { get; set; }
}

/// <summary>A union whose discriminator is a string.</summary>
[CdrUnion]
public sealed class UnionWithStringDiscriminator
{
    [CdrDiscriminator]
    public string Kind { get; set; } = string.Empty;

    [CdrCase(1)]
    public int A { get; set; }
}

/// <summary>A union over an enum, selected by the enum's numeric values.</summary>
[CdrUnion]
public sealed class ColorUnion
{
    [CdrDiscriminator]
    public Color Color { get; set; }

    [CdrCase((long)Color.Red)]
    public int RedValue { get; set; }

    [CdrCase((long)Color.Blue, (long)Color.Green)]
    public string Other { get; set; } = string.Empty;
}

/// <summary>A union over a boolean.</summary>
[CdrUnion]
public sealed class BoolUnion
{
    [CdrDiscriminator]
    public bool Has { get; set; }

    [CdrCase(1)]
    public long Value { get; set; }

    [CdrCase(0)]
    public byte Nothing { get; set; }
}

public enum Huge : ulong
{
    Zero = 0,
    Max = ulong.MaxValue,
}

/// <summary>A union over an enum whose values do not fit a signed long.</summary>
[CdrUnion]
public sealed class HugeUnion
{
    [CdrDiscriminator]
    public Huge Kind { get; set; }

    [CdrCase(0)]
    public int Small { get; set; }

    [CdrDefaultCase]
    public int Large { get; set; }
}

/// <summary>A base class with an auto-property, and a class derived from it.</summary>
public class BaseWithProperty
{
    public int Id { get; set; }
}

public sealed class DerivedWithProperty : BaseWithProperty
{
    public byte Flag { get; set; }
}

/// <summary>The same shape with fields.</summary>
public class BaseWithField
{
    public int Id;
}

public sealed class DerivedWithField : BaseWithField
{
    public byte Flag;
}

/// <summary>How C# types map to CDR: member order, construction, what is supported, null.</summary>
public sealed class CdrMappingTests
{
    private static readonly CdrMarshaller s_marshaller = CdrMarshaller.Default;

    [Fact]
    public void MemberOrder_InterleavedPropertiesAndFields_IsDeclarationOrder()
    {
        // A @0, pad @1, B @2..4, C @4..8, D @8
        var value = new Interleaved { A = 1, B = 2, C = 3, D = 4 };

        CdrTest.Hex(CdrTest.Marshal(value, ByteOrder.BigEndian)).Should().Be("010000020000000304");
        CdrTest.Unmarshal<Interleaved>(CdrTest.Bytes("010000020000000304"), ByteOrder.BigEndian).Should().BeEquivalentTo(value);
    }

    [Fact]
    public void MemberOrder_InterleavedReadOnlyMembersWithConstructor_IsDeclarationOrder()
    {
        // First @0, pad @1..4, Second @4..8, Third @8
        var value = new InterleavedImmutable(1, 2, 3);

        CdrTest.Hex(CdrTest.Marshal(value, ByteOrder.BigEndian)).Should().Be("010000000000000203");
        CdrTest.Unmarshal<InterleavedImmutable>(CdrTest.Bytes("010000000000000203"), ByteOrder.BigEndian).Should().BeEquivalentTo(value);
    }

    [Fact]
    public void MemberOrder_PositionalRecord_IsParameterOrder()
    {
        CdrTest.Hex(CdrTest.Marshal(new Outer(1, new Inner(2, 3), 4, 5), ByteOrder.BigEndian))
            .Should().StartWith("01000002");
    }

    [Fact]
    public void MemberOrder_InheritedFields_BaseMembersFirst()
    {
        // Id @0..4, Flag @4
        CdrTest.AssertVectors(new DerivedWithField { Id = 1, Flag = 2 }, "00000001 02", "01000000 02");
    }

    [Fact]
    public void MemberOrder_InheritedAutoProperties_BaseMembersFirstLikeFields()
    {
        // the same shape as DerivedWithField, so the same bytes: Id @0..4, Flag @4
        CdrTest.AssertVectors(new DerivedWithProperty { Id = 1, Flag = 2 }, "00000001 02", "01000000 02");
    }

    [Fact]
    public void MemberOrder_CdrOrderOnEveryMember_Reorders()
    {
        // Second @0, pad @1..4, First @4..8
        var value = new Reordered { First = 0x01020304, Second = 9 };

        CdrTest.AssertVectors(value, "09000000 01020304", "09000000 04030201");
    }

    [Fact]
    public void CanMarshal_CdrOrderOnSomeMembers_IsFalseWithReason()
    {
        s_marshaller.CanMarshal(typeof(PartlyOrdered), out var reason).Should().BeFalse();
        reason.Should().Contain("CdrOrder");
    }

    [Theory]
    [InlineData(typeof(int?))]
    [InlineData(typeof(decimal))]
    [InlineData(typeof(object))]
    [InlineData(typeof(IDisposable))]
    [InlineData(typeof(IList<int>))]
    [InlineData(typeof(Dictionary<string, int>))]
    [InlineData(typeof(int[,]))]
    [InlineData(typeof(Func<int>))]
    [InlineData(typeof(nint))]
    [InlineData(typeof(List<int?>))]
    [InlineData(typeof(WithDecimal))]
    [InlineData(typeof(WithNullable))]
    [InlineData(typeof(WithDictionary))]
    [InlineData(typeof(WithMultiDimensional))]
    [InlineData(typeof(WithFixedLengthOnList))]
    [InlineData(typeof(Mismatched))]
    [InlineData(typeof(PrivateSetter))]
    [InlineData(typeof(NoMembers))]
    [InlineData(typeof(UnionWithoutDiscriminator))]
    [InlineData(typeof(UnionWithStringDiscriminator))]
    [InlineData(typeof(PartlyOrdered))]
    public void CanMarshal_UnsupportedType_IsFalseWithReason(Type type)
    {
        s_marshaller.CanMarshal(type, out var reason).Should().BeFalse();
        reason.Should().NotBeNullOrWhiteSpace();
    }

    [Theory]
    [InlineData(typeof(bool))]
    [InlineData(typeof(byte))]
    [InlineData(typeof(char))]
    [InlineData(typeof(short))]
    [InlineData(typeof(ushort))]
    [InlineData(typeof(int))]
    [InlineData(typeof(uint))]
    [InlineData(typeof(long))]
    [InlineData(typeof(ulong))]
    [InlineData(typeof(float))]
    [InlineData(typeof(double))]
    [InlineData(typeof(string))]
    [InlineData(typeof(Color))]
    [InlineData(typeof(int[]))]
    [InlineData(typeof(int[][]))]
    [InlineData(typeof(List<Person>))]
    [InlineData(typeof(Person))]
    [InlineData(typeof(Point))]
    [InlineData(typeof(MutableStruct))]
    [InlineData(typeof(ReadOnlyStruct))]
    [InlineData(typeof(Interleaved))]
    [InlineData(typeof(Immutable))]
    [InlineData(typeof(Mixed))]
    [InlineData(typeof(InitOnly))]
    [InlineData(typeof(Shape))]
    [InlineData(typeof(ColorUnion))]
    [InlineData(typeof(Node))]
    [InlineData(typeof(Tree))]
    [InlineData(typeof(WithIgnored))]
    public void CanMarshal_SupportedType_IsTrue(Type type)
    {
        s_marshaller.CanMarshal(type, out var reason).Should().BeTrue(reason);
        reason.Should().BeNull();
    }

    [Fact]
    public void CanMarshal_MemberOfUnsupportedType_NamesTheMember()
    {
        s_marshaller.CanMarshal(typeof(WithDecimal), out var reason).Should().BeFalse();
        reason.Should().Contain(nameof(WithDecimal.Amount));
    }

    [Fact]
    public void Marshal_UnsupportedType_ThrowsMarshallingException()
    {
        var marshal = () => CdrTest.Marshal(new WithDecimal(1, 2m), ByteOrder.BigEndian);
        var unmarshal = () => CdrTest.Unmarshal<WithDecimal>(new byte[8], ByteOrder.BigEndian);

        marshal.Should().Throw<MarshallingException>();
        unmarshal.Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Marshal_NullStringMember_ThrowsMarshallingException()
    {
        var act = () => CdrTest.Marshal(new Person(null!, "London", 1934), ByteOrder.BigEndian);

        act.Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Marshal_NullTopLevelValues_ThrowMarshallingException()
    {
        FluentActions.Invoking(() => CdrTest.Marshal<string>(null!, ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => CdrTest.Marshal<int[]>(null!, ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => CdrTest.Marshal<List<int>>(null!, ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => CdrTest.Marshal<Person>(null!, ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => CdrTest.Marshal<Shape>(null!, ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Marshal_NullSequenceMemberOrElement_ThrowsMarshallingException()
    {
        FluentActions.Invoking(() => CdrTest.Marshal(new Holder("x", null!), ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => CdrTest.Marshal(new Team("x", null!), ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => CdrTest.Marshal(new Team("x", [null!]), ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => CdrTest.Marshal(new[] { "a", null! }, ByteOrder.BigEndian)).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Marshal_NullAsEmpty_WritesEmptyAndReadsBackEmpty()
    {
        // text: length 1, NUL, pad; values: count 0; names: count 0
        var bytes = CdrTest.Marshal(new NullAsEmpty(), ByteOrder.BigEndian);

        CdrTest.Hex(bytes).Should().Be(CdrTest.Normalize("00000001 00 000000 00000000 00000000"));
        var read = CdrTest.Unmarshal<NullAsEmpty>(bytes, ByteOrder.BigEndian);
        read.Text.Should().NotBeNull().And.BeEmpty();
        read.Values.Should().NotBeNull().And.BeEmpty();
        read.Names.Should().NotBeNull().And.BeEmpty();
    }

    [Fact]
    public void Marshal_NullAsEmptyWithValues_RoundTrips()
    {
        var value = new NullAsEmpty { Text = "t", Values = [1, 2], Names = ["a"] };

        CdrTest.Unmarshal<NullAsEmpty>(CdrTest.Marshal(value, ByteOrder.LittleEndian), ByteOrder.LittleEndian).Should().BeEquivalentTo(value);
    }

    [Fact]
    public void Immutable_ConstructorMatchedByName_RoundTrips()
    {
        var value = new Immutable(7, "seven");

        CdrTest.AssertVectors(value, "00000007 00000006 736576656e00", "07000000 06000000 736576656e00");
    }

    [Fact]
    public void Mixed_ConstructorAndSettableProperty_RoundTrips()
    {
        var value = new Mixed(3) { Note = "n" };

        CdrTest.AssertVectors(value, "00000003 00000002 6e00", "03000000 02000000 6e00");
        CdrTest.Unmarshal<Mixed>(CdrTest.Marshal(value, ByteOrder.BigEndian), ByteOrder.BigEndian).Should().Be(value);
    }

    [Fact]
    public void InitOnly_RoundTrips()
    {
        CdrTest.AssertVectors(new InitOnly { Id = 1, Name = "a" }, "00000001 00000002 6100", "01000000 02000000 6100");
    }

    [Fact]
    public void ValueTypes_RoundTrip()
    {
        // X @0..4, pad @4..8, Y @8..16
        CdrTest.AssertVectors(new MutableStruct { X = 1, Y = 1.0 }, "00000001 00000000 3ff0000000000000", "01000000 00000000 000000000000f03f");

        // X @0..2, pad @2..8, Y @8..16
        CdrTest.AssertVectors(new ReadOnlyStruct(1, 2), "0001 000000000000 0000000000000002", "0100 000000000000 0200000000000000");
    }

    [Fact]
    public void Ignored_IsNotOnTheWire()
    {
        var bytes = CdrTest.Marshal(new WithIgnored { Kept = 5, Ignored = 1.5m }, ByteOrder.BigEndian);

        CdrTest.Hex(bytes).Should().Be("00000005");
        CdrTest.Unmarshal<WithIgnored>(bytes, ByteOrder.BigEndian).Should().BeEquivalentTo(new WithIgnored { Kept = 5 });
    }

    [Fact]
    public void WideAndNarrowOnSequences_ApplyToTheElements()
    {
        // words: count @0..4, "\u20AC": byte count @4..8, unit @8..10; letters: pad @10..12, count @12..16, 'a' 'b' @16..18
        var value = new WideAndNarrowSequences(["\u20AC"], ['a', '\u00E9']);

        CdrTest.AssertVectors(value, "00000001 00000002 20ac 0000 00000002 61e9", "01000000 02000000 20ac 0000 02000000 61e9");
    }

    [Fact]
    public void CharArray_WithoutNarrow_IsSequenceOfWChar()
    {
        CdrTest.AssertVectors(new[] { 'a', '\u20AC' }, "00000002 020061 0220ac", "02000000 020061 0220ac");
    }

    [Fact]
    public void RecursiveClass_RoundTrips()
    {
        var tree = new Node
        {
            Value = 1,
            Children =
            [
                new Node { Value = 2 },
                new Node { Value = 3, Children = [new Node { Value = 4, Children = [new Node { Value = 5 }] }] },
            ],
        };

        foreach (var order in new[] { ByteOrder.BigEndian, ByteOrder.LittleEndian })
        {
            CdrTest.Unmarshal<Node>(CdrTest.Marshal(tree, order), order).Should().BeEquivalentTo(tree, o => o.WithStrictOrdering());
        }
    }

    [Fact]
    public void RecursiveRecord_RoundTrips()
    {
        var tree = new Tree(1, [new Tree(2, []), new Tree(3, [new Tree(4, [])])]);

        CdrTest.AssertVectors(
            tree,
            "00000001 00000002 00000002 00000000 00000003 00000001 00000004 00000000",
            "01000000 02000000 02000000 00000000 03000000 01000000 04000000 00000000");
    }

    [Fact]
    public void Union_EnumDiscriminator_SelectsByNumericValueAndWritesOrdinal()
    {
        // Red has ordinal 1 and numeric value 10, which selects RedValue
        CdrTest.AssertVectors(new ColorUnion { Color = Color.Red, RedValue = 3 }, "00000001 00000003", "01000000 03000000");

        // Green has ordinal 0 and selects Other
        CdrTest.AssertVectors(new ColorUnion { Color = Color.Green, Other = "g" }, "00000000 00000002 6700", "00000000 02000000 6700");
    }

    [Fact]
    public void Union_BooleanDiscriminator_MatchesVector()
    {
        // true @0, pad @1..8, long long @8..16
        CdrTest.AssertVectors(new BoolUnion { Has = true, Value = 1 }, "01 00000000000000 0000000000000001", "01 00000000000000 0100000000000000");
        CdrTest.AssertVectors(new BoolUnion { Has = false, Nothing = 7 }, "00 07", "00 07");
    }

    [Fact]
    public void Union_UnsignedEnumDiscriminatorBeyondLong_MarshalsOrRefusesWithMarshallingException()
    {
        // Huge.Max does not fit a signed long; whatever the marshaller decides, it must say so with a MarshallingException.
        var value = new HugeUnion { Kind = Huge.Max, Large = 5 };

        var thrown = Record.Exception(() => CdrTest.Marshal(value, ByteOrder.BigEndian));

        thrown.Should().Match<Exception?>(e => e == null || e is MarshallingException, "Marshal raises only MarshallingException, but raised {0}", thrown);
    }

    [Fact]
    public void Union_UnsignedEnumDiscriminatorBeyondLong_ValidInputUnmarshals()
    {
        // discriminator: ordinal 1 (Huge.Max), which matches no case and so selects the default branch
        var read = CdrTest.Unmarshal<HugeUnion>(CdrTest.Bytes("00000001 00000005"), ByteOrder.BigEndian);

        read.Kind.Should().Be(Huge.Max);
        read.Large.Should().Be(5);
    }

    [Fact]
    public void Marshaller_Name_IsCdr()
    {
        s_marshaller.Name.Should().Be("cdr");
    }

    [Fact]
    public void Options_NonPositiveMaxDepth_IsRefused()
    {
        var act = () => new CdrMarshallerOptions { MaxDepth = 0 };

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
