using System.Buffers;

namespace Ocean.Marshalling.Tests;

/// <summary>Values of every supported kind come back equal; shared references and cycles come back as the same shape.</summary>
public sealed class GraphRoundTripTests
{
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller();

    public static TheoryData<object> Primitives => new()
    {
        true, (byte)200, (sbyte)-100, (short)-30000, (ushort)65000, int.MinValue, uint.MaxValue, long.MinValue, ulong.MaxValue,
        float.Epsilon, double.NaN, -0.0, decimal.MaxValue, 1.2345678901234567890123456789m, -0.0000000000000000000000000001m, '\uD83D', 'x', "text \u00E9 \U0001F600", string.Empty, GraphColor.Blue,
    };

    [Theory]
    [MemberData(nameof(Primitives))]
    public void RoundTrip_Primitive_IsEqual(object value)
    {
        var method = typeof(GraphTestHelpers).GetMethod(nameof(GraphTestHelpers.RoundTrip))!.MakeGenericMethod(value.GetType());

        method.Invoke(null, [s_marshaller, value]).Should().Be(value);
    }

    [Fact]
    public void RoundTrip_NullRoots_AreNull()
    {
        s_marshaller.RoundTrip<string?>(null).Should().BeNull();
        s_marshaller.RoundTrip<Person?>(null).Should().BeNull();
        s_marshaller.RoundTrip<int[]?>(null).Should().BeNull();
        s_marshaller.RoundTrip<int?>(null).Should().BeNull();
        s_marshaller.RoundTrip<int?>(5).Should().Be(5);
    }

    [Fact]
    public void RoundTrip_Everything_IsEquivalent()
    {
        var value = new GraphEverything
        {
            Flag = true, U8 = 1, I8 = -2, I16 = -3, U16 = 4, I32 = -5, U32 = 6, I64 = -7, U64 = 8, F32 = 9.5f, F64 = -10.25, Money = 11.11m, Letter = '\u00E9',
            Text = "twelve", Color = GraphColor.Green, MaybeInt = 13, MaybePoint = new GraphPoint(14, 15), Point = new GraphPoint(-16, 17),
            Bytes = [1, 2, 3, 255], Ints = [int.MinValue, 0, int.MaxValue], Strings = ["a", null, string.Empty],
            Map = new() { [1] = [new GraphPoint(1, 1)], [-2] = [] }, Price = new GraphMoney(99.99m, "EUR"),
            Shapes = [new GraphCircle { Name = "c", Radius = 2.5 }, null, new GraphSquare { Name = "s", Side = 3, Color = GraphColor.Red }],
            Ignored = "not sent", Field = long.MaxValue,
        };

        var read = s_marshaller.RoundTrip(value);

        read.Should().BeEquivalentTo(value, o => o.Excluding(v => v.Ignored).RespectingRuntimeTypes().WithStrictOrdering());
        read.Ignored.Should().Be("default");
        read.Shapes![0].Should().BeOfType<GraphCircle>();
        read.Shapes[2].Should().BeOfType<GraphSquare>();
    }

    [Fact]
    public void RoundTrip_DefaultEverything_IsEquivalent()
    {
        var value = new GraphEverything();

        s_marshaller.RoundTrip(value).Should().BeEquivalentTo(value);
    }

    [Fact]
    public void RoundTrip_SharedReferences_ComeBackShared()
    {
        var leaf = new GraphLeaf("shared", 1);
        var child = new GraphNode { Id = 2, Leaf = leaf };
        var list = new List<GraphNode?> { child, child };
        var root = new GraphNode { Id = 1, Left = child, Right = child, Children = list, Array = [child], Named = new() { ["c"] = child }, Leaf = leaf };
        child.Children = list;

        var read = s_marshaller.RoundTrip(root);

        read.Left.Should().BeSameAs(read.Right);
        read.Children![0].Should().BeSameAs(read.Left).And.BeSameAs(read.Children[1]).And.BeSameAs(read.Array![0]).And.BeSameAs(read.Named!["c"]);
        read.Left!.Children.Should().BeSameAs(read.Children);
        read.Leaf.Should().BeSameAs(read.Left.Leaf);
    }

    [Fact]
    public void RoundTrip_SelfCycle_ComesBackAsACycle()
    {
        var node = new GraphNode { Id = 7 };
        node.Left = node;
        node.Children = [node, null];

        var read = s_marshaller.RoundTrip(node);

        read.Left.Should().BeSameAs(read);
        read.Children![0].Should().BeSameAs(read);
    }

    [Fact]
    public void RoundTrip_CycleThroughSettableMemberOfRecord_ComesBackAsACycle()
    {
        var a = new GraphRing("a");
        var b = new GraphRing("b") { Next = a };
        a.Next = b;

        var read = s_marshaller.RoundTrip(a);

        read.Name.Should().Be("a");
        read.Next!.Name.Should().Be("b");
        read.Next.Next.Should().BeSameAs(read);
    }

    [Fact]
    public void Marshal_CycleThroughConstructorParameter_ThrowsMarshallingException()
    {
        var part = new GraphPart();
        var owner = new GraphOwner(part);
        part.Owner = owner;

        FluentActions.Invoking(() => s_marshaller.Bytes(owner)).Should().Throw<MarshallingException>().WithMessage("*constructor parameter*test.Owner*");
        FluentActions.Invoking(() => s_marshaller.Bytes(part)).Should().NotThrow("starting from the part, the owner's constructor gets a finished part");
    }

    [Fact]
    public void RoundTrip_PartWithOwner_RebuildsTheCycleFromTheSettableSide()
    {
        var part = new GraphPart();
        part.Owner = new GraphOwner(part);

        var read = s_marshaller.RoundTrip(part);

        read.Owner!.Part.Should().BeSameAs(read);
    }

    [Fact]
    public void RoundTrip_ConstructorOnlyTypeAndStruct_AreEqual()
    {
        var money = s_marshaller.RoundTrip(new GraphMoney(-1.5m, "GBP"));

        money.Amount.Should().Be(-1.5m);
        money.Currency.Should().Be("GBP");
        s_marshaller.RoundTrip(new GraphPoint(3, -4)).Should().Be(new GraphPoint(3, -4));
        s_marshaller.RoundTrip<GraphPoint?>(new GraphPoint(3, -4)).Should().Be(new GraphPoint(3, -4));
    }

    [Fact]
    public void RoundTrip_SubclassWhereBaseIsDeclared_KeepsItsType()
    {
        GraphShape shape = new GraphSquare { Name = "sq", Side = 4, Color = GraphColor.Blue };

        var read = s_marshaller.RoundTrip(shape);

        read.Should().BeOfType<GraphSquare>().Which.Side.Should().Be(4);
        read.Name.Should().Be("sq");
    }

    [Fact]
    public void RoundTrip_Collections_AreEqual()
    {
        s_marshaller.RoundTrip(new List<int> { 1, 2, 3 }).Should().Equal(1, 2, 3);
        s_marshaller.RoundTrip(new int[0]).Should().BeEmpty();
        s_marshaller.RoundTrip(new Dictionary<string, int?> { ["a"] = 1, ["b"] = null }).Should().Equal(new Dictionary<string, int?> { ["a"] = 1, ["b"] = null });
        s_marshaller.RoundTrip(new List<List<string>> { new() { "x" }, new() }).Should().BeEquivalentTo(new List<List<string>> { new() { "x" }, new() });
        s_marshaller.RoundTrip(Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray()).Should().HaveCount(100_000);
    }

    [Fact]
    public void RoundTrip_DistinctEmptyArrays_StayDistinct()
    {
        var node = new GraphNode { Array = new GraphNode?[0], Children = [] };
        var other = new GraphNode { Array = new GraphNode?[0], Left = node };

        var read = s_marshaller.RoundTrip(other);

        read.Array.Should().NotBeSameAs(read.Left!.Array);
    }

    [Fact]
    public void Unmarshal_FragmentedInput_IsTheSame()
    {
        var group = new ContractGroup("g", [new Person("Smith", "London", 1934)], 2);
        var bytes = s_marshaller.Bytes(group);

        s_marshaller.Unmarshal<ContractGroup>(GraphTestHelpers.Fragmented(bytes)).Should().BeEquivalentTo(group);
    }

    [Fact]
    public void Marshal_DescriptorsAreWrittenOncePerStream()
    {
        var one = s_marshaller.Bytes(new List<Person> { new("a", "b", 1) });
        var two = s_marshaller.Bytes(new List<Person> { new("a", "b", 1), new("a", "b", 1) });

        // The second Person costs its tag, a one-byte class reference and its members, not another descriptor.
        (two.Length - one.Length).Should().Be(1 + 1 + 2 + 2 + 4);
    }

    [Fact]
    public void Marshal_UnpairedSurrogate_ThrowsMarshallingException()
    {
        FluentActions.Invoking(() => s_marshaller.Bytes("a\uD800b")).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Marshal_ValueRefusedHalfway_LeavesAtMostTheStartOfTheStream()
    {
        // The cycle is found at the part's reference back to its owner: what may be in the output by then is the
        // start of the stream of the same owner whose part has no owner, never anything else. Discarding it is the caller's.
        var output = new ArrayBufferWriter<byte>();
        var part = new GraphPart();
        part.Owner = new GraphOwner(part);
        var acyclic = s_marshaller.Bytes(new GraphOwner(new GraphPart()));

        FluentActions.Invoking(() => s_marshaller.Marshal(part.Owner, output)).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.UnrepresentableValue);
        output.WrittenSpan.ToArray().Should().Equal(acyclic.Take(output.WrittenCount));
    }
}
