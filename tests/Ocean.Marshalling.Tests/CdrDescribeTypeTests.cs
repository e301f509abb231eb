using System.Buffers;
using System.Globalization;
using System.Reflection;
using Ocean;
using Ocean.Marshalling;
using Ocean.Marshalling.Cdr;
using Ocean.Marshalling.Tests;

// The described types live in namespace Demo, for short names (Demo.Person); the tests sit with them so that their
// names win over the test project's own types of the same names (Person, Team, Outer).
namespace Demo;

/// <summary>
/// <see cref="CdrMarshaller.DescribeType"/>: the exact text of the notation for each mapping, and that a value
/// encoded by following the description alone gives the bytes the marshaller writes.
/// </summary>
public sealed class CdrDescribeTypeTests
{
    private static readonly CdrMarshaller Cdr = CdrMarshaller.Default;

    public static TheoryData<Type, string> Primitives => new()
    {
        { typeof(byte), "octet" },
        { typeof(bool), "boolean" },
        { typeof(char), "wchar" },
        { typeof(short), "short" },
        { typeof(ushort), "unsigned short" },
        { typeof(int), "long" },
        { typeof(uint), "unsigned long" },
        { typeof(long), "long long" },
        { typeof(ulong), "unsigned long long" },
        { typeof(float), "float" },
        { typeof(double), "double" },
        { typeof(string), "string" },
        { typeof(int[]), "sequence<long>" },
        { typeof(List<int>), "sequence<long>" },
        { typeof(byte[]), "sequence<octet>" },
        { typeof(List<string[]>), "sequence<sequence<string>>" },
        { typeof(char[][]), "sequence<sequence<wchar>>" },
    };

    [Theory]
    [MemberData(nameof(Primitives))]
    public void DescribeType_BuiltInType_IsItsExpressionWithNoDefinition(Type type, string expected)
    {
        var definitions = new List<string>();

        Cdr.DescribeType(type, definitions).Should().Be(expected);

        definitions.Should().BeEmpty();
    }

    [Fact]
    public void DescribeType_Record_IsAStructInDeclarationOrder()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Person), definitions).Should().Be("Demo.Person");

        definitions.Should().Equal("struct Demo.Person { string Name; string Place; long Year; }");
    }

    [Fact]
    public void DescribeType_MemberAttributes_ShowInEachMembersType()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Attributed), definitions).Should().Be("Demo.Attributed");

        definitions.Should().Equal(
            "struct Demo.Attributed { wstring Wide; char Narrow; wchar Plain; string Empty; sequence<wstring> WideList; "
            + "sequence<char> NarrowChars; short Fixed[3]; wstring Names[2]; sequence<string> EmptyList; }");
    }

    [Fact]
    public void DescribeType_NestedStructs_DefinesEachAfterWhatItRefersTo()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(List<Team>), definitions).Should().Be("sequence<Demo.Team>");

        definitions.Should().Equal(
            "struct Demo.Person { string Name; string Place; long Year; }",
            "enum Demo.Level { Low, Mid, High }",
            "struct Demo.Address { string Street; Demo.Level Floor; }",
            "struct Demo.Team { string Name; sequence<Demo.Person> Members; Demo.Address Office; Demo.Person Lead; }");
    }

    [Fact]
    public void DescribeType_ClassStructAndComputedProperty_FollowTheMarshallersOrder()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Mixed), definitions).Should().Be("Demo.Mixed");
        Cdr.DescribeType(typeof(Spot), definitions).Should().Be("Demo.Spot");
        Cdr.DescribeType(typeof(Derived), definitions).Should().Be("Demo.Derived");

        definitions.Should().Equal(
            "struct Demo.Mixed { double D; string B; short C; long A; }",
            "struct Demo.Spot { short X; short Y; }",
            "struct Demo.Derived { long BaseId; string Own; }");
    }

    [Fact]
    public void DescribeType_RecursiveStruct_RefersToItself()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Tree), definitions).Should().Be("Demo.Tree");
        Cdr.DescribeType(typeof(Node), definitions).Should().Be("Ocean.Marshalling.Tests.Node");

        definitions.Should().Equal(
            "struct Demo.Tree { string Label; sequence<Demo.Tree> Children; }",
            "struct Ocean.Marshalling.Tests.Node { long Value; sequence<Ocean.Marshalling.Tests.Node> Children; }");
    }

    [Fact]
    public void DescribeType_MutuallyRecursiveStructs_AreRefusedAndAddNothing()
    {
        var definitions = new List<string> { "enum Demo.Level { Low, Mid, High }" };

        var act = () => Cdr.DescribeType(typeof(Ping), definitions);

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnsupportedType);
        definitions.Should().Equal("enum Demo.Level { Low, Mid, High }");
    }

    [Fact]
    public void DescribeType_Enum_ListsIdentifiersInTheOrdinalOrderTheMarshallerSends()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Level), definitions).Should().Be("Demo.Level");

        definitions.Should().Equal("enum Demo.Level { Low, Mid, High }");
        // Declared High = 10, Low = -5, Mid = 0: the ordinals follow the values, as the identifiers do.
        CdrTest.Hex(CdrTest.Marshal(Level.Low, ByteOrder.BigEndian)).Should().Be("00000000");
        CdrTest.Hex(CdrTest.Marshal(Level.Mid, ByteOrder.BigEndian)).Should().Be("00000001");
        CdrTest.Hex(CdrTest.Marshal(Level.High, ByteOrder.BigEndian)).Should().Be("00000002");
    }

    [Fact]
    public void DescribeType_EnumWithAliases_HasOneIdentifierPerOrdinal()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Aliased), definitions);

        // First and Also share 1: one ordinal, named by the first name Enum.GetNames gives for it.
        var first = Enum.GetNames<Aliased>()[Array.IndexOf(Enum.GetValues<Aliased>(), Aliased.First)];
        definitions.Should().Equal($"enum Demo.Aliased {{ Zero, {first}, Two }}");
        CdrTest.Hex(CdrTest.Marshal(Aliased.Two, ByteOrder.BigEndian)).Should().Be("00000002");
    }

    [Fact]
    public void DescribeType_EnumWithoutValues_IsRefused()
    {
        var act = () => Cdr.DescribeType(typeof(NoValues), new List<string>());

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnsupportedType);
    }

    [Fact]
    public void DescribeType_Union_HasDiscriminatorCasesAndDefault()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Shape), definitions).Should().Be("Ocean.Marshalling.Tests.Shape");
        Cdr.DescribeType(typeof(StrictUnion), definitions).Should().Be("Ocean.Marshalling.Tests.StrictUnion");

        definitions.Should().Equal(
            "union Ocean.Marshalling.Tests.Shape switch (long) { case 1: long Number; case 2: case 3: string Text; default: double Other; }",
            "union Ocean.Marshalling.Tests.StrictUnion switch (long) { case 1: long A; case 2: short B; }");
    }

    [Fact]
    public void DescribeType_UnionOnEnum_LabelsAreIdentifiersAndTheEnumIsDefinedFirst()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(ByLevel), definitions).Should().Be("Demo.ByLevel");

        definitions.Should().Equal(
            "enum Demo.Level { Low, Mid, High }",
            "struct Demo.Person { string Name; string Place; long Year; }",
            "union Demo.ByLevel switch (Demo.Level) { case Low: case High: Demo.Person Who; case Mid: sequence<wstring> Notes; }");
    }

    [Fact]
    public void DescribeType_UnionOnBoolAndChar_UseTheirLiterals()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(ByFlag), definitions);
        Cdr.DescribeType(typeof(ByLetter), definitions);
        Cdr.DescribeType(typeof(ByWideLetter), definitions);

        definitions.Should().Equal(
            "union Demo.ByFlag switch (boolean) { case TRUE: long Yes; case FALSE: string No; }",
            "union Demo.ByLetter switch (char) { case 'a': long A; case 39: case 92: case 10: short Odd; default: string Other; }",
            "union Demo.ByWideLetter switch (wchar) { case 'x': long X; case 960: double Pi; }");
    }

    public static TheoryData<Type, string> KeywordNames => new()
    {
        { typeof(KeywordMember), "The member Demo.KeywordMember.sequence cannot be described: 'sequence' is a keyword of the CDR type notation" },
        { typeof(KeywordTrue), "The member Demo.KeywordTrue.TRUE cannot be described: 'TRUE' is a keyword" },
        { typeof(KeywordBranch), "The union branch Demo.KeywordBranch.octet cannot be described: 'octet' is a keyword" },
        { typeof(KeywordIdentifier), "The enum identifier Demo.KeywordIdentifier.long cannot be described: 'long' is a keyword" },
        { typeof(KeywordHolder.union), "(CDR name Demo.KeywordHolder.union) cannot be described: 'union' is a keyword" },
        { typeof(List<Box<KeywordHolder.union>>), "(CDR name Demo.KeywordHolder.union) cannot be described: 'union' is a keyword" },
        { typeof(KeywordNested), "The member Demo.KeywordMember.sequence cannot be described" },
        { typeof(CombiningMark), "The member Demo.CombiningMark.Cafe\u0301 cannot be described: 'Cafe\u0301' is not an identifier of the CDR type notation" },
    };

    [Theory]
    [MemberData(nameof(KeywordNames))]
    public void DescribeType_KeywordOrNonIdentifierName_IsRefusedNamingIt_AndAddsNothing(Type type, string expected)
    {
        var definitions = new List<string> { "struct Demo.Given { long A; }" };

        var act = () => Cdr.DescribeType(type, definitions);

        var error = act.Should().Throw<MarshallingException>().Which;
        error.Error.Should().Be(MarshallingError.UnsupportedType);
        error.Message.Should().Contain(expected);
        definitions.Should().Equal("struct Demo.Given { long A; }");
    }

    [Fact]
    public void DescribeType_KeywordsInOtherCaseOrInsideAName_AreFine()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(NearKeywords), definitions).Should().Be("Demo.NearKeywords");

        definitions.Should().Equal("struct Demo.NearKeywords { long Long; long longs; long True; long Grüße_2; }");
    }

    [Fact]
    public void DescribeType_UnionLabels_OnlyThoseThatCanSelectTheBranch()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Overlapping), definitions);

        // 2 is taken by A before B; 5 by the default branch before C; 70000 fits no short; E keeps no label at all.
        definitions.Should().Equal("union Demo.Overlapping switch (short) { case 1: case 2: long A; case 3: long B; default: string D; case 6: long C; }");
        var union = new Overlapping { Kind = 5, D = "d" };
        CdrTest.Hex(CdrTest.Marshal(union, ByteOrder.BigEndian)).Should().Be("0005" + "0000" + "00000002" + "6400");
    }

    [Fact]
    public void DescribeType_UnsignedLongLongLabel_IsWrittenUnsigned()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(ByHuge), definitions);

        definitions.Should().Equal("union Demo.ByHuge switch (unsigned long long) { case 18446744073709551615: long Max; case 0: long Zero; }");
    }

    [Fact]
    public void DescribeType_FixedArrayUnionBranch_IsRefused()
    {
        var definitions = new List<string>();

        var act = () => Cdr.DescribeType(typeof(FixedBranch), definitions);

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnsupportedType);
        definitions.Should().BeEmpty();
    }

    [Fact]
    public void DescribeType_ListAndArrayMembers_AreBothSequences()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Lists), definitions);

        definitions.Should().Equal("struct Demo.Lists { sequence<long> Array; sequence<long> List; sequence<sequence<double>> Nested; octet Raw[4]; }");
    }

    [Fact]
    public void DescribeType_GenericsAndNestedTypes_FoldIntoTheName()
    {
        var definitions = new List<string>();

        Cdr.DescribeType(typeof(Pair<int, string>), definitions).Should().Be("Demo.Pair_Int32_String");
        Cdr.DescribeType(typeof(Box<Pair<int, string>>), definitions).Should().Be("Demo.Box_Pair_Int32_String");
        Cdr.DescribeType(typeof(Box<int[]>), definitions).Should().Be("Demo.Box_Int32Array");
        Cdr.DescribeType(typeof(Box<List<Person>>), definitions).Should().Be("Demo.Box_List_Person");
        Cdr.DescribeType(typeof(Box<Outer.Nested>), definitions).Should().Be("Demo.Box_Outer_Nested");
        Cdr.DescribeType(typeof(Outer.Holder<long>), definitions).Should().Be("Demo.Outer.Holder_Int64");

        definitions.Should().Equal(
            "struct Demo.Pair_Int32_String { long First; string Second; }",
            "struct Demo.Box_Pair_Int32_String { Demo.Pair_Int32_String Item; }",
            "struct Demo.Box_Int32Array { sequence<long> Item; }",
            "struct Demo.Person { string Name; string Place; long Year; }",
            "struct Demo.Box_List_Person { sequence<Demo.Person> Item; }",
            "struct Demo.Outer.Nested { long Value; }",
            "struct Demo.Box_Outer_Nested { Demo.Outer.Nested Item; }",
            "struct Demo.Outer.Holder_Int64 { long long Value; }");
    }

    [Fact]
    public void DescribeType_CalledAgainWithTheSameList_AddsNothing()
    {
        var definitions = new List<string>();
        Cdr.DescribeType(typeof(Team), definitions);
        var before = definitions.ToList();

        Cdr.DescribeType(typeof(Team), definitions).Should().Be("Demo.Team");
        Cdr.DescribeType(typeof(Person[]), definitions).Should().Be("sequence<Demo.Person>");
        Cdr.DescribeType(typeof(Level), definitions).Should().Be("Demo.Level");

        definitions.Should().Equal(before);
        Cdr.DescribeType(typeof(Box<Person>), definitions);
        definitions.Should().Equal([.. before, "struct Demo.Box_Person { Demo.Person Item; }"]);
    }

    [Fact]
    public void DescribeType_NameAlreadyGivenToAnotherDefinition_IsRefusedAndAddsNothing()
    {
        var definitions = new List<string> { "struct Demo.Person { long Other; }" };

        var act = () => Cdr.DescribeType(typeof(Box<Person>), definitions);

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnsupportedType);
        definitions.Should().Equal("struct Demo.Person { long Other; }");
    }

    [Fact]
    public void DescribeType_TwoTypesFoldingToOneName_AreRefusedAndAddNothing()
    {
        var definitions = new List<string>();

        // Pair<int, string> and the class Pair_Int32_String are both named Demo.Pair_Int32_String, with other members.
        var act = () => Cdr.DescribeType(typeof(Clash), definitions);

        act.Should().Throw<MarshallingException>().Which.Message.Should().Contain("Demo.Pair_Int32_String");
        definitions.Should().BeEmpty();
    }

    public static TheoryData<Type> Unsupported => [typeof(decimal), typeof(int?), typeof(object), typeof(Dictionary<int, int>), typeof(int[,]), typeof(WithDecimal), typeof(IComparable), typeof(sbyte)];

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void DescribeType_UnsupportedType_ThrowsWhatMarshallingThrows(Type type)
    {
        var definitions = new List<string>();
        Cdr.CanMarshal(type, out var reason).Should().BeFalse();
        var marshalling = Assert.Throws<MarshallingException>(() => Cdr.Unmarshal(type, new ReadOnlySequence<byte>(new byte[8])));

        var act = () => Cdr.DescribeType(type, definitions);

        var thrown = act.Should().Throw<MarshallingException>().Which;
        thrown.Error.Should().Be(MarshallingError.UnsupportedType);
        thrown.Message.Should().Be(marshalling.Message).And.Contain(reason!);
        definitions.Should().BeEmpty();
    }

    [Fact]
    public void DescribeType_NullArguments_Throw()
    {
        FluentActions.Invoking(() => Cdr.DescribeType(null!, new List<string>())).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => Cdr.DescribeType(typeof(int), null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void DescribeType_Surrogate_IsDescribedAsTheSurrogateWithTheMembersAttributes()
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { SurrogateProvider = new HandleSurrogates() });
        var definitions = new List<string>();

        marshaller.DescribeType(typeof(Handle), definitions).Should().Be("string");
        marshaller.DescribeType(typeof(WithHandles), definitions).Should().Be("Demo.WithHandles");

        definitions.Should().Equal("struct Demo.WithHandles { string One; wstring Wide; sequence<string> Many; }");
        // Without the provider the type is carried as itself.
        Cdr.DescribeType(typeof(Handle), definitions).Should().Be("Demo.Handle");
    }

    [Fact]
    public void DescribeType_ContractSurrogates_DescribeTheInterfaceAsItsReference()
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { SurrogateProvider = new ContractSurrogates() });
        var definitions = new List<string>();

        marshaller.DescribeType(typeof(ContractHolder), definitions).Should().Be("Ocean.Marshalling.Tests.ContractHolder");

        definitions.Should().Equal(
            "struct Ocean.Marshalling.Tests.ContractReference { long Id; string Kind; }",
            "struct Ocean.Marshalling.Tests.ContractHolder { string Name; Ocean.Marshalling.Tests.ContractReference Callback; "
            + "sequence<Ocean.Marshalling.Tests.ContractReference> Others; sequence<Ocean.Marshalling.Tests.ContractReference> More; }");
    }

    public static TheoryData<object> WireOrderValues => new()
    {
        new Person("Smith", "London", 1934),
        new Mixed { A = 0x01020304, B = "bee", C = 0x0506, D = 1.5 },
        new Spot(7, -8),
        new Derived { BaseId = 11, Own = "own" },
        new Attributed
        {
            Wide = "w\u00e9\u4e2d", Narrow = 'n', Plain = '\u4e2d', Empty = null, WideList = ["a", "\u00df"], NarrowChars = ['x', 'y'],
            Fixed = [1, 2, 3], Names = ["p", "q"], EmptyList = null, Ignored = 99,
        },
        new Team("T", [new Person("A", "B", 1), new Person("C", "D", 2)], new Address("Main St", Level.High), new Person("L", "M", 3)),
        new Tree("root", [new Tree("leaf", []), new Tree("twig", [new Tree("bud", [])])]),
        new Lists { Array = [1, 2], List = [3], Nested = [[0.5], []], Raw = [9, 8, 7, 6] },
        new Box<Pair<int, string>>(new Pair<int, string>(-1, "x")),
    };

    /// <summary>
    /// The member order (and every member's type) in the description is the wire order: the value encoded by a
    /// small interpreter that knows only the description's text gives the marshaller's bytes, in both byte orders.
    /// </summary>
    [Theory]
    [MemberData(nameof(WireOrderValues))]
    public void DescribeType_EncodingByTheDescription_GivesTheMarshallersBytes(object value)
    {
        var definitions = new List<string>();
        var expression = Cdr.DescribeType(value.GetType(), definitions);

        foreach (var order in new[] { ByteOrder.BigEndian, ByteOrder.LittleEndian })
        {
            var marshaller = CdrTest.Marshaller(order);
            var expected = new ArrayBufferWriter<byte>();
            marshaller.Marshal(value.GetType(), value, expected);

            var byHand = new ArrayBufferWriter<byte>();
            var writer = new CdrWriter(byHand, order);
            new DescriptionEncoder(definitions).Write(ref writer, expression, value);
            writer.Flush();

            CdrTest.Hex(byHand.WrittenSpan).Should().Be(CdrTest.Hex(expected.WrittenSpan), "{0} in {1}", expression, order);
        }
    }

    [Fact]
    public void DescribeType_MixedOrder_HandBuiltBytesFollowTheDescribedOrder()
    {
        Cdr.DescribeType(typeof(Mixed), new List<string>());
        var value = new Mixed { A = 0x01020304, B = "bee", C = 0x0506, D = 1.5 };

        // double D; string B; short C; long A; big-endian, aligned from 0.
        CdrTest.Hex(CdrTest.Marshal(value, ByteOrder.BigEndian)).Should().Be(
            "3ff8000000000000" + "00000004" + "62656500" + "0506" + "0000" + "01020304");
    }

    /// <summary>
    /// Encodes a value by its description alone (as the command-line tool does from JSON): primitives, strings,
    /// sequences, fixed arrays, structs and enums, members found on the value by name.
    /// </summary>
    private sealed class DescriptionEncoder
    {
        private readonly Dictionary<string, string> _definitions = [];

        public DescriptionEncoder(IEnumerable<string> definitions)
        {
            foreach (var definition in definitions)
            {
                _definitions[definition.Split(' ')[1]] = definition;
            }
        }

        public void Write(ref CdrWriter writer, string type, object? value)
        {
            switch (type)
            {
                case "octet": writer.WriteOctet((byte)value!); return;
                case "boolean": writer.WriteBoolean((bool)value!); return;
                case "char": writer.WriteChar((char)value!); return;
                case "wchar": writer.WriteWChar((char)value!); return;
                case "short": writer.WriteShort((short)value!); return;
                case "unsigned short": writer.WriteUShort((ushort)value!); return;
                case "long": writer.WriteLong((int)value!); return;
                case "unsigned long": writer.WriteULong((uint)value!); return;
                case "long long": writer.WriteLongLong((long)value!); return;
                case "unsigned long long": writer.WriteULongLong((ulong)value!); return;
                case "float": writer.WriteFloat((float)value!); return;
                case "double": writer.WriteDouble((double)value!); return;
                case "string": writer.WriteString((string?)value ?? string.Empty); return;
                case "wstring": writer.WriteWString((string?)value ?? string.Empty); return;
            }

            if (type.StartsWith("sequence<", StringComparison.Ordinal))
            {
                var items = ((System.Collections.IEnumerable?)value ?? Array.Empty<object>()).Cast<object?>().ToList();
                writer.WriteULong((uint)items.Count);
                foreach (var item in items)
                {
                    Write(ref writer, type["sequence<".Length..^1], item);
                }

                return;
            }

            var definition = _definitions[type];
            var body = definition[(definition.IndexOf('{') + 1)..definition.LastIndexOf('}')].Trim();
            if (definition.StartsWith("enum ", StringComparison.Ordinal))
            {
                var identifiers = body.Split(", ");
                writer.WriteULong((uint)Array.IndexOf(identifiers, value!.ToString()));
                return;
            }

            definition.Should().StartWith("struct ");
            foreach (var member in body.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var space = member.LastIndexOf(' ');
                var memberType = member[..space];
                var declarator = member[(space + 1)..];
                var bracket = declarator.IndexOf('[');
                var name = bracket < 0 ? declarator : declarator[..bracket];
                var memberValue = MemberValue(value!, name);
                if (bracket < 0)
                {
                    Write(ref writer, memberType, memberValue);
                    continue;
                }

                var items = ((System.Collections.IEnumerable)memberValue!).Cast<object?>().ToList();
                items.Count.Should().Be(int.Parse(declarator[(bracket + 1)..^1], CultureInfo.InvariantCulture));
                foreach (var item in items)
                {
                    Write(ref writer, memberType, item);
                }
            }
        }

        private static object? MemberValue(object value, string name)
        {
            var type = value.GetType();
            return type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is { } property
                ? property.GetValue(value)
                : type.GetField(name, BindingFlags.Public | BindingFlags.Instance)!.GetValue(value);
        }
    }

    private sealed class HandleSurrogates : IMarshallingSurrogateProvider
    {
        public Type? GetSurrogateType(Type declaredType) => declaredType == typeof(Handle) ? typeof(string) : null;

        public object? Replace(object? value, Type declaredType, MarshallingContext? context) => ((Handle)value!).Key;

        public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context) => new Handle { Key = (string)surrogate! };
    }
}

public sealed record Person(string Name, string Place, int Year);

public enum Level
{
    High = 10,
    Low = -5,
    Mid = 0,
}

public enum Aliased
{
    Zero = 0,
    First = 1,
    Also = 1,
    Two = 2,
}

public enum NoValues
{
}

public sealed record Address(string Street, Level Floor);

public sealed record Team(string Name, List<Person> Members, Address Office, Person Lead);

public sealed record Tree(string Label, List<Tree> Children);

public sealed class Attributed
{
    [CdrWide]
    public string Wide { get; set; } = string.Empty;

    [CdrNarrow]
    public char Narrow { get; set; }

    public char Plain { get; set; }

    [CdrNullAsEmpty]
    public string? Empty { get; set; }

    [CdrWide]
    public List<string> WideList { get; set; } = [];

    [CdrNarrow]
    public char[] NarrowChars { get; set; } = [];

    [CdrFixedLength(3)]
    public short[] Fixed { get; set; } = [0, 0, 0];

    [CdrFixedLength(2)]
    [CdrWide]
    public string[] Names { get; set; } = ["", ""];

    [CdrNullAsEmpty]
    public List<string>? EmptyList { get; set; }

    [CdrIgnore]
    public int Ignored { get; set; }
}

public sealed class Mixed
{
    [CdrOrder(3)]
    public int A { get; set; }

    [CdrOrder(1)]
    public string B { get; set; } = string.Empty;

    [CdrOrder(2)]
    public short C;

    [CdrOrder(0)]
    public double D { get; set; }
}

public record struct Spot(short X, short Y);

public class Base
{
    public int BaseId { get; set; }
}

public sealed class Derived : Base
{
    public string Own { get; set; } = string.Empty;
}

public sealed class Ping
{
    public List<Pong> Pongs { get; set; } = [];
}

public sealed class Pong
{
    public List<Ping> Pings { get; set; } = [];
}

[CdrUnion]
public sealed class ByLevel
{
    [CdrDiscriminator]
    public Level Kind { get; set; }

    [CdrCase(-5, 10)]
    public Person? Who { get; set; }

    [CdrCase(0, 7)]
    [CdrWide]
    public List<string> Notes { get; set; } = [];
}

[CdrUnion]
public sealed class ByFlag
{
    [CdrDiscriminator]
    public bool Kind { get; set; }

    [CdrCase(1, 2)]
    public int Yes { get; set; }

    [CdrCase(0)]
    public string No { get; set; } = string.Empty;
}

[CdrUnion]
public sealed class ByLetter
{
    [CdrDiscriminator]
    [CdrNarrow]
    public char Kind { get; set; }

    [CdrCase('a')]
    public int A { get; set; }

    [CdrCase('\'', '\\', '\n', 960)]
    public short Odd { get; set; }

    [CdrDefaultCase]
    public string Other { get; set; } = string.Empty;
}

[CdrUnion]
public sealed class ByWideLetter
{
    [CdrDiscriminator]
    public char Kind { get; set; }

    [CdrCase('x', -1, 70000)]
    public int X { get; set; }

    [CdrCase(960)]
    public double Pi { get; set; }
}

[CdrUnion]
public sealed class Overlapping
{
    [CdrDiscriminator]
    public short Kind { get; set; }

    [CdrCase(1, 2)]
    public int A { get; set; }

    [CdrCase(2, 3, 70000)]
    public int B { get; set; }

    [CdrCase(5)]
    [CdrDefaultCase]
    public string D { get; set; } = string.Empty;

    [CdrCase(5, 70000, 6)]
    public int C { get; set; }

    [CdrCase(1)]
    public int E { get; set; }
}

[CdrUnion]
public sealed class ByHuge
{
    [CdrDiscriminator]
    public ulong Kind { get; set; }

    [CdrCase(-1)]
    public int Max { get; set; }

    [CdrCase(0)]
    public int Zero { get; set; }
}

[CdrUnion]
public sealed class FixedBranch
{
    [CdrDiscriminator]
    public int Kind { get; set; }

    [CdrCase(1)]
    [CdrFixedLength(2)]
    public int[] Two { get; set; } = [0, 0];
}

public sealed class Lists
{
    public int[] Array { get; set; } = [];

    public List<int> List { get; set; } = [];

    public List<double[]> Nested { get; set; } = [];

    [CdrFixedLength(4)]
    public byte[] Raw { get; set; } = [0, 0, 0, 0];
}

public sealed record Pair<TFirst, TSecond>(TFirst First, TSecond Second);

public sealed record Box<T>(T Item);

public static class Outer
{
    public sealed record Nested(int Value);

    public sealed record Holder<T>(T Value);
}

public sealed record Pair_Int32_String(double Other);

public sealed record Clash(Pair<int, string> Generic, Pair_Int32_String Plain);

public sealed record WithDecimal(string Name, decimal Price);

public sealed class Handle
{
    public string Key { get; set; } = string.Empty;
}

public sealed class WithHandles
{
    public Handle One { get; set; } = new();

    [CdrWide]
    public Handle Wide { get; set; } = new();

    public List<Handle> Many { get; set; } = [];
}

public sealed record KeywordMember(int sequence);

public sealed class KeywordTrue
{
    public int TRUE { get; set; }
}

[CdrUnion]
public sealed class KeywordBranch
{
    [CdrDiscriminator]
    public int Kind { get; set; }

    [CdrCase(1)]
    public int octet { get; set; }
}

public enum KeywordIdentifier
{
    A,
    @long,
}

public static class KeywordHolder
{
#pragma warning disable CS8981 // a lower-case type name, as the test needs
    public sealed record union(int A);
#pragma warning restore CS8981
}

public sealed record KeywordNested(string Name, List<KeywordMember> Inner);

public sealed class CombiningMark
{
    public int Cafe\u0301 { get; set; }
}

public sealed record NearKeywords(int Long, int longs, int True, int Grüße_2);
