using System.Buffers;
using Ocean.Marshalling;
using Ocean.Transport;

namespace Ocean.Marshalling.Tests;

/// <summary><see cref="MarshallingWriter.TryReset"/> and <see cref="MarshallingReader.TryReset"/>: one CDR writer or reader for many messages.</summary>
public sealed class CdrStreamResetTests
{
    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public void A_reset_writer_writes_the_same_bytes_as_a_new_one(ByteOrder order)
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { ByteOrder = order });
        var fresh = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(fresh))
        {
            writer.Write((byte)7);
            writer.Write(42L); // aligned to 8 from the stream's start
            writer.Write("ocean");
        }

        var reused = marshaller.CreateWriter(new ArrayBufferWriter<byte>());
        reused.Write(1.5); // an earlier message leaves nothing behind
        reused.Dispose();
        var second = new ArrayBufferWriter<byte>();
        reused.TryReset(second).Should().BeTrue();
        reused.Position.Should().Be(0);
        reused.Write((byte)7);
        reused.Write(42L);
        reused.Write("ocean");
        reused.Dispose();

        second.WrittenSpan.ToArray().Should().Equal(fresh.WrittenSpan.ToArray());
        fresh.WrittenCount.Should().Be(8 + 8 + 4 + 6, "the long starts at offset 8, not 1");
    }

    [Fact]
    public void A_reset_reader_reads_a_new_message_from_its_start_even_after_a_failure()
    {
        var marshaller = CdrMarshaller.Default;
        var first = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(first))
        {
            writer.Write(1);
        }

        var second = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(second))
        {
            writer.Write(2);
            writer.Write("two");
        }

        var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(first.WrittenMemory));
        reader.Read<int>().Should().Be(1);
        var readPastTheEnd = () => reader.Read<int>();
        readPastTheEnd.Should().Throw<MarshallingException>();
        reader.Dispose();

        reader.TryReset(new ReadOnlySequence<byte>(second.WrittenMemory)).Should().BeTrue();
        reader.Position.Should().Be(0);
        reader.Read<int>().Should().Be(2);
        reader.Read<string>().Should().Be("two");
        reader.IsAtEnd.Should().BeTrue();
        reader.Dispose();
    }

    [Fact]
    public void A_reset_reader_takes_a_message_split_across_segments()
    {
        var marshaller = CdrMarshaller.Default;
        var bytes = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(bytes))
        {
            writer.Write(3);
            writer.Write(4L);
        }

        var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(new byte[4]));
        reader.Dispose();
        reader.TryReset(CdrTest.Split(bytes.WrittenMemory.ToArray(), 5)).Should().BeTrue();
        reader.Read<int>().Should().Be(3);
        reader.Read<long>().Should().Be(4L);
        reader.Dispose();
    }
}
