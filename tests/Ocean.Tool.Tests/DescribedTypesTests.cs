using System.Buffers;
using Ocean.Marshalling;
using Ocean.Marshalling.Cdr;

namespace Ocean.Tool.Tests;

/// <summary>
/// What <see cref="CdrMarshaller.DescribeType"/> writes is what the tool reads: for C# types covering every mapping, the
/// described spec given to <c>ocean cdr encode</c> (big- and little-endian) gives the bytes the marshaller writes for an
/// equal value, and <c>ocean cdr decode</c> gives the JSON back. One process per check, each covering many types
/// (the <see cref="DescribedEverything"/> wrapper holds one member per mapping).
/// </summary>
public sealed class DescribedTypesTests
{
    private const string NumbersJson = """{"O":255,"S":-2,"US":65535,"L":-70000,"UL":4000000000,"LL":-9000000000,"ULL":18446744073709551615,"F":1.5,"D":-0.25,"B":true}""";
    private const string PersonJson = """{"Name":"Smith","Year":1934,"Home":{"Street":"Baker St","Zip":221,"Floor":"High"}}""";
    private const string ByIntJson = """[{"discriminator":1,"Number":7},{"discriminator":3,"Text":"three"},{"discriminator":42,"Other":2.5}]""";
    private const string ByLevelJson = """[{"discriminator":"Low","P":{"X":1,"Y":-1}},{"discriminator":"High","Big":-5}]""";
    private const string ByFlagJson = """[{"discriminator":true,"Yes":1},{"discriminator":false,"No":"no"}]""";
    private const string ByLetterJson = """[{"discriminator":"a","A":1},{"discriminator":"\n","Newline":2},{"discriminator":"'","Quote":"q"},{"discriminator":"\\","Quote":"b"},{"discriminator":"ÿ","Quote":"y"},{"discriminator":"z","Other":9}]""";
    private const string ByWideJson = """[{"discriminator":"x","X":1},{"discriminator":"€","Euro":0.5},{"discriminator":"\n","Lf":3},{"discriminator":"\\","Lf":4}]""";
    private const string TextJson = """{"Wide":"Grüße €𝄞","Narrow":"ÿ","WideChar":"€","Plain":"Ünï","WideList":["a€","b"]}""";
    private const string ArraysJson = """{"Dims":[1,2,3],"Array":[4,5],"List":[6],"Bytes":[0,255],"Points":[{"X":1,"Y":2}],"Corners":[{"X":0,"Y":0},{"X":3,"Y":4}]}""";
    private const string TreeJson = """{"Label":"root","Children":[{"Label":"a","Children":[]},{"Label":"b","Children":[{"Label":"c","Children":[]}]}]}""";
    private const string PairJson = """{"First":1,"Second":"one"}""";
    private const string BoxJson = """{"Item":{"First":5,"Second":"Mid"}}""";
    private const string UnicodeJson = """{"Größe":3,"名前":"n"}""";

    [Fact]
    public Task Everything_EncodesAndDecodesAsTheMarshaller() => CheckAsync(
        new DescribedEverything
        {
            Numbers = new DescribedNumbers { O = 255, S = -2, US = 65535, L = -70000, UL = 4000000000, LL = -9000000000, ULL = ulong.MaxValue, F = 1.5f, D = -0.25, B = true },
            Person = new DescribedPerson("Smith", 1934, new DescribedAddress { Street = "Baker St", Zip = 221, Floor = DescribedLevel.High }),
            Levels = [DescribedLevel.High, DescribedLevel.Low, DescribedLevel.Mid],
            ByInt = [new() { Kind = 1, Number = 7 }, new() { Kind = 3, Text = "three" }, new() { Kind = 42, Other = 2.5 }],
            ByLevel = [new() { Kind = DescribedLevel.Low, P = new(1, -1) }, new() { Kind = DescribedLevel.High, Big = -5 }],
            ByFlag = [new() { Kind = true, Yes = 1 }, new() { Kind = false, No = "no" }],
            ByLetter = Letters(),
            ByWide = WideLetters(),
            Text = new DescribedText { Wide = "Grüße €𝄞", Narrow = 'ÿ', WideChar = '€', Plain = "Ünï", WideList = ["a€", "b"] },
            Arrays = new DescribedArrays { Dims = [1, 2, 3], Array = [4, 5], List = [6], Bytes = [0, 255], Points = [new(1, 2)], Corners = [new(0, 0), new(3, 4)] },
            Tree = Tree(),
            Pair = new(1, "one"),
            Box = new(new(5, DescribedLevel.Mid)),
            Unicode = new DescribedUnicode { Größe = 3, 名前 = "n" },
        },
        "{" + string.Join(',',
            $"\"Numbers\":{NumbersJson}", $"\"Person\":{PersonJson}", "\"Levels\":[\"High\",\"Low\",\"Mid\"]", $"\"ByInt\":{ByIntJson}",
            $"\"ByLevel\":{ByLevelJson}", $"\"ByFlag\":{ByFlagJson}", $"\"ByLetter\":{ByLetterJson}", $"\"ByWide\":{ByWideJson}",
            $"\"Text\":{TextJson}", $"\"Arrays\":{ArraysJson}", $"\"Tree\":{TreeJson}", $"\"Pair\":{PairJson}", $"\"Box\":{BoxJson}",
            $"\"Unicode\":{UnicodeJson}") + "}");

    [Fact]
    public Task CharUnionsAtTheTop_AsASequence_EncodeAndDecodeAsTheMarshaller() => CheckAsync(Letters(), ByLetterJson);

    [Fact]
    public Task WCharUnionsAtTheTop_EncodeAndDecodeAsTheMarshaller() => CheckAsync(WideLetters().ToArray(), ByWideJson);

    [Fact]
    public Task RecursiveStructAtTheTop_EncodesAndDecodesAsTheMarshaller() => CheckAsync(Tree(), TreeJson);

    [Fact]
    public Task GenericStructAtTheTop_EncodesAndDecodesAsTheMarshaller() => CheckAsync(new DescribedBox<DescribedPair<long, DescribedLevel>>(new(5, DescribedLevel.Mid)), BoxJson);

    private static List<DescribedByLetter> Letters() =>
    [
        new() { Kind = 'a', A = 1 }, new() { Kind = '\n', Newline = 2 }, new() { Kind = '\'', Quote = "q" }, new() { Kind = '\\', Quote = "b" },
        new() { Kind = 'ÿ', Quote = "y" }, new() { Kind = 'z', Other = 9 },
    ];

    private static List<DescribedByWide> WideLetters() =>
        [new() { Kind = 'x', X = 1 }, new() { Kind = '€', Euro = 0.5 }, new() { Kind = '\n', Lf = 3 }, new() { Kind = '\\', Lf = 4 }];

    private static DescribedTree Tree() => new("root", [new("a", []), new("b", [new("c", [])])]);

    /// <summary>
    /// Describes <typeparamref name="T"/> as a server's reflection does, then checks the tool against the marshaller:
    /// encode in both byte orders, decode in both back to <paramref name="json"/>.
    /// </summary>
    private static async Task CheckAsync<T>(T value, string json)
    {
        var definitions = new List<string>();
        var expression = CdrMarshaller.Default.DescribeType(typeof(T), definitions);
        var spec = definitions.Count == 0 ? expression : string.Join("; ", definitions) + "; " + expression;
        var big = Hex(value, ByteOrder.BigEndian);
        var little = Hex(value, ByteOrder.LittleEndian);
        big.Should().NotBe(little, "the value has multi-byte numbers, so the byte orders differ");

        var checks = new (string[] Args, string Expected)[]
        {
            (["encode", spec, json], big),
            (["encode", "--little-endian", spec, json], little),
            (["decode", "--compact", spec, big], json),
            (["decode", "--compact", "--little-endian", spec, little], json),
        };
        var results = await Task.WhenAll(checks.Select(c => ToolProcess.RunAsync(["cdr", .. c.Args])));
        for (var i = 0; i < checks.Length; i++)
        {
            var (code, output, error) = results[i];
            var what = $"ocean cdr {checks[i].Args[0]}{(checks[i].Args.Contains("--little-endian") ? " --little-endian" : string.Empty)} of {typeof(T).Name} with the spec: {spec}";
            code.Should().Be(0, "{0} succeeds; stderr: {1}", what, string.Join(" / ", error));
            error.Should().BeEmpty(what);
            output.Should().ContainSingle(what).Which.Should().Be(checks[i].Expected, what);
        }
    }

    private static string Hex<T>(T value, ByteOrder order)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new CdrMarshaller(new CdrMarshallerOptions { ByteOrder = order }).Marshal(value, buffer);
        var hex = Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
        return string.Join(' ', Enumerable.Range(0, (hex.Length + 7) / 8).Select(i => hex.Substring(i * 8, Math.Min(8, hex.Length - (i * 8)))));
    }
}

public sealed class DescribedEverything
{
    public DescribedNumbers Numbers { get; set; } = new();

    public DescribedPerson Person { get; set; } = new(string.Empty, 0, new());

    public List<DescribedLevel> Levels { get; set; } = [];

    public List<DescribedByInt> ByInt { get; set; } = [];

    public DescribedByLevel[] ByLevel { get; set; } = [];

    public List<DescribedByFlag> ByFlag { get; set; } = [];

    public List<DescribedByLetter> ByLetter { get; set; } = [];

    public List<DescribedByWide> ByWide { get; set; } = [];

    public DescribedText Text { get; set; } = new();

    public DescribedArrays Arrays { get; set; } = new();

    public DescribedTree Tree { get; set; } = new(string.Empty, []);

    public DescribedPair<int, string> Pair { get; set; } = new(0, string.Empty);

    public DescribedBox<DescribedPair<long, DescribedLevel>> Box { get; set; } = new(new(0, DescribedLevel.Low));

    public DescribedUnicode Unicode { get; set; } = new();
}

public sealed class DescribedNumbers
{
    public byte O { get; set; }

    public short S { get; set; }

    public ushort US { get; set; }

    public int L { get; set; }

    public uint UL { get; set; }

    public long LL { get; set; }

    public ulong ULL { get; set; }

    public float F { get; set; }

    public double D { get; set; }

    public bool B { get; set; }
}

/// <summary>Values not in order: the ordinals are the values sorted (Low, Mid, High).</summary>
public enum DescribedLevel
{
    High = 9,
    Low = -3,
    Mid = 4,
}

public sealed class DescribedAddress
{
    public string Street { get; set; } = string.Empty;

    public ushort Zip { get; set; }

    public DescribedLevel Floor { get; set; }
}

public sealed record DescribedPerson(string Name, int Year, DescribedAddress Home);

public record struct DescribedPoint(short X, short Y);

[CdrUnion]
public sealed class DescribedByInt
{
    [CdrDiscriminator]
    public int Kind { get; set; }

    [CdrCase(1)]
    public int Number { get; set; }

    [CdrCase(2, 3)]
    public string Text { get; set; } = string.Empty;

    [CdrDefaultCase]
    public double Other { get; set; }
}

[CdrUnion]
public sealed class DescribedByLevel
{
    [CdrDiscriminator]
    public DescribedLevel Kind { get; set; }

    [CdrCase((int)DescribedLevel.Low)]
    public DescribedPoint P { get; set; }

    [CdrCase((int)DescribedLevel.High)]
    public long Big { get; set; }
}

[CdrUnion]
public sealed class DescribedByFlag
{
    [CdrDiscriminator]
    public bool Kind { get; set; }

    [CdrCase(1)]
    public int Yes { get; set; }

    [CdrCase(0)]
    public string No { get; set; } = string.Empty;
}

[CdrUnion]
public sealed class DescribedByLetter
{
    [CdrDiscriminator]
    [CdrNarrow]
    public char Kind { get; set; }

    [CdrCase('a')]
    public int A { get; set; }

    [CdrCase('\n')]
    public short Newline { get; set; }

    [CdrCase('\'', '\\', 'ÿ')]
    public string Quote { get; set; } = string.Empty;

    [CdrDefaultCase]
    public byte Other { get; set; }
}

[CdrUnion]
public sealed class DescribedByWide
{
    [CdrDiscriminator]
    public char Kind { get; set; }

    [CdrCase('x')]
    public int X { get; set; }

    [CdrCase('€')]
    public double Euro { get; set; }

    [CdrCase('\n', '\\')]
    public short Lf { get; set; }
}

public sealed class DescribedText
{
    [CdrWide]
    public string Wide { get; set; } = string.Empty;

    [CdrNarrow]
    public char Narrow { get; set; }

    public char WideChar { get; set; }

    public string Plain { get; set; } = string.Empty;

    [CdrWide]
    public List<string> WideList { get; set; } = [];
}

public sealed class DescribedArrays
{
    [CdrFixedLength(3)]
    public short[] Dims { get; set; } = [];

    public int[] Array { get; set; } = [];

    public List<int> List { get; set; } = [];

    public byte[] Bytes { get; set; } = [];

    public List<DescribedPoint> Points { get; set; } = [];

    [CdrFixedLength(2)]
    public DescribedPoint[] Corners { get; set; } = [];
}

public sealed record DescribedTree(string Label, List<DescribedTree> Children);

public sealed record DescribedPair<TFirst, TSecond>(TFirst First, TSecond Second);

public sealed record DescribedBox<T>(T Item);

/// <summary>C# names may hold any Unicode letter: the notation and the tool take them.</summary>
public sealed class DescribedUnicode
{
    public int Größe { get; set; }

    public string 名前 { get; set; } = string.Empty;
}

/// <summary>The notation's keywords are one list in two assemblies: what DescribeType refuses as a name is what the tool reads as a keyword.</summary>
public sealed class NotationKeywordTests
{
    [Fact]
    public void The_tools_keywords_are_the_ones_DescribeType_refuses()
    {
        var marshalling = (IEnumerable<string>)typeof(Ocean.Marshalling.CdrMarshaller).Assembly
            .GetType("Ocean.Marshalling.Internal.CdrNotation", throwOnError: true)!
            .GetField("Keywords", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        var tool = (IEnumerable<string>)System.Reflection.Assembly.LoadFrom(ToolProcess.ToolPath)
            .GetType("Ocean.Tool.Cdr.CdrTypeSpec", throwOnError: true)!
            .GetField("s_keywords", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;

        tool.Should().BeEquivalentTo(marshalling).And.Contain(["sequence", "TRUE", "unsigned"]);
    }
}
