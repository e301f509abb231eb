using System.Buffers;

namespace Ocean.Framing;

/// <summary>
/// A framing: how messages are delimited in a byte stream. It creates a decoder per stream and writes
/// frames into any <see cref="IBufferWriter{T}"/>. Codecs are immutable and safe to share.
/// </summary>
public abstract class FrameCodec
{
    /// <summary>A decoder for one stream (decoders keep per-stream state).</summary>
    /// <returns>A new decoder.</returns>
    public abstract IFrameDecoder CreateDecoder();

    /// <summary>Writes <paramref name="payload"/> as one frame.</summary>
    /// <param name="payload">The message.</param>
    /// <param name="output">Where the frame goes.</param>
    /// <exception cref="FramingException">The payload cannot be framed (too long for the prefix or the maximum, or it contains the line terminator).</exception>
    public abstract void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output);

    /// <summary>
    /// Writes a frame whose payload is produced by <paramref name="writePayload"/> straight into the output
    /// where the codec allows it (fixed-size length prefixes are back-filled), or through a pooled buffer.
    /// </summary>
    /// <typeparam name="TState">What the payload writer needs.</typeparam>
    /// <param name="output">Where the frame goes.</param>
    /// <param name="state">Passed to <paramref name="writePayload"/>.</param>
    /// <param name="writePayload">Writes the payload.</param>
    /// <exception cref="FramingException">The payload cannot be framed.</exception>
    public virtual void WriteFrame<TState>(IBufferWriter<byte> output, TState state, Action<TState, IBufferWriter<byte>> writePayload)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(writePayload);
        var scratch = Internal.PooledBufferWriter.Rent();
        try
        {
            writePayload(state, scratch);
            WriteFrame(scratch.WrittenSpan, output);
        }
        finally
        {
            Internal.PooledBufferWriter.Return(scratch);
        }
    }
}
