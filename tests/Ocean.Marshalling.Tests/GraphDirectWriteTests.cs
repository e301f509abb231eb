using System.Buffers;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// The object-graph writer writes straight into the caller's buffer writer, a chunk at a time: the bytes do not depend
/// on how the output cuts its memory, nothing is written past the memory it hands out, and MaxBytes holds over the whole stream.
/// </summary>
public sealed class GraphDirectWriteTests
{
    private static readonly GraphMarshaller s_marshaller = Marshaller();

    public static TheoryData<int> ChunkSizes => [1, 2, 3, 7, 16, 100, 4096];

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Marshal_IntoSmallChunks_WritesTheSameBytesAsIntoOneBuffer(int chunk)
    {
        var value = Sample();
        var expected = s_marshaller.Bytes(value);
        var output = new ChunkedWriter(chunk);

        s_marshaller.Marshal(value, output);

        output.Written.Should().Equal(expected);
        output.CheckCanaries();
        output.Chunks.Should().BeGreaterThan(expected.Length / Math.Max(chunk, 10_000), "the output's memory is written in place");
        Same(s_marshaller.Read<GraphDirectSample>(output.Written), value);
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Message_IntoSmallChunks_WritesTheSameBytesAsIntoOneBuffer(int chunk)
    {
        var expected = new ArrayBufferWriter<byte>();
        var output = new ChunkedWriter(chunk);
        foreach (IBufferWriter<byte> target in new IBufferWriter<byte>[] { expected, output })
        {
            using var writer = s_marshaller.CreateWriter(target);
            writer.Write(Sample());
            writer.Write(42);
            writer.Write(new string('y', 300));
            writer.Position.Should().Be(target == expected ? expected.WrittenCount : output.Written.Length, "each value is handed over when it is done");
        }

        output.Written.Should().Equal(expected.WrittenSpan.ToArray());
        output.CheckCanaries();
    }

    [Fact]
    public void Marshal_IntoMemoryThatIsNotAnArray_WritesTheSameBytes()
    {
        var value = Sample();
        var expected = s_marshaller.Bytes(value);
        using var output = new NativeWriter(64);

        s_marshaller.Marshal(value, output);
        using (var writer = s_marshaller.CreateWriter(output))
        {
            writer.Write(value);
        }

        var message = new ArrayBufferWriter<byte>();
        using (var writer = s_marshaller.CreateWriter(message))
        {
            writer.Write(value);
        }

        output.Written.Should().Equal([.. expected, .. message.WrittenSpan.ToArray()]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    public void Marshal_AnyMaxBytes_IntoChunks_HandsOverAtMostMaxBytes(int chunk)
    {
        var value = Sample();
        var full = s_marshaller.Bytes(value);
        for (var maxBytes = full.Length - 40; maxBytes <= full.Length + 1; maxBytes++)
        {
            var marshaller = Marshaller(new GraphMarshallerOptions { MaxBytes = maxBytes });
            var output = new ChunkedWriter(chunk);
            var refused = false;
            try
            {
                marshaller.Marshal(value, output);
            }
            catch (MarshallingException e)
            {
                e.Error.Should().Be(MarshallingError.LimitExceeded);
                refused = true;
            }

            refused.Should().Be(maxBytes < full.Length, "MaxBytes = {0}", maxBytes);
            output.Written.Length.Should().BeLessThanOrEqualTo(maxBytes);

            // What a refused value leaves behind is the start of the stream, never anything else.
            output.Written.Should().Equal(full.Take(output.Written.Length));
            output.CheckCanaries();
        }
    }

    [Fact]
    public void Message_MaxBytes_CountsTheWholeMessageWrittenInChunks()
    {
        var marshaller = Marshaller(new GraphMarshallerOptions { MaxBytes = 200 });
        var output = new ChunkedWriter(7);
        using var writer = marshaller.CreateWriter(output);

        var act = () =>
        {
            for (var i = 0; i < 100; i++)
            {
                writer.Write($"value {i}");
            }
        };

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        output.Written.Length.Should().BeLessThanOrEqualTo(200);
        FluentActions.Invoking(() => writer.Write(1)).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Marshal_ValueRefusedHalfway_MayLeaveTheStartOfTheStreamAndTheNextMarshalIsWhole()
    {
        // The unpaired surrogate is found after about 4 KB of the list is written, so several chunks are handed over.
        List<string> value = [.. Enumerable.Range(0, 400).Select(i => $"item {i:D4}"), "bad \uD800"];
        // The same length in UTF-8 (the replacement character), so the stream matches up to the bad string.
        List<string> good = [.. value[..^1], "bad \uFFFD"];
        var full = s_marshaller.Bytes(good);
        var output = new ChunkedWriter(16);

        FluentActions.Invoking(() => s_marshaller.Marshal(value, output)).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.UnrepresentableValue);

        output.Written.Length.Should().BeLessThan(full.Length);
        output.Written.Should().Equal(full.Take(output.Written.Length));
        output.CheckCanaries();

        // The pooled writer dropped the failed stream: the next value on this thread is whole.
        var next = new ChunkedWriter(16);
        s_marshaller.Marshal(good, next);
        next.Written.Should().Equal(full);
    }

    private static GraphMarshaller Marshaller(GraphMarshallerOptions? options = null) =>
        new(GraphRegistries.Create().Register<GraphDirectSample>("test.DirectSample"), options);

    private static GraphDirectSample Sample()
    {
        var shared = new GraphLeaf("shared", 7);
        var node = new GraphNode { Id = 1, Label = "root", Leaf = shared, Shape = new GraphCircle() };
        node.Left = new GraphNode { Id = 2, Label = new string('n', 70), Leaf = shared, Right = node };
        return new GraphDirectSample
        {
            Node = node,
            Bytes = [.. Enumerable.Range(0, 10_000).Select(i => (byte)i)],
            Text = new string('s', 5_000),
            Numbers = [.. Enumerable.Range(0, 50).Select(i => (long)i * 1_000_000_007)],
            Money = 1.5m,
            Again = node.Left,
        };
    }

    private static void Same(GraphDirectSample read, GraphDirectSample value)
    {
        read.Node!.Left!.Right.Should().BeSameAs(read.Node);
        read.Node.Left.Leaf.Should().BeSameAs(read.Node.Leaf);
        read.Again.Should().BeSameAs(read.Node.Left);
        read.Bytes.Should().Equal(value.Bytes);
        read.Text.Should().Be(value.Text);
        read.Numbers.Should().Equal(value.Numbers);
        read.Money.Should().Be(1.5m);
    }

    /// <summary>
    /// Hands out at most <c>chunk</c> bytes (or the size asked for) at a time, each a slice of a larger array whose
    /// rest is filled with a canary, so a write past the memory handed out is seen.
    /// </summary>
    private sealed class ChunkedWriter(int chunk) : IBufferWriter<byte>
    {
        private const byte Canary = 0xA5;
        private const int Margin = 8;
        private readonly List<byte> _written = [];
        private readonly List<(byte[] Array, int End)> _handedOut = [];
        private byte[]? _current;

        public byte[] Written => [.. _written];

        public int Chunks { get; private set; }

        public void Advance(int count)
        {
            _current.Should().NotBeNull();
            count.Should().BeInRange(0, _current!.Length - (2 * Margin));
            _written.AddRange(_current.AsSpan(Margin, count));
            _current = null;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            var size = Math.Max(Math.Max(sizeHint, 1), chunk);
            var array = new byte[size + (2 * Margin)];
            array.AsSpan().Fill(Canary);
            _current = array;
            _handedOut.Add((array, Margin + size));
            Chunks++;
            return array.AsMemory(Margin, size);
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public void CheckCanaries()
        {
            foreach (var (array, end) in _handedOut)
            {
                array.AsSpan(0, Margin).ToArray().Should().OnlyContain(b => b == Canary);
                array.AsSpan(end).ToArray().Should().OnlyContain(b => b == Canary);
            }
        }
    }

    /// <summary>An output whose memory is not an array: a memory manager that does not expose the array behind it.</summary>
    private sealed class NativeWriter(int chunk) : MemoryManager<byte>, IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _memory = new byte[chunk];

        public byte[] Written => [.. _written];

        public void Advance(int count)
        {
            count.Should().BeInRange(0, _memory.Length);
            _written.AddRange(_memory.AsSpan(0, count));
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (sizeHint > _memory.Length)
            {
                _memory = new byte[sizeHint];
            }

            return Memory;
        }

        public override Span<byte> GetSpan() => _memory;

        Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => GetMemory(sizeHint).Span;

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}

/// <summary>A value with every kind of write the direct writer chunks: shared references, a long byte run, a long string.</summary>
public sealed class GraphDirectSample
{
    public GraphNode? Node { get; set; }

    public byte[]? Bytes { get; set; }

    public string? Text { get; set; }

    public List<long>? Numbers { get; set; }

    public decimal Money { get; set; }

    public GraphNode? Again { get; set; }
}
