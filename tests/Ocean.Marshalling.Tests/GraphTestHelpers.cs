using System.Buffers;

namespace Ocean.Marshalling.Tests;

/// <summary>Marshal and unmarshal helpers for the object-graph tests.</summary>
internal static class GraphTestHelpers
{
    public static byte[] Bytes<T>(this IMarshaller marshaller, T value)
    {
        var output = new ArrayBufferWriter<byte>();
        marshaller.Marshal(value, output);
        return output.WrittenSpan.ToArray();
    }

    public static T Read<T>(this IMarshaller marshaller, byte[] bytes) => marshaller.Unmarshal<T>(new ReadOnlySequence<byte>(bytes));

    public static T RoundTrip<T>(this IMarshaller marshaller, T value) => marshaller.Read<T>(marshaller.Bytes(value));

    /// <summary>The same bytes as a sequence of one-byte segments (every segment boundary).</summary>
    public static ReadOnlySequence<byte> Fragmented(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
