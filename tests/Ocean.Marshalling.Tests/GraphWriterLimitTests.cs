namespace Ocean.Marshalling.Tests;

/// <summary>The writer never produces a stream its own reader refuses: MaxBytes is checked on every write.</summary>
public sealed class GraphWriterLimitTests
{
    [Fact]
    public void Marshal_AnyMaxBytes_WritesAtMostMaxBytesOrRefuses()
    {
        // About 1,000 bytes in strings of assorted lengths, so the stream crosses MaxBytes in the middle of a write.
        var value = Enumerable.Range(0, 60).Select(i => new string('x', i % 31)).ToList();

        for (var maxBytes = 900; maxBytes <= 1_100; maxBytes++)
        {
            var marshaller = new GraphMarshaller(new GraphTypeRegistry(), new GraphMarshallerOptions { MaxBytes = maxBytes });
            byte[] bytes;
            try
            {
                bytes = marshaller.Bytes(value);
            }
            catch (MarshallingException)
            {
                continue;
            }

            bytes.Length.Should().BeLessThanOrEqualTo(maxBytes, "MaxBytes = {0}", maxBytes);
            marshaller.Read<List<string>>(bytes).Should().Equal(value);
        }
    }

    [Theory]
    [InlineData(20)]
    [InlineData(300)]
    [InlineData(5_000)]
    public void Marshal_EncodingOfExactlyMaxBytes_WrittenAndReadBackButOneByteLessRefused(int strings)
    {
        // Ends with a null string, a one-byte varint: the last write fits exactly.
        List<string?> value = [.. Enumerable.Range(0, strings).Select(i => $"item {i}"), null];
        var length = new GraphMarshaller(new GraphTypeRegistry()).Bytes(value).Length;

        var exact = new GraphMarshaller(new GraphTypeRegistry(), new GraphMarshallerOptions { MaxBytes = length });
        var bytes = exact.Bytes(value);
        bytes.Length.Should().Be(length);
        exact.Read<List<string?>>(bytes).Should().Equal(value);

        var tight = new GraphMarshaller(new GraphTypeRegistry(), new GraphMarshallerOptions { MaxBytes = length - 1 });
        FluentActions.Invoking(() => tight.Bytes(value)).Should().Throw<MarshallingException>().WithMessage("*limit of*bytes*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
        FluentActions.Invoking(() => tight.Read<List<string?>>(bytes)).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Marshal_RefusedForMaxBytes_LeavesAtMostMaxBytesOfTheStreamsStart()
    {
        // The writer writes into the output as it goes: a value refused halfway may leave the start of its stream
        // (the caller discards it), but never more than MaxBytes and never other bytes.
        var marshaller = new GraphMarshaller(new GraphTypeRegistry(), new GraphMarshallerOptions { MaxBytes = 100 });
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var unlimited = new GraphMarshaller(new GraphTypeRegistry()).Bytes(new int[100]);

        FluentActions.Invoking(() => marshaller.Marshal(new int[100], output)).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.LimitExceeded);

        output.WrittenCount.Should().BeLessThanOrEqualTo(100);
        output.WrittenSpan.ToArray().Should().Equal(unlimited.Take(output.WrittenCount));
    }
}
