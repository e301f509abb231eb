using System.Buffers;

namespace Ocean.Marshalling.Tests;

public sealed class CyclicNode
{
    public int Value { get; set; }

    public List<CyclicNode> Next { get; set; } = [];
}

/// <summary>CDR has no references: a cyclic or over-deep object graph must fail cleanly, not overflow the stack.</summary>
public sealed class CdrCycleTests
{
    [Fact]
    public void Marshal_CyclicGraph_ThrowsMarshallingExceptionNotStackOverflow()
    {
        var node = new CyclicNode { Value = 1 };
        node.Next.Add(node);

        var act = () => CdrMarshaller.Default.Marshal(node, new ArrayBufferWriter<byte>());

        act.Should().Throw<MarshallingException>().WithMessage("*deeper than the limit*");
    }

    [Fact]
    public void Marshal_ChainWithinTheDepthLimit_RoundTrips()
    {
        var head = new CyclicNode { Value = 0 };
        var current = head;
        for (var i = 1; i < 40; i++)
        {
            var next = new CyclicNode { Value = i };
            current.Next.Add(next);
            current = next;
        }

        var output = new ArrayBufferWriter<byte>();
        CdrMarshaller.Default.Marshal(head, output);
        var read = CdrMarshaller.Default.Unmarshal<CyclicNode>(new ReadOnlySequence<byte>(output.WrittenMemory));

        var depth = 0;
        for (var node = read; node.Next.Count == 1; node = node.Next[0])
        {
            node.Value.Should().Be(depth++);
        }

        depth.Should().Be(39);
    }
}
