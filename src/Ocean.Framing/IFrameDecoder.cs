using System.Buffers;

namespace Ocean.Framing;

/// <summary>
/// Finds frames in a byte stream: a small synchronous reader that never touches pipes or sockets.
/// Decoders may keep state between calls (where scanning stopped), so each stream needs its own instance
/// (<see cref="FrameCodec.CreateDecoder"/>).
/// </summary>
public interface IFrameDecoder
{
    /// <summary>Tries to find one complete frame at the start of <paramref name="input"/>.</summary>
    /// <param name="input">The unconsumed bytes, starting where the previous frame ended.</param>
    /// <param name="frame">The frame's payload: a slice of <paramref name="input"/> (no copy), valid as long as the input is.</param>
    /// <param name="consumed">Where decoding resumes: the end of this frame (header and terminator included); when no frame was found, the start of the input, or past bytes the decoder skipped.</param>
    /// <param name="examined">How far the decoder has looked; pass it to <c>PipeReader.AdvanceTo</c> so the reader waits for more.</param>
    /// <returns><see langword="true"/> when a frame was found.</returns>
    /// <exception cref="FramingException">The bytes cannot form a valid frame; raised as soon as that is known, before buffering more.</exception>
    /// <remarks>
    /// Called again with more data after a <see langword="false"/> result, the input must start at the same
    /// position. A frame split across reads or buffer segments is found exactly as if it arrived whole. After a
    /// <see langword="false"/> result that consumed bytes (bytes skipped), <see cref="MessageConnection"/> calls
    /// again at once with the rest, which may be empty, before waiting for more.
    /// </remarks>
    bool TryReadFrame(in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined);

    /// <summary>Forgets any state kept between calls, for reuse on a new stream.</summary>
    void Reset();
}
