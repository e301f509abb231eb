namespace Ocean.Marshalling.Tests;

/// <summary>Crafted streams: deep nesting, huge claimed lengths, references to unfinished objects, limits.</summary>
public sealed class GraphHostileInputTests
{
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller();

    /// <summary>The bytes of a stream holding one empty GraphNode, cut into header+descriptor and the members.</summary>
    private static (byte[] Prefix, int MembersAt) NodeStream()
    {
        var bytes = s_marshaller.Bytes(new GraphNode());

        // An empty node's members: Id (4 bytes), then eight null/empty members of one byte each.
        return (bytes, bytes.Length - 12);
    }

    /// <summary>A chain of GraphNodes nested through Left, <paramref name="depth"/> deep, written directly.</summary>
    private static byte[] DeepNodes(int depth)
    {
        var (bytes, membersAt) = NodeStream();
        var output = new List<byte>(bytes[..membersAt]);
        for (var i = 1; i < depth; i++)
        {
            output.AddRange([0, 0, 0, 0, 0, 2, 1]); // Id 0, Label null, Left: new, class reference 1
        }

        output.AddRange([0, 0, 0, 0, 0, 0]); // innermost: Id, Label, Left null
        for (var i = 0; i < depth; i++)
        {
            output.AddRange([0, 0, 0, 0, 0, 0, 0]); // Right, Children, Array, Named, Leaf, Shape... (7 with slack below)
        }

        return [.. output];
    }

    [Fact]
    public void Unmarshal_Nesting100000Deep_ThrowsWithoutStackOverflow()
    {
        var bytes = DeepNodes(100_000);

        FluentActions.Invoking(() => s_marshaller.Read<GraphNode>(bytes)).Should().Throw<MarshallingException>().WithMessage("*deeper than the limit of 64*")
            .Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_Nesting100000DeepWithTheLimitRaised_StackGuardThrows()
    {
        var marshaller = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxDepth = int.MaxValue });
        var bytes = DeepNodes(100_000);
        Exception? caught = null;

        // A thread with a small stack, so the guard (not the limit) is what stops it.
        var thread = new Thread(() => caught = Record.Exception(() => marshaller.Read<GraphNode>(bytes)), 256 * 1024);
        thread.Start();
        thread.Join();

        caught.Should().BeOfType<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_NestedLists_DeepSignatureIsRefused()
    {
        // OG 1, then list<list<...<int32>>> 100 deep.
        byte[] bytes = [0x4F, 0x47, 0x01, .. Enumerable.Repeat((byte)0x12, 100), 0x06, 0x00];

        FluentActions.Invoking(() => s_marshaller.Read<List<int>>(bytes)).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.Malformed);
    }

    [Fact]
    public void Marshal_LinkedList100000Long_ThrowsWithoutStackOverflow()
    {
        var head = new GraphLinked();
        var node = head;
        for (var i = 0; i < 100_000; i++)
        {
            node.Next = new GraphLinked { Value = i };
            node = node.Next;
        }

        FluentActions.Invoking(() => s_marshaller.Bytes(head)).Should().Throw<MarshallingException>().WithMessage("*deeper*")
            .Which.Error.Should().Be(MarshallingError.LimitExceeded);
        var unlimited = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxDepth = int.MaxValue });
        Exception? caught = null;
        var thread = new Thread(() => caught = Record.Exception(() => unlimited.Bytes(head)), 256 * 1024);
        thread.Start();
        thread.Join();
        caught.Should().BeOfType<MarshallingException>();
    }

    public static TheoryData<string, byte[]> HugeClaims => new()
    {
        { "array<int32> of 2^31", [0x4F, 0x47, 0x01, 0x11, 0x06, 0x02, 0x80, 0x80, 0x80, 0x80, 0x08] },
        { "list<string> of 2^31 - 1", [0x4F, 0x47, 0x01, 0x12, 0x0E, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x07] },
        { "array<uint8> of 999,999", [0x4F, 0x47, 0x01, 0x11, 0x02, 0x02, 0xBF, 0x84, 0x3D, 1, 2, 3] },
        { "dictionary of 2^31", [0x4F, 0x47, 0x01, 0x13, 0x06, 0x06, 0x02, 0x80, 0x80, 0x80, 0x80, 0x08] },
        { "string of 2^31 bytes", [0x4F, 0x47, 0x01, 0x0E, 0x81, 0x80, 0x80, 0x80, 0x08, 0x41] },
        { "string of 900,000 bytes", [0x4F, 0x47, 0x01, 0x0E, 0xA1, 0xF7, 0x36, 0x41] },
    };

    [Theory]
    [MemberData(nameof(HugeClaims))]
    public void Unmarshal_ClaimedLength_ThrowsWithoutAllocating(string name, byte[] bytes)
    {
        var unlimited = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxCollectionLength = int.MaxValue, MaxStringLength = int.MaxValue });
        foreach (var marshaller in new[] { s_marshaller, unlimited })
        {
            var read = Reader(bytes[3]);
            FluentActions.Invoking(() => read(marshaller, bytes)).Should().Throw<MarshallingException>(name); // warm up

            // Measured around the call alone (the assertion library allocates on its own).
            Exception? caught = null;
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(marshaller, bytes);
            }
            catch (Exception ex)
            {
                caught = ex;
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            caught.Should().BeOfType<MarshallingException>(name).Which.Error.Should().BeOneOf(
                [MarshallingError.LimitExceeded, MarshallingError.Truncated], "{0} is beyond a limit or beyond the remaining bytes", name);
            allocated.Should().BeLessThan(64 * 1024, name);
        }
    }

    private static Action<GraphMarshaller, byte[]> Reader(byte code) => code switch
    {
        0x11 when true => (m, b) => _ = b[4] == 0x06 ? m.Read<int[]>(b).Length : m.Read<byte[]>(b).Length,
        0x12 => (m, b) => m.Read<List<string>>(b),
        0x13 => (m, b) => m.Read<Dictionary<int, int>>(b),
        _ => (m, b) => m.Read<string>(b),
    };

    [Fact]
    public void Unmarshal_ReferenceToObjectUnderConstruction_ThrowsMarshallingException()
    {
        // A valid owner whose part has no owner: ... 00 at the end. Make the part's Owner a reference to handle 0.
        var bytes = s_marshaller.Bytes(new GraphOwner(new GraphPart()));
        bytes[^1].Should().Be(0);
        byte[] hostile = [.. bytes[..^1], 0x01, 0x00];

        FluentActions.Invoking(() => s_marshaller.Read<GraphOwner>(hostile)).Should().Throw<MarshallingException>().WithMessage("*still being constructed*")
            .Which.Error.Should().Be(MarshallingError.Malformed);
    }

    [Fact]
    public void Unmarshal_ReferenceForward_ThrowsMarshallingException()
    {
        byte[] bytes = [0x4F, 0x47, 0x01, 0x12, 0x06, 0x01, 0x05];

        FluentActions.Invoking(() => s_marshaller.Read<List<int>>(bytes)).Should().Throw<MarshallingException>().WithMessage("*not been read*")
            .Which.Error.Should().Be(MarshallingError.Malformed);
    }

    [Fact]
    public void Unmarshal_BadHeaderOrVersion_ThrowsMarshallingException()
    {
        var bytes = s_marshaller.Bytes(7);

        FluentActions.Invoking(() => s_marshaller.Read<int>([0x4F, 0x48, .. bytes[2..]])).Should().Throw<MarshallingException>().WithMessage("*magic*").Which.Error.Should().Be(MarshallingError.Malformed);
        FluentActions.Invoking(() => s_marshaller.Read<int>([0x4F, 0x47, 0x02, .. bytes[3..]])).Should().Throw<MarshallingException>().WithMessage("*version 2*").Which.Error.Should().Be(MarshallingError.Incompatible);
        FluentActions.Invoking(() => s_marshaller.Read<long>(bytes)).Should().Throw<MarshallingException>().WithMessage("*int32*int64*").Which.Error.Should().Be(MarshallingError.Incompatible);
    }

    [Fact]
    public void Limits_ObjectsBytesStringsAndCollections_AreEnforcedBothWays()
    {
        var tight = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxObjects = 10, MaxBytes = 1000, MaxStringLength = 5, MaxCollectionLength = 3 });
        var people = Enumerable.Range(0, 20).Select(i => new Person("p", "q", i)).ToList();

        FluentActions.Invoking(() => tight.Bytes(people)).Should().Throw<MarshallingException>().WithMessage("*limit*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => tight.Read<List<Person>>(s_marshaller.Bytes(people))).Should().Throw<MarshallingException>().WithMessage("*limit*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => tight.Bytes("123456")).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => tight.Read<string>(s_marshaller.Bytes("123456"))).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => tight.Read<byte[]>(s_marshaller.Bytes(new byte[2000]))).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => tight.Bytes(new byte[2000])).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        tight.RoundTrip(new List<int> { 1, 2, 3 }).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Unmarshal_ConstructorThatThrows_BecomesMarshallingException()
    {
        // A GraphMoney with an invalid decimal flag word.
        var bytes = s_marshaller.Bytes(new GraphMoney(1m, "X"));
        var at = bytes.Length - 2 - 16; // Amount is the first member: 16 bytes, then "X" (2 bytes)
        bytes[at + 15] = 0x7F;

        FluentActions.Invoking(() => s_marshaller.Read<GraphMoney>(bytes)).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.Malformed);
    }
}
