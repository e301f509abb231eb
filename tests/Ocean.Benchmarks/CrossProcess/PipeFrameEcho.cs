using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The framed echo written by hand over a pair of pipes, shared by the Ocean.Transport and Kestrel servers:
/// parse every whole 4-byte big-endian length-prefixed frame in what was read, write each back (prefix and
/// payload copied into the output), one flush per read.
/// </summary>
internal static class PipeFrameEcho
{
    /// <summary>Frames above this end the connection, as a real server's limit would.</summary>
    public const int MaxPayload = 16 * 1024 * 1024;

    public static async Task RunAsync(PipeReader input, PipeWriter output, CancellationToken stopping)
    {
        // One registration per connection rather than a cancellable ReadAsync per read.
        await using var stop = stopping.Register(static state => ((PipeReader)state!).CancelPendingRead(), input);
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            var wrote = false;
            if (buffer.IsSingleSegment)
            {
                // The usual case: every whole frame parsed straight off one span, no sequence slicing per frame.
                var span = buffer.FirstSpan;
                var offset = EchoWholeFrames(span, output);
                wrote = offset > 0;
                buffer = buffer.Slice(offset);
            }

            while (TryReadFrame(ref buffer, out var payload))
            {
                var length = (int)payload.Length;
                var span = output.GetSpan(4 + length);
                BinaryPrimitives.WriteInt32BigEndian(span, length);
                payload.CopyTo(span[4..]);
                output.Advance(4 + length);
                wrote = true;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (wrote)
            {
                var flush = await output.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }
    }

    /// <summary>Echoes each whole frame at the start of <paramref name="span"/>; returns the bytes consumed.</summary>
    private static int EchoWholeFrames(ReadOnlySpan<byte> span, PipeWriter output)
    {
        var offset = 0;
        while (span.Length - offset >= 4)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(span[offset..]);
            if (length is < 0 or > MaxPayload)
            {
                throw new InvalidDataException($"Frame length {length} is outside 0..{MaxPayload}.");
            }

            if (span.Length - offset - 4 < length)
            {
                break;
            }

            var frame = span.Slice(offset, 4 + length);
            frame.CopyTo(output.GetSpan(frame.Length)); // the prefix is the same value: copied with the payload
            output.Advance(frame.Length);
            offset += frame.Length;
        }

        return offset;
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        int length;
        if (buffer.FirstSpan.Length >= 4)
        {
            length = BinaryPrimitives.ReadInt32BigEndian(buffer.FirstSpan);
        }
        else
        {
            Span<byte> prefix = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(prefix);
            length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        }

        if (length is < 0 or > MaxPayload)
        {
            throw new InvalidDataException($"Frame length {length} is outside 0..{MaxPayload}.");
        }

        if (buffer.Length < 4 + length)
        {
            return false;
        }

        payload = buffer.Slice(4, length);
        buffer = buffer.Slice(4 + length);
        return true;
    }
}
