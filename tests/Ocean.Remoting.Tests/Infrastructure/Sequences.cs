using System.Buffers;

namespace Ocean.Remoting.Tests.Infrastructure;

/// <summary>Multi-segment sequences, as a pipe hands them over, and a byte-array writer for encoders.</summary>
public static class Sequences
{
    /// <summary>A sequence with one segment per chunk.</summary>
    public static ReadOnlySequence<byte> Of(params byte[][] chunks)
    {
        var first = new Segment(chunks[0], 0);
        var last = first;
        for (var i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Two segments, cut at <paramref name="cut"/>.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int cut) => Of(bytes[..cut], bytes[cut..]);

    /// <summary>One segment per byte: every field straddles a boundary.</summary>
    public static ReadOnlySequence<byte> ByteByByte(byte[] bytes) => Of(bytes.Select(b => new[] { b }).ToArray());

    /// <summary>Runs an encoder into a fresh buffer and returns its bytes.</summary>
    public static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static byte[] FromHex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

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
