using System.Buffers;
using System.IO.Pipelines;

namespace Ocean.Testing;

public static class PipeExtensions
{
    /// <summary>Reads exactly <paramref name="count"/> bytes, or fewer if the stream ends first.</summary>
    public static async Task<byte[]> ReadExactlyAsync(this PipeReader reader, int count, CancellationToken cancellationToken = default)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await reader.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            var take = (int)Math.Min(buffer.Length, count - filled);
            buffer.Slice(0, take).CopyTo(result.AsSpan(filled));
            filled += take;
            reader.AdvanceTo(buffer.GetPosition(take));
            if (read.IsCompleted && filled < count)
            {
                return result[..filled];
            }
        }

        return result;
    }

    /// <summary>Reads everything until the peer closes.</summary>
    public static async Task<byte[]> ReadToEndAsync(this PipeReader reader, CancellationToken cancellationToken = default)
    {
        var output = new ArrayBufferWriter<byte>();
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            foreach (var segment in read.Buffer)
            {
                output.Write(segment.Span);
            }

            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return output.WrittenSpan.ToArray();
            }
        }
    }

    /// <summary>Copies input to output until the peer finishes sending: the echo handler.</summary>
    public static async ValueTask EchoAsync(this IDuplexPipe pipe, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var read = await pipe.Input.ReadAsync(cancellationToken);
            foreach (var segment in read.Buffer)
            {
                pipe.Output.Write(segment.Span);
            }

            pipe.Input.AdvanceTo(read.Buffer.End);
            var flush = await pipe.Output.FlushAsync(cancellationToken);
            if (read.IsCompleted || flush.IsCompleted)
            {
                return;
            }
        }
    }
}
