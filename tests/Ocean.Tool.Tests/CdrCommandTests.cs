using System.Buffers;
using System.Diagnostics;
using Ocean.Marshalling;
using Ocean.Marshalling.Cdr;

namespace Ocean.Tool.Tests;

/// <summary>
/// <c>ocean cdr decode|encode</c> run as a process, checked against the bytes Ocean.Marshalling's CdrMarshaller writes for
/// equivalent C# types (and the omniORB bytes of the Marshalling README).
/// </summary>
public sealed class CdrCommandTests
{
    private const string PersonSpec = "struct Person { string name; string place; long year; }";
    private const string PersonBig = "00000006 536d6974 68000000 00000007 4c6f6e64 6f6e0000 0000078e";
    private const string PersonLittle = "06000000 536d6974 68000000 07000000 4c6f6e64 6f6e0000 8e070000";
    private const string PersonJson = """{"name":"Smith","place":"London","year":1934}""";

    private const string OrderSpec = """
        enum Color { Red, Green, Blue };             // an enum, then structs naming it
        struct Demo::Address { string street; unsigned short zip; };
        struct Line { string item; long long count; double price; };
        struct Order {
            string id;
            Demo.Address ship;
            sequence<Line> lines;
            short dims[3];
            Color color;
            sequence<sequence<octet>> blobs;
        }
        """;

    private const string WidthsSpec = """
        struct Widths {
            octet o; short s; long l; long long ll; octet o2; unsigned short us; unsigned long ul;
            unsigned long long ull; float f; double d; boolean b; char c;
        }
        """;

    private const string ShapeSpec = """
        enum Kind { Circle, Square, Other };
        struct Point { long x; long y; };
        union Shape switch (long) {
            case 1: double radius;
            case 2: case 3: Point corner;
            default: string label;
        }
        """;

    private const string NodeSpec = "struct Node { long v; sequence<Node> kids; }";

    [Fact]
    public async Task Person_DecodesAndEncodesTheOmniOrbBytes_InBothByteOrders()
    {
        var person = new CdrPerson { Name = "Smith", Place = "London", Year = 1934 };
        Hex(person).Should().Be(PersonBig, "the marshaller writes omniORB's bytes");
        Hex(person, ByteOrder.LittleEndian).Should().Be(PersonLittle);

        (await Succeeds("decode", "--compact", PersonSpec, PersonBig)).Should().Be(PersonJson);
        (await Succeeds("decode", "--compact", "--little-endian", PersonSpec, PersonLittle)).Should().Be(PersonJson);
        (await Succeeds("encode", PersonSpec, PersonJson)).Should().Be(PersonBig);
        (await Succeeds("encode", "--little-endian", PersonSpec, PersonJson)).Should().Be(PersonLittle);
    }

    [Fact]
    public async Task Decode_PrintsIndentedJson_ByDefault_AndReadsHexFromStandardInput()
    {
        var (code, output, error) = await RunWithInputAsync("00000006 536d6974\n68000000 00000007\n4c6f6e64 6f6e0000 0000078e\n", "cdr", "decode", PersonSpec, "-");

        code.Should().Be(0, string.Join(" / ", error));
        output.Should().Equal("{", "  \"name\": \"Smith\",", "  \"place\": \"London\",", "  \"year\": 1934", "}");
    }

    [Fact]
    public async Task Encode_ReadsJsonFromStandardInput_AndTheSpecFromAFile()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, PersonSpec + " // Person, as the README shows it\n");
            var (code, output, error) = await RunWithInputAsync("{\n \"name\": \"Smith\", \"place\": \"London\",\n \"year\": 1934 }", "cdr", "encode", "@" + file, "-");

            code.Should().Be(0, string.Join(" / ", error));
            output.Should().Equal(PersonBig);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public async Task NestedStructs_Sequences_FixedArrays_Enums_MatchTheMarshaller(ByteOrder order)
    {
        var value = new CdrOrder
        {
            Id = "A-17",
            Ship = new CdrAddress { Street = "Rue Saint-Honoré", Zip = 7500 },
            Lines = [new CdrLine { Item = "rope", Count = 3, Price = 2.5 }, new CdrLine { Item = "sail", Count = 1L << 40, Price = -0.125 }],
            Dims = [1, -2, short.MaxValue],
            Color = CdrColor.Blue,
            Blobs = [[1, 2, 3], [], [255]],
        };
        const string json = """{"id":"A-17","ship":{"street":"Rue Saint-Honoré","zip":7500},"lines":[{"item":"rope","count":3,"price":2.5},{"item":"sail","count":1099511627776,"price":-0.125}],"dims":[1,-2,32767],"color":"Blue","blobs":[[1,2,3],[],[255]]}""";
        var flags = order == ByteOrder.LittleEndian ? new[] { "--little-endian" } : [];
        var bytes = Hex(value, order);

        (await Succeeds(["decode", "--compact", .. flags, OrderSpec, bytes])).Should().Be(json);
        (await Succeeds(["encode", .. flags, OrderSpec, json])).Should().Be(bytes);
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public async Task EveryIntegerWidth_IsAlignedAsTheMarshallerAlignsIt_AtItsLimits(ByteOrder order)
    {
        var value = new CdrWidths
        {
            O = 255, S = short.MinValue, L = int.MinValue, LL = long.MinValue, O2 = 7, US = ushort.MaxValue, UL = uint.MaxValue,
            ULL = ulong.MaxValue, F = 1.5f, D = -1e300, B = true, C = 'é',
        };
        const string json = """{"o":255,"s":-32768,"l":-2147483648,"ll":-9223372036854775808,"o2":7,"us":65535,"ul":4294967295,"ull":18446744073709551615,"f":1.5,"d":-1E+300,"b":true,"c":"é"}""";
        var flags = order == ByteOrder.LittleEndian ? new[] { "--little-endian" } : [];
        var bytes = Hex(value, order);

        (await Succeeds(["decode", "--compact", .. flags, WidthsSpec, bytes])).Should().Be(json);
        (await Succeeds(["encode", .. flags, WidthsSpec, json])).Should().Be(bytes);
    }

    [Fact]
    public async Task Unions_SelectTheirBranch_TheDefault_OrNone()
    {
        var circle = new CdrShape { Kind = 1, Radius = 2.5 };
        var square = new CdrShape { Kind = 3, Corner = new CdrPoint { X = -1, Y = 4 } };
        var other = new CdrShape { Kind = 42, Label = "blob" };

        (await Succeeds("decode", "--compact", ShapeSpec, Hex(circle))).Should().Be("""{"discriminator":1,"radius":2.5}""");
        (await Succeeds("decode", "--compact", ShapeSpec, Hex(square))).Should().Be("""{"discriminator":3,"corner":{"x":-1,"y":4}}""");
        (await Succeeds("decode", "--compact", ShapeSpec, Hex(other))).Should().Be("""{"discriminator":42,"label":"blob"}""");
        (await Succeeds("encode", ShapeSpec, """{"discriminator":3,"corner":{"x":-1,"y":4}}""")).Should().Be(Hex(square));
        (await Succeeds("encode", ShapeSpec, """{"label":"blob","discriminator":42}""")).Should().Be(Hex(other));

        // A union with no default: a value no case names has no branch, and nothing follows it.
        const string flag = "enum Kind { A, B, C }; union Maybe switch (Kind) { case Kind::A: long a; case B: string b; }";
        (await Succeeds("encode", flag, """{"discriminator":"C"}""")).Should().Be("00000002");
        (await Succeeds("decode", "--compact", flag, "00000002")).Should().Be("""{"discriminator":"C"}""");
        (await Succeeds("decode", "--compact", flag, "00000001 00000003 686900")).Should().Be("""{"discriminator":"B","b":"hi"}""");
        (await Succeeds("decode", "--compact", "union U switch (boolean) { case TRUE: char c; }", "01 41")).Should().Be("""{"discriminator":true,"c":"A"}""");
        (await Succeeds("decode", "--compact", "enum Demo::K { A, B }; union U switch (Demo.K) { case K::B: long b; case Demo::K::A: octet a; }", "00000001 00000005"))
            .Should().Be("""{"discriminator":"B","b":5}""");
        (await Succeeds("decode", "--compact", "union U switch (unsigned long long) { case 0xFFFFFFFFFFFFFFFF: short s; }", "ffffffff ffffffff fffe"))
            .Should().Be("""{"discriminator":18446744073709551615,"s":-2}""");
        (await Succeeds("decode", "--compact", "union U switch (short) { case -2: octet o; }", "fffe 09")).Should().Be("""{"discriminator":-2,"o":9}""");
        (await Succeeds("decode", "--compact", "union U switch (char) { case 'x': case '\\x41': octet o; }", "41 07")).Should().Be("""{"discriminator":"A","o":7}""");
    }

    [Fact]
    public async Task WideStringsAndChars_MatchTheMarshaller()
    {
        var value = new CdrWide { Wide = "Grüße €𝄞", WideChar = '€', Narrow = 'ÿ', Text = "Ünïcode" };
        const string spec = "struct Wide { wstring wide; wchar wideChar; char narrow; string text; }";
        const string json = """{"wide":"Grüße €𝄞","wideChar":"€","narrow":"ÿ","text":"Ünïcode"}""";
        var bytes = Hex(value);

        (await Succeeds("decode", "--compact", spec, bytes)).Should().Be(json);
        (await Succeeds("encode", spec, json)).Should().Be(bytes);
        (await Succeeds("encode", "--little-endian", spec, json)).Should().Be(Hex(value, ByteOrder.LittleEndian));
    }

    [Fact]
    public async Task RecursiveTypes_Decode_AndNestingBeyond64_ExitsOne()
    {
        var tree = new CdrNode { V = 1, Kids = [new CdrNode { V = 2, Kids = [new CdrNode { V = 3, Kids = [] }] }, new CdrNode { V = 4, Kids = [] }] };
        const string json = """{"v":1,"kids":[{"v":2,"kids":[{"v":3,"kids":[]}]},{"v":4,"kids":[]}]}""";
        (await Succeeds("decode", "--compact", NodeSpec, Hex(tree))).Should().Be(json);
        (await Succeeds("encode", NodeSpec, json)).Should().Be(Hex(tree));

        // 100 nested nodes, written by a marshaller allowed 200 levels: the tool stops at 64.
        var deep = new CdrNode { V = 0, Kids = [] };
        for (var i = 1; i < 100; i++)
        {
            deep = new CdrNode { V = i, Kids = [deep] };
        }

        var bytes = Hex(deep, options: new CdrMarshallerOptions { MaxDepth = 200 });
        var watch = Stopwatch.StartNew();
        var (code, output, error) = await ToolProcess.RunAsync("cdr", "decode", NodeSpec, bytes);

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().Contain("nest deeper than the limit of 64");
        watch.Elapsed.Should().BeLessThan(TestTimeouts.Operation);
    }

    [Fact]
    public async Task AlignOrigin_CountsAlignmentFromBeforeTheFirstByte()
    {
        const string spec = "struct S { octet a; long long b; short c; }";
        const string json = """{"a":1,"b":2,"c":3}""";
        (await Succeeds("encode", spec, json)).Should().Be("01000000 00000000 00000000 00000002 0003");
        (await Succeeds("encode", "--align-origin", "4", spec, json)).Should().Be("01000000 00000000 00000002 0003", "position 4 + 4 bytes is 8-aligned");
        (await Succeeds("encode", "--align-origin=12", "--little-endian", spec, json)).Should().Be("01000000 02000000 00000000 0300");

        // The same bytes as CdrWriter writes from position 12 (a GIOP 1.2 body after its header).
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(buffer, ByteOrder.BigEndian, 12);
        writer.WriteOctet(1);
        writer.WriteLongLong(2);
        writer.WriteShort(3);
        writer.Flush();
        var expected = Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
        (await Succeeds("encode", "--align-origin", "12", spec, json)).Replace(" ", string.Empty, StringComparison.Ordinal).Should().Be(expected);
        (await Succeeds("decode", "--compact", "--align-origin", "12", spec, expected)).Should().Be(json);
    }

    [Fact]
    public async Task FloatsAndDoubles_CarryNaNAndTheInfinities_AsStrings()
    {
        const string spec = "struct R { float f; double d; sequence<double> more; }";
        const string json = """{"f":"NaN","d":"-Infinity","more":["Infinity",0.1,-0]}""";
        var bytes = await Succeeds("encode", spec, json);

        // "NaN" is .NET's NaN (sign bit set, as CdrMarshaller writes float.NaN); any NaN decodes as "NaN".
        bytes.Should().Be("ffc00000 00000000 fff00000 00000000 00000003 00000000 7ff00000 00000000 3fb99999 9999999a 80000000 00000000");
        (await Succeeds("decode", "--compact", spec, bytes)).Should().Be("""{"f":"NaN","d":"-Infinity","more":["Infinity",0.1,-0]}""");
    }

    [Theory]
    [InlineData("error: cannot decode Person: $.year at byte 24: ", PersonSpec, "00000006 536d6974 68000000 00000007 4c6f6e64 6f6e0000 0000")]
    [InlineData("error: cannot decode Person: $.place at byte 12: ", PersonSpec, "00000006 536d6974 68000000 00000070 4c6f6e64 6f6e0000 0000078e")]
    [InlineData("error: 4 bytes are left over after the Person value (it ends at byte 28 of 32)", PersonSpec, PersonBig + " 00000000")]
    [InlineData("error: 1 byte is left over after the long value (it ends at byte 4 of 5)", "long", "00000001 02")]
    [InlineData("error: cannot decode B: $.flag at byte 4: ", "struct B { long n; boolean flag; }", "00000001 02")]
    [InlineData("error: cannot decode E: $ at byte 0: Enum E has 3 values; the ordinal 3 is out of range.", "enum E { A, B, C }", "00000003")]
    [InlineData("error: cannot decode sequence<long>: $ at byte 0: A sequence claims 2147483648 elements, more than the 4 remaining bytes can hold.", "sequence<long>", "80000000 00000001")]
    [InlineData("error: cannot decode sequence<S>: $ at byte 0: A sequence claims 4294967295 elements", "struct S {}; sequence<S>", "ffffffff 00000000")]
    [InlineData("error: cannot decode A: $.x at byte 0: A fixed array of 1000000000 octet needs more than the 8 remaining bytes.", "struct A { octet x[1000000000]; }", "00000000 00000000")]
    [InlineData("error: cannot decode W: $.c at byte 0: A GIOP 1.2 wchar carries 2 octets", "struct W { wchar c; }", "03 004100")]
    [InlineData("error: cannot decode string: $ at byte 0: A CDR string must end with NUL.", "string", "00000002 4142")]
    [InlineData("error: cannot decode string: $ at byte 0: ", "string", "ffffffff 41424300")]
    [InlineData("error: cannot decode wstring: $ at byte 0: ", "wstring", "fffffffe 00410042")]
    [InlineData("error: cannot decode S: $.b at byte 4: ", "struct S { octet a; long long b; }", "01 000000 00000000", "--align-origin", "4")]
    [InlineData("error: cannot decode U: $.discriminator at byte 0: ", "union U switch (boolean) { case TRUE: long a; }", "05")]
    public async Task BytesThatDoNotDecode_ExitOne_SayingWhere(string expected, string spec, string hex, params string[] options)
    {
        var watch = Stopwatch.StartNew();
        var (code, output, error) = await ToolProcess.RunAsync(["cdr", "decode", .. options, spec, hex]);

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "a claimed count is refused before anything is read");
    }

    [Fact]
    public async Task ElementsThatTakeNoBytes_AreBounded_NotSquaredByTheInput()
    {
        // 400 sequences of empty structs, each claiming as many elements as bytes remain: some 320,000 in 1,604 bytes.
        var counts = new List<string> { "00000190" };
        for (var i = 0; i < 400; i++)
        {
            counts.Add((1600 - (4 * i) - 4).ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        }

        var (code, output, error) = await ToolProcess.RunAsync("cdr", "decode", "struct E {}; sequence<sequence<E>>", string.Join(' ', counts));

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().Contain("more than the limit of 100000 elements that take no bytes (E)");

        // A few are fine (as in CdrMarshaller, a count is at most the bytes that remain, even for elements of no bytes).
        (await Succeeds("decode", "--compact", "struct E {}; struct S { sequence<E> e; E f[2]; long n; }", "00000002 00000007")).Should().Be("""{"e":[{},{}],"f":[{},{}],"n":7}""");
    }

    [Fact]
    public async Task CharAndWCharLabels_MayBeCharacterCodes_AsDescribeTypeWritesThem()
    {
        // DescribeType writes '\n', '\'' and '\\' (and any character outside printable ASCII) as their codes.
        const string spec = "union U switch (char) { case 10: long a; case 39: case 0x5C: octet b; case 255: short c; }";
        (await Succeeds("decode", "--compact", spec, "0a000000 00000007")).Should().Be("""{"discriminator":"\n","a":7}""");
        (await Succeeds("decode", "--compact", spec, "27 09")).Should().Be("""{"discriminator":"'","b":9}""");
        (await Succeeds("encode", spec, """{"discriminator":"\\","b":9}""")).Should().Be("5c09");
        (await Succeeds("encode", spec, """{"discriminator":"ÿ","c":-1}""")).Should().Be("ff00ffff");
        const string wide = "union W switch (wchar) { case 8364: long euro; case 65535: octet last; }";
        (await Succeeds("decode", "--compact", wide, "0220ac00 00000005")).Should().Be("""{"discriminator":"€","euro":5}""");
        (await Succeeds("encode", wide, """{"discriminator":"€","euro":5}""")).Should().Be("0220ac00 00000005");
    }

    [Theory]
    [InlineData("error: spec position 30: 256 is out of range for char (a character code is 0..255)", "union U switch (char) { case 256: long a; }")]
    [InlineData("error: spec position 30: -1 is out of range for char", "union U switch (char) { case -1: long a; }")]
    [InlineData("error: spec position 31: 65536 is out of range for wchar (a character code is 0..65535)", "union U switch (wchar) { case 65536: long a; }")]
    [InlineData("error: spec position 31: 0x10000 is out of range for wchar", "union U switch (wchar) { case 0x10000: long a; }")]
    [InlineData("error: spec position 30: expected a character literal such as 'a' or a character code (the discriminator is char), found 'TRUE'", "union U switch (char) { case TRUE: long a; }")]
    public async Task CharacterCodeLabels_OutOfRange_ExitTwo_WithThePosition(string expected, string spec)
    {
        var (code, output, error) = await ToolProcess.RunAsync("cdr", "decode", spec, "00");

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Fact]
    public async Task Identifiers_MayHoldUnicodeLettersAndDigits_AsCSharpNamesDo()
    {
        const string spec = "enum Façade { Grün, Blau_2 }; struct Straße.Größe { long ширина; Façade farbe; string 名前_1; }";
        (await Succeeds("decode", "--compact", spec, "00000007 00000001 00000002 6100"))
            .Should().Be("""{"ширина":7,"farbe":"Blau_2","名前_1":"a"}""");
        (await Succeeds("encode", spec, """{"ширина":7,"farbe":"Grün","名前_1":"a"}""")).Should().Be("00000007 00000000 00000002 6100");
    }

    [Theory]
    [InlineData("error: spec position 43: expected ';' after member place, found 'long'", "struct Person { string name; string place long year; }")]
    [InlineData("error: spec position 14: the spec is empty", "  // nothing\n")]
    [InlineData("error: spec position 12: Address is not defined", "struct P { Address home; }")]
    [InlineData("error: spec position 12: A contains itself: a recursive type is named inside a sequence", "struct A { A next; }")]
    [InlineData("error: spec position 30: S is defined twice", "struct S { long a; }; struct S { long b; }")]
    [InlineData("error: spec position 26: struct S has two members named a", "struct S { long a; short a; }")]
    [InlineData("error: spec position 21: expected 'short' or 'long' after 'unsigned', found 'char'", "struct S { unsigned char c; }")]
    [InlineData("error: spec position 14: expected '>' after sequence<long, found '}'", "sequence<long}")]
    [InlineData("error: spec position 6: expected the end of the spec after the value's type, found 'short'", "long short")]
    [InlineData("error: spec position 17: expected a member name after long, found the keyword 'string'", "struct S { long string; }")]
    [InlineData("error: spec position 17: expected ';' after the definition of E, found 'struct'", "enum E { A, B } struct S { E e; }")]
    [InlineData("error: spec position 19: expected an array length from 1 to 2147483647", "struct S { long a[0]; }")]
    [InlineData("error: spec position 39: 300 is out of range for octet", "union U switch (octet) { case 1: case 300: long a; }")]
    [InlineData("error: spec position 54: union U has the label 1 twice", "union U switch (long) { case 1: long a; case 2: case 1: long b; }")]
    [InlineData("error: spec position 44: Z is not an identifier of enum E (A, B)", "enum E { A, B }; union U switch (E) { case Z: long z; }")]
    [InlineData("error: spec position 17: a union discriminator is an integer, boolean, char, wchar or enum type, not string", "union U switch (string) { }")]
    [InlineData("error: spec position 12: unexpected character '#'", "struct S { #long a; }")]
    public async Task BadSpecs_ExitTwo_WithThePosition(string expected, string spec)
    {
        var (code, output, error) = await ToolProcess.RunAsync("cdr", "decode", spec, "00");

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Theory]
    [InlineData("error: $.year: 4294967296 is out of range for long", PersonSpec, """{"name":"Smith","place":"London","year":4294967296}""")]
    [InlineData("error: $.year: 1934.5 is not an integer (long)", PersonSpec, """{"name":"Smith","place":"London","year":1934.5}""")]
    [InlineData("error: $: struct Person needs member 'year' (long)", PersonSpec, """{"name":"Smith","place":"London"}""")]
    [InlineData("error: $: struct Person has no member 'age'", PersonSpec, """{"name":"Smith","place":"London","year":1,"age":2}""")]
    [InlineData("error: $.name: expected a string (string), found a number", PersonSpec, """{"name":7,"place":"London","year":1}""")]
    [InlineData("error: $.lines[1].count: expected an integer (long long), found a string", OrderSpec, """{"id":"x","ship":{"street":"s","zip":1},"lines":[{"item":"a","count":1,"price":1},{"item":"b","count":"2","price":1}],"dims":[1,2,3],"color":"Red","blobs":[]}""")]
    [InlineData("error: $.dims: short[3] has exactly 3 elements, not 2", OrderSpec, """{"id":"x","ship":{"street":"s","zip":1},"lines":[],"dims":[1,2],"color":"Red","blobs":[]}""")]
    [InlineData("error: $.color: \"Purple\" is not a value of enum Color (Red, Green, Blue)", OrderSpec, """{"id":"x","ship":{"street":"s","zip":1},"lines":[],"dims":[1,2,3],"color":"Purple","blobs":[]}""")]
    [InlineData("error: $.ship.zip: 65536 is out of range for unsigned short", OrderSpec, """{"id":"x","ship":{"street":"s","zip":65536},"lines":[],"dims":[1,2,3],"color":"Red","blobs":[]}""")]
    [InlineData("error: $.blobs[0][1]: -1 is out of range for octet", OrderSpec, """{"id":"x","ship":{"street":"s","zip":1},"lines":[],"dims":[1,2,3],"color":"Red","blobs":[[0,-1]]}""")]
    [InlineData("error: $.text: '€' (U+20AC, character 1) is not in ISO-8859-1", "struct T { string text; }", """{"text":"5€"}""")]
    [InlineData("error: $.c: a char is a string of one character, not 2", "struct T { char c; }", """{"c":"ab"}""")]
    [InlineData("error: $: union Shape (discriminator 1 selects 'radius') has no member 'label'", ShapeSpec, """{"discriminator":1,"label":"x"}""")]
    [InlineData("error: $: union Shape with discriminator 2 needs member 'corner' (Point)", ShapeSpec, """{"discriminator":2}""")]
    [InlineData("error: $.f: 1e39 is out of range for float", "struct F { float f; }", """{"f":1e39}""")]
    [InlineData("error: $: member 'a' is given twice", "struct S { long a; }", """{"a":1,"a":2}""")]
    [InlineData("error: the JSON does not parse: ", PersonSpec, """{"name":"Smith",""")]
    public async Task BadJson_ExitsTwo_WithThePath(string expected, string spec, string json)
    {
        var (code, output, error) = await ToolProcess.RunAsync("cdr", "encode", spec, json);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Theory]
    [InlineData("error: cdr needs decode or encode", "cdr")]
    [InlineData("error: unknown cdr command 'print'", "cdr", "print", "long", "00")]
    [InlineData("error: cdr decode needs TYPE-SPEC and HEX", "cdr", "decode", "long")]
    [InlineData("error: unexpected argument 'extra'", "cdr", "encode", "long", "1", "extra")]
    [InlineData("error: HEX: 'z' at character 4 is not a hex digit", "cdr", "decode", "long", "00 z0")]
    [InlineData("error: HEX has an odd number of hex digits (3)", "cdr", "decode", "long", "000")]
    [InlineData("error: --align-origin must be a byte count", "cdr", "decode", "--align-origin", "-4", "long", "00")]
    [InlineData("error: --compact applies only to cdr decode", "cdr", "encode", "--compact", "long", "1")]
    [InlineData("error: unknown option '--big'", "cdr", "decode", "--big", "long", "00")]
    public async Task BadArguments_ExitTwo(string expected, params string[] args)
    {
        var (code, output, error) = await ToolProcess.RunAsync(args);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Theory]
    [InlineData("cdr", "--help")]
    [InlineData("cdr", "decode", "--help")]
    [InlineData("cdr", "encode", "-h")]
    public async Task Help_ExitsZero(params string[] args)
    {
        var (code, output, error) = await ToolProcess.RunAsync(args);

        code.Should().Be(0);
        error.Should().BeEmpty();
        output.Should().Contain(line => line.StartsWith("usage: ocean cdr decode", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MainHelp_ListsCdr()
    {
        var (code, output, _) = await ToolProcess.RunAsync("--help");

        code.Should().Be(0);
        output.Should().Contain(line => line.TrimStart().StartsWith("cdr ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnpairedSurrogates_DecodeAsEscapes_AndAreRefusedOnEncode()
    {
        const string spec = "struct W { wchar c; wstring s; }";
        (await Succeeds("decode", "--compact", spec, "02 d800 00 00000004 0041dc00")).Should().Be("""{"c":"\ud800","s":"A\udc00"}""");

        var (code, _, error) = await ToolProcess.RunAsync("cdr", "encode", spec, """{"c":"\ud800","s":""}""");
        code.Should().Be(2);
        error.Should().Equal("error: $.c: the string is not valid UTF-16 (an unpaired surrogate escape)");
    }

    [Fact]
    public async Task NegativeNumbers_GoAfterTheOptionsEnd()
    {
        (await Succeeds("encode", "--", "long long", "-2")).Should().Be("ffffffff fffffffe");
        (await Succeeds("decode", "--little-endian", "short", "feff")).Should().Be("-2");
    }

    private static async Task<string> Succeeds(params string[] args)
    {
        var (code, output, error) = await ToolProcess.RunAsync(["cdr", .. args]);
        code.Should().Be(0, "ocean cdr {0} succeeds; stderr: {1}", string.Join(' ', args), string.Join(" / ", error));
        error.Should().BeEmpty();
        return output.Should().ContainSingle().Subject;
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Error)> RunWithInputAsync(string input, params string[] args)
    {
        await using var tool = ToolProcess.Start(args);
        await tool.StandardInput.WriteAsync(input);
        tool.StandardInput.Close();
        var code = await tool.WaitForExitAsync();
        return (code, tool.StandardOutput, tool.StandardError);
    }

    /// <summary>The value as CdrMarshaller writes it, in the tool's hex (groups of 4 bytes).</summary>
    private static string Hex<T>(T value, ByteOrder order = ByteOrder.BigEndian, CdrMarshallerOptions? options = null)
    {
        options ??= new CdrMarshallerOptions();
        options.ByteOrder = order;
        var buffer = new ArrayBufferWriter<byte>();
        new CdrMarshaller(options).Marshal(value, buffer);
        var hex = Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
        return string.Join(' ', Enumerable.Range(0, (hex.Length + 7) / 8).Select(i => hex.Substring(i * 8, Math.Min(8, hex.Length - (i * 8)))));
    }
}

public sealed class CdrPerson
{
    public string Name { get; set; } = string.Empty;

    public string Place { get; set; } = string.Empty;

    public int Year { get; set; }
}

public enum CdrColor
{
    Red,
    Green,
    Blue,
}

public sealed class CdrAddress
{
    public string Street { get; set; } = string.Empty;

    public ushort Zip { get; set; }
}

public sealed class CdrLine
{
    public string Item { get; set; } = string.Empty;

    public long Count { get; set; }

    public double Price { get; set; }
}

public sealed class CdrOrder
{
    public string Id { get; set; } = string.Empty;

    public CdrAddress Ship { get; set; } = new();

    public List<CdrLine> Lines { get; set; } = [];

    [CdrFixedLength(3)]
    public short[] Dims { get; set; } = [];

    public CdrColor Color { get; set; }

    public List<byte[]> Blobs { get; set; } = [];
}

public sealed class CdrWidths
{
    public byte O { get; set; }

    public short S { get; set; }

    public int L { get; set; }

    public long LL { get; set; }

    public byte O2 { get; set; }

    public ushort US { get; set; }

    public uint UL { get; set; }

    public ulong ULL { get; set; }

    public float F { get; set; }

    public double D { get; set; }

    public bool B { get; set; }

    [CdrNarrow]
    public char C { get; set; }
}

public sealed class CdrPoint
{
    public int X { get; set; }

    public int Y { get; set; }
}

[CdrUnion]
public sealed class CdrShape
{
    [CdrDiscriminator]
    public int Kind { get; set; }

    [CdrCase(1)]
    public double Radius { get; set; }

    [CdrCase(2, 3)]
    public CdrPoint Corner { get; set; } = new();

    [CdrDefaultCase]
    public string Label { get; set; } = string.Empty;
}

public sealed class CdrWide
{
    [CdrWide]
    public string Wide { get; set; } = string.Empty;

    public char WideChar { get; set; }

    [CdrNarrow]
    public char Narrow { get; set; }

    public string Text { get; set; } = string.Empty;
}

public sealed class CdrNode
{
    public int V { get; set; }

    public List<CdrNode> Kids { get; set; } = [];
}
