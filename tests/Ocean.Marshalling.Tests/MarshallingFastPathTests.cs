using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// The fast paths of the codecs keep every limit and every byte: flat structs (no struct inside) still count their
/// nesting level and their objects, the inlined string and long readers align from the stream's origin and refuse
/// what the slow path refused, padding is zero over a reused buffer, and the object-graph marshaller's cached
/// descriptors, class references, handle 0 and short-string paths give the same bytes and the same refusals.
/// </summary>
public sealed class MarshallingFastPathTests
{
    private static readonly Person s_smith = new("Smith", "London", 1934);

    [Fact]
    public void CdrFlatStruct_InsideAnotherStruct_CountsItsNestingLevel()
    {
        var team = new Team("Team", [s_smith]);
        var shallow = new CdrMarshaller(new CdrMarshallerOptions { MaxDepth = 1 });
        var deepEnough = new CdrMarshaller(new CdrMarshallerOptions { MaxDepth = 2 });
        var teamBytes = CdrTest.Marshal(deepEnough, team);

        // A Person alone is one level; inside a Team it is the second, refused at MaxDepth 1 both ways.
        shallow.Unmarshal<Person>(new ReadOnlySequence<byte>(CdrTest.Marshal(shallow, s_smith))).Should().Be(s_smith);
        FluentActions.Invoking(() => CdrTest.Marshal(shallow, team)).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => CdrTest.Unmarshal<Team>(shallow, teamBytes)).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        CdrTest.Unmarshal<Team>(deepEnough, teamBytes).Members.Should().Equal(s_smith);
    }

    [Fact]
    public void CdrFlatStructsInASequence_CountAsObjects()
    {
        // Team, its list and each Person are objects: 4 with two members.
        var limited = new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 3 });
        var two = new Team("Team", [s_smith, s_smith]);
        var twoBytes = CdrTest.Marshal(CdrMarshaller.Default, two);

        CdrTest.Unmarshal<Team>(limited, CdrTest.Marshal(limited, new Team("Team", [s_smith]))).Members.Should().ContainSingle();
        FluentActions.Invoking(() => CdrTest.Marshal(limited, two)).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => CdrTest.Unmarshal<Team>(limited, twoBytes)).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public void CdrWriter_OverADirtyReusedBuffer_WritesZeroPadding(ByteOrder order)
    {
        var marshaller = CdrTest.Marshaller(order);
        object[] values =
        [
            new Aligned(0x11, 1.0, -2, 0x0102030405060708, true, -2.5f),
            new Outer(1, new Inner(2, 3), 4, 5),
            new Team("T", [s_smith, new Person("Ab", "Cde", 7)]),
            new Person("x", "yz", -1),
        ];

        foreach (var value in values)
        {
            var clean = new ArrayBufferWriter<byte>();
            marshaller.Marshal(value.GetType(), value, clean);

            var dirty = new ArrayBufferWriter<byte>(4096);
            dirty.Write(Enumerable.Repeat((byte)0xFF, 4096).ToArray());
            dirty.ResetWrittenCount(); // the memory keeps its 0xFF bytes
            marshaller.Marshal(value.GetType(), value, dirty);

            CdrTest.Hex(dirty.WrittenSpan).Should().Be(CdrTest.Hex(clean.WrittenSpan), "padding is written as zero whatever the buffer held ({0})", value);
        }
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public void CdrReaderAndWriter_AtEveryStartPosition_AlignFromTheOrigin(ByteOrder order)
    {
        for (var start = 0; start < 8; start++)
        {
            var output = new ArrayBufferWriter<byte>();
            var writer = new CdrWriter(output, order, start);
            writer.WriteOctet(0xA1);
            writer.WriteLong(-123456);
            writer.WriteOctet(0xA2);
            writer.WriteString("h\u00E9llo");
            writer.WriteString(string.Empty);
            writer.WriteOctet(0xA3);
            writer.WriteULong(0xDEADBEEF);
            writer.Flush();

            var bytes = output.WrittenSpan.ToArray();
            CdrTest.Hex(bytes).Should().Be(CdrTest.Hex(Reference(start, order == ByteOrder.LittleEndian)), "start position {0}", start);

            var reader = new CdrReader(bytes, order, start);
            reader.ReadOctet().Should().Be(0xA1);
            reader.ReadLong().Should().Be(-123456);
            reader.ReadOctet().Should().Be(0xA2);
            reader.ReadString().Should().Be("h\u00E9llo");
            reader.ReadString().Should().BeEmpty();
            reader.ReadOctet().Should().Be(0xA3);
            reader.ReadULong().Should().Be(0xDEADBEEF);
            reader.Remaining.Should().Be(0);

            for (var length = 0; length < bytes.Length; length++)
            {
                var truncated = bytes[..length];
                var act = () => ReadAll(truncated, order, start);
                act.Should().Throw<MarshallingException>("{0} of {1} bytes at start {2}", length, bytes.Length, start)
                    .Which.Error.Should().Be(MarshallingError.Truncated);
            }
        }
    }

    [Theory]
    [InlineData("00000000", MarshallingError.Malformed)] // the length counts the NUL
    [InlineData("00000003 6162", MarshallingError.Truncated)]
    [InlineData("00000003 616263", MarshallingError.Malformed)] // no NUL
    [InlineData("7fffffff 00", MarshallingError.Truncated)]
    [InlineData("ffffffff 00", MarshallingError.Truncated)]
    [InlineData("80000000 00", MarshallingError.Truncated)]
    public void CdrReadString_HostileLengths_AreRefused(string hex, MarshallingError error)
    {
        var bytes = CdrTest.Bytes(hex);
        var act = () =>
        {
            var reader = new CdrReader(bytes);
            return reader.ReadString();
        };

        act.Should().Throw<MarshallingException>().Which.Error.Should().Be(error);
    }

    [Fact]
    public void Graph_RepeatedMarshalOnOneThread_WritesTheDescriptorEveryTime()
    {
        var marshaller = GraphRegistries.Marshaller();
        var first = marshaller.Bytes(s_smith);
        var leaf = marshaller.Bytes(new GraphLeaf("a", 1));

        // Each stream is on its own: the class table of the last one is never carried over.
        for (var i = 0; i < 3; i++)
        {
            marshaller.Bytes(s_smith).Should().Equal(first);
            marshaller.Bytes(new GraphLeaf("a", 1)).Should().Equal(leaf);
            marshaller.Read<Person>(first).Should().Be(s_smith);
        }
    }

    [Fact]
    public void Graph_TwoMarshallersOnOneThread_EachUsesItsOwnCodecs()
    {
        var a = new GraphMarshaller(new GraphTypeRegistry().Register<Person>("a.Person"));
        var b = new GraphMarshaller(new GraphTypeRegistry().Register<Person>("bb.Person"));

        for (var i = 0; i < 3; i++)
        {
            var fromA = a.Bytes(s_smith);
            var fromB = b.Bytes(s_smith);
            Encoding.UTF8.GetString(fromA).Should().Contain("a.Person").And.NotContain("bb.Person");
            Encoding.UTF8.GetString(fromB).Should().Contain("bb.Person");
            a.Read<Person>(fromA).Should().Be(s_smith);
            b.Read<Person>(fromB).Should().Be(s_smith);

            // Each refuses the other's name: it is not in its registry.
            FluentActions.Invoking(() => a.Read<Person>(fromB)).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnregisteredType);
        }
    }

    [Fact]
    public void Graph_EverySingleByteChangeInTheDescriptor_IsRefusedOrReadAsAnotherValidClass()
    {
        var marshaller = GraphRegistries.Marshaller();
        var bytes = marshaller.Bytes(s_smith);
        var name = Encoding.UTF8.GetBytes("test.Person");
        var descriptorStart = bytes.AsSpan().IndexOf(name) - 1; // the name's one-byte length
        descriptorStart.Should().BePositive();

        // Name, fingerprint, member count, member names and signatures: no change may pass as the local descriptor.
        var descriptorLength = 1 + name.Length + 8 + 1 + (1 + 4 + 1) + (1 + 5 + 1) + (1 + 4 + 1);
        for (var i = descriptorStart; i < descriptorStart + descriptorLength; i++)
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[i] ^= 0x01;
            var act = () => marshaller.Read<Person>(corrupt);
            act.Should().Throw<MarshallingException>("byte {0} of the descriptor changed", i - descriptorStart);
        }
    }

    [Fact]
    public void Graph_EveryTruncation_IsRefused()
    {
        // A cut inside the descriptor's names reads as a name running past the stream (Malformed), as before the
        // descriptor fast path; elsewhere as Truncated. Never a value, never another exception.
        var marshaller = GraphRegistries.Marshaller();
        var bytes = marshaller.Bytes(s_smith);

        for (var length = 0; length < bytes.Length; length++)
        {
            var truncated = bytes[..length];
            var act = () => marshaller.Read<Person>(truncated);
            act.Should().Throw<MarshallingException>("{0} of {1} bytes", length, bytes.Length).Which.Error.Should().BeOneOf(MarshallingError.Truncated, MarshallingError.Malformed);
        }
    }

    [Fact]
    public void Graph_ReferencesToTheFirstObject_RoundTrip()
    {
        var marshaller = GraphRegistries.Marshaller();
        var ring = new GraphRing("a");
        ring.Next = ring;
        var root = new GraphNode { Id = 1 };
        var other = new GraphNode { Id = 2, Left = root };
        root.Left = root;
        root.Children = [root, other, other, root];

        var readRing = marshaller.RoundTrip(ring);
        readRing.Next.Should().BeSameAs(readRing);

        var readRoot = marshaller.RoundTrip(root);
        readRoot.Left.Should().BeSameAs(readRoot);
        readRoot.Children.Should().HaveCount(4);
        readRoot.Children![0].Should().BeSameAs(readRoot);
        readRoot.Children[3].Should().BeSameAs(readRoot);
        readRoot.Children[1].Should().BeSameAs(readRoot.Children[2]);
        readRoot.Children[1]!.Left.Should().BeSameAs(readRoot);

        // The same object twice in one message: the second is a reference to handle 0.
        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output))
        {
            writer.Write(other);
            writer.Write(other);
        }

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory));
        reader.Read<GraphNode>().Should().BeSameAs(reader.Read<GraphNode>());
    }

    [Fact]
    public void Graph_ShortStrings_KeepTheLengthLimitAndRefuseUnpairedSurrogates()
    {
        var marshaller = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxStringLength = 3 });

        marshaller.RoundTrip(new GraphLeaf("abc", 1)).Name.Should().Be("abc");
        marshaller.RoundTrip(new GraphLeaf("\u00E9a", 1)).Name.Should().Be("\u00E9a");
        FluentActions.Invoking(() => marshaller.Bytes(new GraphLeaf("abcd", 1))).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => marshaller.Bytes(new GraphLeaf("\u00E9\u00E9", 1))).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.LimitExceeded);

        var unlimited = GraphRegistries.Marshaller();
        FluentActions.Invoking(() => unlimited.Bytes(new GraphLeaf("a\uD800", 1))).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.UnrepresentableValue);
        FluentActions.Invoking(() => marshaller.Bytes(new GraphLeaf("\uDC00", 1))).Should().Throw<MarshallingException>();
        unlimited.RoundTrip(new GraphLeaf("\uD83D\uDE00" + new string('x', 41), 1)).Name.Should().Be("\uD83D\uDE00" + new string('x', 41));
        unlimited.RoundTrip(new GraphLeaf(new string('\u20AC', 42), 1)).Name.Should().Be(new string('\u20AC', 42)); // 126 bytes: the one-pass path's most
        unlimited.RoundTrip(new GraphLeaf(new string('\u20AC', 43), 1)).Name.Should().Be(new string('\u20AC', 43));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })]
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong
    [InlineData(new byte[] { 0xED, 0xA0 })] // start of an encoded surrogate
    [InlineData(new byte[] { 0x7A, 0xE2 })] // cut in the middle of a sequence
    public void Graph_InvalidUtf8InAString_IsMalformed(byte[] invalid)
    {
        var marshaller = GraphRegistries.Marshaller();
        var bytes = marshaller.Bytes(new GraphLeaf("zq", 1));
        var at = bytes.AsSpan().IndexOf("zq"u8);
        at.Should().BePositive();
        invalid.CopyTo(bytes, at);

        FluentActions.Invoking(() => marshaller.Read<GraphLeaf>(bytes)).Should().Throw<MarshallingException>().Which.Error.Should().Be(MarshallingError.Malformed);
    }

    [Fact]
    public void Graph_MarshalInsideAGetter_UsesItsOwnPooledWriterAndReader()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<Person>("test.Person").Register<ReentrantHolder>("test.ReentrantHolder"));
        ReentrantHolder.Marshaller = marshaller;
        var holder = new ReentrantHolder { Value = 5 };

        var bytes = marshaller.Bytes(holder);
        var read = marshaller.Read<ReentrantHolder>(bytes);

        read.Value.Should().Be(5);
        read.Inner.Should().Be(s_smith);
        marshaller.Bytes(holder).Should().Equal(bytes, "the pooled writer is usable again after the nested call");
    }

    private static void ReadAll(byte[] bytes, ByteOrder order, int start)
    {
        var reader = new CdrReader(bytes, order, start);
        reader.ReadOctet();
        reader.ReadLong();
        reader.ReadOctet();
        reader.ReadString();
        reader.ReadString();
        reader.ReadOctet();
        reader.ReadULong();
    }

    /// <summary>The bytes <see cref="CdrReaderAndWriter_AtEveryStartPosition_AlignFromTheOrigin"/> writes, built by hand.</summary>
    private static byte[] Reference(int start, bool littleEndian)
    {
        var bytes = new List<byte>();
        void Pad(int alignment)
        {
            while ((start + bytes.Count) % alignment != 0)
            {
                bytes.Add(0);
            }
        }

        void Long(uint value)
        {
            Pad(4);
            var four = new byte[4];
            if (littleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(four, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(four, value);
            }

            bytes.AddRange(four);
        }

        void Text(string value)
        {
            Long((uint)value.Length + 1);
            bytes.AddRange(Encoding.Latin1.GetBytes(value));
            bytes.Add(0);
        }

        bytes.Add(0xA1);
        Long(unchecked((uint)-123456));
        bytes.Add(0xA2);
        Text("h\u00E9llo");
        Text(string.Empty);
        bytes.Add(0xA3);
        Long(0xDEADBEEF);
        return [.. bytes];
    }
}

/// <summary>A class whose getter marshals with the same marshaller (a re-entrant call on one thread).</summary>
public sealed class ReentrantHolder
{
    internal static GraphMarshaller? Marshaller { get; set; }

    public int Value { get; set; }

    public Person? Inner
    {
        get
        {
            // Writing: a nested marshal and unmarshal while the outer writer is in use.
            var marshaller = Marshaller!;
            return marshaller.Read<Person>(marshaller.Bytes(new Person("Smith", "London", 1934)));
        }

        set
        {
            // Reading: a nested round trip while the outer reader is in use.
            if (value is not null)
            {
                var marshaller = Marshaller!;
                marshaller.Read<Person>(marshaller.Bytes(value)).Should().Be(value);
            }
        }
    }
}
