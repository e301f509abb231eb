using System.Buffers;
using Ocean.Framing;

namespace Ocean.Remoting.Internal;

/// <summary>
/// The protocol's framing (a 4-byte big-endian length, then the message) with one limit for reading (what this side
/// announced) and one for writing (what the peer announced), since each side reads up to its own limit. Both limits
/// are message (payload) lengths, as the preamble carries them; the 4-byte prefix comes on top.
/// </summary>
internal sealed class SplitLimitCodec : FrameCodec
{
    private const int PrefixLength = 4;

    private readonly LengthPrefixedCodec _reading;
    private readonly LengthPrefixedCodec _writing;

    public SplitLimitCodec(int readLimit, uint writeLimit)
    {
        _reading = Codec(readLimit);
        _writing = readLimit == writeLimit ? _reading : Codec(writeLimit);
    }

    private static LengthPrefixedCodec Codec(long payloadLimit) =>
        new(new LengthPrefixedCodecOptions { MaxFrameLength = (int)Math.Min(payloadLimit + PrefixLength, int.MaxValue) });

    public override int MaxPayloadLength => _writing.MaxPayloadLength;

    public override IFrameDecoder CreateDecoder() => _reading.CreateDecoder();

    public override void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output) => _writing.WriteFrame(payload, output);

    public override void WriteFrame<TState>(IBufferWriter<byte> output, TState state, Action<TState, IBufferWriter<byte>> writePayload) =>
        _writing.WriteFrame(output, state, writePayload);
}
