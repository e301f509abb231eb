using System.Buffers;
using Ocean.Framing.Internal;

namespace Ocean.Framing;

/// <summary>
/// A framing: how messages are delimited in a byte stream. It creates a decoder per stream and writes
/// frames into any <see cref="IBufferWriter{T}"/>. Codecs are immutable and safe to share.
/// </summary>
public abstract class FrameCodec
{
    /// <summary>The largest payload one frame can carry (what <see cref="WriteFrame(ReadOnlySpan{byte}, IBufferWriter{byte})"/> accepts).</summary>
    /// <remarks>A stream <see cref="MessageConnection"/> reports this as its <see cref="MessageConnection.MaxMessageSize"/>.</remarks>
    public abstract int MaxPayloadLength { get; }

    /// <summary>A decoder for one stream (decoders keep per-stream state).</summary>
    /// <returns>A new decoder.</returns>
    public abstract IFrameDecoder CreateDecoder();

    /// <summary>Writes <paramref name="payload"/> as one frame.</summary>
    /// <param name="payload">The message.</param>
    /// <param name="output">Where the frame goes.</param>
    /// <exception cref="FramingException">The payload cannot be framed (too long for the prefix or the maximum, or it contains the line terminator).</exception>
    public abstract void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output);

    /// <summary>
    /// Writes a frame whose payload is produced by <paramref name="writePayload"/>: straight into the output
    /// where the codec can fill in its header and trailer afterwards (the built-in codecs, except a varint
    /// length), through a pooled buffer otherwise.
    /// </summary>
    /// <typeparam name="TState">What the payload writer needs.</typeparam>
    /// <param name="output">Where the frame goes.</param>
    /// <param name="state">Passed to <paramref name="writePayload"/>.</param>
    /// <param name="writePayload">Writes the payload; it must not write to <paramref name="output"/> by any other way.</param>
    /// <exception cref="FramingException">The payload cannot be framed; raised as soon as it passes <see cref="MaxPayloadLength"/>.</exception>
    /// <remarks>
    /// The frame reaches <paramref name="output"/> whole or not at all: the payload is written into memory the
    /// output lends (<see cref="IBufferWriter{T}.GetMemory"/>) and the output is advanced only once the frame is
    /// complete and valid. A payload that outgrows that memory moves to a pooled buffer and is copied once. If
    /// <paramref name="writePayload"/> throws, or the payload is too large, nothing is written.
    /// </remarks>
    public virtual void WriteFrame<TState>(IBufferWriter<byte> output, TState state, Action<TState, IBufferWriter<byte>> writePayload)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(writePayload);
        FrameWriter.Write(this, output, state, writePayload);
    }

    /// <summary>
    /// Whether frames have a fixed-size header and trailer around the payload, so the payload can be written in
    /// place and the rest filled in by <see cref="CompleteFrame"/>.
    /// </summary>
    private protected virtual bool TryGetFrameLayout(out int headerLength, out int trailerLength)
    {
        headerLength = 0;
        trailerLength = 0;
        return false;
    }

    /// <summary>Validates a payload written in place and fills in its header and trailer (layout from <see cref="TryGetFrameLayout"/>).</summary>
    private protected virtual void CompleteFrame(Span<byte> header, ReadOnlySpan<byte> payload, Span<byte> trailer) =>
        throw new NotSupportedException();

    /// <summary>The exception for a payload longer than <see cref="MaxPayloadLength"/>.</summary>
    private protected virtual FramingException TooLarge(long payloadLength) =>
        new(FramingError.FrameTooLarge, $"A payload of {payloadLength} bytes is larger than the codec's maximum of {MaxPayloadLength}.");

    internal bool TryGetLayout(out int headerLength, out int trailerLength) => TryGetFrameLayout(out headerLength, out trailerLength);

    internal void Complete(Span<byte> header, ReadOnlySpan<byte> payload, Span<byte> trailer) => CompleteFrame(header, payload, trailer);

    internal FramingException CreateTooLarge(long payloadLength) => TooLarge(payloadLength);
}
