using System.Buffers;

namespace Ocean.Framing.Tests.Infrastructure;

/// <summary>Builds multi-segment sequences and drives a decoder the way a pipe reader loop would.</summary>
public static class Sequences
{
    /// <summary>A sequence with one segment per chunk (empty chunks included: pipes can produce them).</summary>
    public static ReadOnlySequence<byte> Of(params byte[][] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        for (var i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Splits <paramref name="bytes"/> into segments at the given cut positions.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, params int[] cuts)
    {
        var chunks = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts.Order())
        {
            chunks.Add(bytes[start..cut]);
            start = cut;
        }

        chunks.Add(bytes[start..]);
        return Of([.. chunks]);
    }

    /// <summary>
    /// Feeds <paramref name="stream"/> to a fresh decoder in pieces of <paramref name="chunkSizes"/> (cycled),
    /// as a pipe reader loop would: the unconsumed bytes grow, one segment per arrival, and each frame found
    /// is copied out. Returns the frames, and how many bytes were left over at the end.
    /// </summary>
    public static (List<byte[]> Frames, long Leftover) DecodeAll(FrameCodec codec, byte[] stream, params int[] chunkSizes)
    {
        var decoder = codec.CreateDecoder();
        var frames = new List<byte[]>();
        var chunks = new List<byte[]>();
        var offset = 0;
        var sizeIndex = 0;
        var pending = ReadOnlySequence<byte>.Empty;
        while (true)
        {
            while (!pending.IsEmpty || offset == stream.Length)
            {
                if (!decoder.TryReadFrame(pending, out var frame, out var consumed, out _))
                {
                    pending = pending.Slice(consumed);
                    break;
                }

                frames.Add(frame.ToArray());
                pending = pending.Slice(consumed);
                if (pending.IsEmpty && offset == stream.Length)
                {
                    break;
                }
            }

            if (offset == stream.Length)
            {
                return (frames, pending.Length);
            }

            var size = chunkSizes.Length == 0 ? stream.Length : Math.Max(1, chunkSizes[sizeIndex++ % chunkSizes.Length]);
            var next = stream[offset..Math.Min(stream.Length, offset + size)];
            offset += next.Length;
            chunks.Clear();
            foreach (var segment in pending)
            {
                chunks.Add(segment.ToArray());
            }

            chunks.Add(next);
            pending = Of([.. chunks]);
        }
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
