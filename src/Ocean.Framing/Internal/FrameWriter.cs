using System.Buffers;

namespace Ocean.Framing.Internal;

/// <summary>
/// The payload writer behind <see cref="FrameCodec.WriteFrame{TState}"/>: lends the payload writer memory of the
/// output itself, after room for the codec's header, and advances the output only once the frame is complete,
/// so a frame reaches the output whole or not at all. A payload that outgrows the lent memory (or a codec
/// without a fixed layout) goes through a pooled buffer instead. One instance per thread is cached.
/// </summary>
internal sealed class FrameWriter : IBufferWriter<byte>
{
    /// <summary>Below this much room in the output's current buffer, ask it for a fresh one before writing.</summary>
    private const int MinWindow = 512;

    /// <summary>What to ask for then: a pipe answers with a whole segment.</summary>
    private const int WindowHint = 2048;

    [ThreadStatic]
    private static FrameWriter? t_cached;

    [ThreadStatic]
    private static int t_scratchFrames;

    private FrameCodec? _codec;
    private Memory<byte> _window;
    private int _headerLength;
    private int _trailerLength;
    private int _maxPayload;
    private int _payload;
    private PooledBufferWriter? _scratch;

    /// <summary>Frames written on this thread through a pooled buffer (a copy) rather than in place: for tests.</summary>
    internal static int ScratchFramesOnThisThread => t_scratchFrames;

    /// <summary>Writes one frame; returns the payload's length.</summary>
    public static int Write<TState>(FrameCodec codec, IBufferWriter<byte> output, TState state, Action<TState, IBufferWriter<byte>> writePayload)
    {
        var writer = t_cached ?? new FrameWriter();
        t_cached = null; // a nested frame on this thread gets its own
        try
        {
            writer.Begin(codec, output);
            writePayload(state, writer);
            return writer.Finish(output);
        }
        finally
        {
            writer.Reset();
            t_cached = writer;
        }
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_scratch is null)
        {
            if (count > Free)
            {
                throw new InvalidOperationException("Advanced past the end of the buffer.");
            }
        }
        else
        {
            _scratch.Advance(count);
        }

        _payload += count;
        if (_payload > _maxPayload)
        {
            // Fail as soon as the limit is passed: nothing has reached the output, and no more is buffered.
            throw _codec!.CreateTooLarge(_payload);
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_scratch is null)
        {
            var free = Free;
            if (free >= Math.Max(sizeHint, 1))
            {
                return _window.Slice(_headerLength + _payload, free);
            }

            MoveToScratch();
        }

        return _scratch!.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Room left for payload in the lent memory, the trailer's room kept back.</summary>
    private int Free => _window.Length - _headerLength - _trailerLength - _payload;

    private void Begin(FrameCodec codec, IBufferWriter<byte> output)
    {
        _codec = codec;
        _maxPayload = codec.MaxPayloadLength;
        _payload = 0;
        if (codec.TryGetLayout(out _headerLength, out _trailerLength))
        {
            var overhead = _headerLength + _trailerLength;
            var window = output.GetMemory(overhead + 1);
            if (window.Length < overhead + MinWindow)
            {
                // Nothing written yet, so asking again (which may replace that memory) loses nothing.
                window = output.GetMemory(overhead + WindowHint);
            }

            _window = window;
        }
        else
        {
            _scratch = PooledBufferWriter.Rent();
            t_scratchFrames++;
        }
    }

    private void MoveToScratch()
    {
        // The lent memory stays valid until the output is next asked for memory, so copy out of it first.
        _scratch = PooledBufferWriter.Rent();
        var written = _window.Span.Slice(_headerLength, _payload);
        written.CopyTo(_scratch.GetSpan(written.Length));
        _scratch.Advance(written.Length);
        _window = default;
        t_scratchFrames++;
    }

    private int Finish(IBufferWriter<byte> output)
    {
        if (_scratch is not null)
        {
            _codec!.WriteFrame(_scratch.WrittenSpan, output);
            return _payload;
        }

        var frame = _window.Span[..(_headerLength + _payload + _trailerLength)];
        _codec!.Complete(frame[.._headerLength], frame.Slice(_headerLength, _payload), frame[(_headerLength + _payload)..]);
        output.Advance(frame.Length);
        return _payload;
    }

    private void Reset()
    {
        if (_scratch is not null)
        {
            PooledBufferWriter.Return(_scratch);
            _scratch = null;
        }

        _window = default;
        _codec = null;
        _payload = 0;
    }
}
