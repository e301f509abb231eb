using System.Text;
using System.Buffers;

namespace Ocean.Framing;

/// <summary>
/// Lines of text: each frame is the bytes before an LF (a CR before the LF is dropped too), or strictly
/// before a CR LF. Compatible with netcat, telnet and Pharo's SocketStream (<c>sendCommand:</c> writes
/// CR LF, <c>nextLineLf</c> reads to LF).
/// </summary>
/// <remarks>
/// The decoder remembers how far it has scanned, so bytes are examined once however the line arrives; a
/// line longer than <see cref="LineCodecOptions.MaxLineLength"/> is refused as soon as that is known.
/// </remarks>
public sealed class LineCodec : FrameCodec
{
    private readonly LineCodecOptions _options;

    /// <summary>Creates a line codec.</summary>
    /// <param name="options">Terminator, strictness, maximum length and encoding; <see langword="null"/> for the defaults.</param>
    public LineCodec(LineCodecOptions? options = null)
    {
        _options = options ?? new LineCodecOptions();
    }

    /// <summary>The settings this codec uses.</summary>
    public LineCodecOptions Options => _options;

    /// <inheritdoc/>
    /// <remarks>The <see cref="LineCodecOptions.MaxLineLength"/>, the terminator not counted.</remarks>
    public override int MaxPayloadLength => _options.MaxLineLength;

    /// <inheritdoc/>
    public override IFrameDecoder CreateDecoder() => new LineDecoder(_options.MaxLineLength, _options.StrictCrLf);

    /// <inheritdoc/>
    /// <exception cref="FramingException">The payload contains CR or LF, or is longer than the maximum line length.</exception>
    public override void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (payload.Length > _options.MaxLineLength)
        {
            throw new FramingException(FramingError.LineTooLong, $"A line of {payload.Length} bytes is longer than the maximum of {_options.MaxLineLength}.");
        }

        if (payload.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new FramingException(FramingError.InvalidLineEnding, "A line to write must not contain CR or LF.");
        }

        var terminatorLength = _options.Terminator == LineTerminator.CrLf ? 2 : 1;
        var span = output.GetSpan(payload.Length + terminatorLength);
        payload.CopyTo(span);
        if (terminatorLength == 2)
        {
            span[payload.Length] = (byte)'\r';
        }

        span[payload.Length + terminatorLength - 1] = (byte)'\n';
        output.Advance(payload.Length + terminatorLength);
    }

    /// <inheritdoc/>
    private protected override bool TryGetFrameLayout(out int headerLength, out int trailerLength)
    {
        headerLength = 0;
        trailerLength = _options.Terminator == LineTerminator.CrLf ? 2 : 1;
        return true;
    }

    /// <inheritdoc/>
    private protected override void CompleteFrame(Span<byte> header, ReadOnlySpan<byte> payload, Span<byte> trailer)
    {
        if (payload.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new FramingException(FramingError.InvalidLineEnding, "A line to write must not contain CR or LF.");
        }

        if (trailer.Length == 2)
        {
            trailer[0] = (byte)'\r';
        }

        trailer[^1] = (byte)'\n';
    }

    /// <inheritdoc/>
    private protected override FramingException TooLarge(long payloadLength) =>
        new(FramingError.LineTooLong, $"A line of {payloadLength} bytes is longer than the maximum of {_options.MaxLineLength}.");

    /// <summary>Writes <paramref name="line"/> in the configured encoding, followed by the terminator.</summary>
    /// <param name="line">The text, without line terminator.</param>
    /// <param name="output">Where the line goes.</param>
    /// <exception cref="FramingException">The text contains CR or LF, or encodes to more than the maximum line length.</exception>
    public void WriteLine(string line, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(output);
        var encoding = _options.Encoding;
        var byteCount = encoding.GetByteCount(line);
        if (byteCount <= 1024)
        {
            Span<byte> bytes = stackalloc byte[byteCount];
            encoding.GetBytes(line, bytes);
            WriteFrame(bytes, output);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var written = encoding.GetBytes(line, rented);
            WriteFrame(rented.AsSpan(0, written), output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes a frame found by this codec's decoder as text in the configured encoding.</summary>
    /// <param name="frame">The line, without terminator.</param>
    /// <returns>The text; bytes invalid in the encoding become U+FFFD (or '?' for ASCII).</returns>
    public string GetString(in ReadOnlySequence<byte> frame) => _options.Encoding.GetString(frame);

    /// <summary>The decoder: scans once for the terminator, remembering where it stopped.</summary>
    internal sealed class LineDecoder(int maxLineLength, bool strict) : IFrameDecoder
    {
        private long _scanned;

        public void Reset() => _scanned = 0;

        public bool TryReadFrame(in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            var reader = new SequenceReader<byte>(input);
            reader.Advance(_scanned);
            return strict
                ? TryReadStrict(ref reader, input, out frame, out consumed, out examined)
                : TryReadLenient(ref reader, input, out frame, out consumed, out examined);
        }

        private bool TryReadLenient(ref SequenceReader<byte> reader, in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            if (!reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: false))
            {
                _scanned = input.Length;

                // maxLineLength bytes then a CR may still end as a valid line (the CR is dropped before the LF);
                // any other byte past the maximum makes the line too long at once.
                if (_scanned > maxLineLength && (_scanned > (long)maxLineLength + 1 || LastByte(input) != (byte)'\r'))
                {
                    ThrowTooLong(_scanned);
                }

                return NeedMore(input, out frame, out consumed, out examined);
            }

            var contentLength = reader.Consumed;
            var line = input.Slice(0, contentLength);
            if (contentLength > 0 && LastByte(line) == (byte)'\r')
            {
                line = line.Slice(0, contentLength - 1);
            }

            if (line.Length > maxLineLength)
            {
                ThrowTooLong(line.Length);
            }

            return Found(input, line, contentLength + 1, out frame, out consumed, out examined);
        }

        private bool TryReadStrict(ref SequenceReader<byte> reader, in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            if (!reader.TryAdvanceToAny("\r\n"u8, advancePastDelimiter: false))
            {
                _scanned = input.Length;
                if (_scanned > maxLineLength)
                {
                    ThrowTooLong(_scanned);
                }

                return NeedMore(input, out frame, out consumed, out examined);
            }

            reader.TryPeek(out var found);
            if (found == (byte)'\n')
            {
                throw new FramingException(FramingError.InvalidLineEnding, $"A lone LF at byte {reader.Consumed} of the line; strict mode accepts only CR LF.");
            }

            if (!reader.TryPeek(1, out var next))
            {
                // A CR at the end of what has arrived: look at it again when the next byte comes.
                _scanned = reader.Consumed;
                if (_scanned > maxLineLength)
                {
                    ThrowTooLong(_scanned);
                }

                return NeedMore(input, out frame, out consumed, out examined);
            }

            if (next != (byte)'\n')
            {
                throw new FramingException(FramingError.InvalidLineEnding, $"A lone CR at byte {reader.Consumed} of the line; strict mode accepts only CR LF.");
            }

            var contentLength = reader.Consumed;
            if (contentLength > maxLineLength)
            {
                ThrowTooLong(contentLength);
            }

            return Found(input, input.Slice(0, contentLength), contentLength + 2, out frame, out consumed, out examined);
        }

        private bool Found(in ReadOnlySequence<byte> input, in ReadOnlySequence<byte> line, long frameLength, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            _scanned = 0;
            frame = line;
            consumed = input.GetPosition(frameLength);
            examined = consumed;
            return true;
        }

        private static bool NeedMore(in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            frame = default;
            consumed = input.Start;
            examined = input.End;
            return false;
        }

        private static byte LastByte(in ReadOnlySequence<byte> sequence) =>
            sequence.IsSingleSegment ? sequence.FirstSpan[^1] : sequence.Slice(sequence.Length - 1).FirstSpan[0];

        private void ThrowTooLong(long length)
        {
            _scanned = 0;
            throw new FramingException(FramingError.LineTooLong, $"A line of at least {length} bytes is longer than the maximum of {maxLineLength}.");
        }
    }
}
