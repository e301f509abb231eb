using System.Buffers;
using System.Buffers.Binary;

namespace Ocean.Framing;

/// <summary>
/// Frames with a length prefix: 1, 2, 4 or 8 bytes in either byte order, or an unsigned LEB128 varint,
/// with Netty's offset, adjustment and strip options (see <see cref="LengthPrefixedCodecOptions"/>).
/// Zero-length frames are allowed.
/// </summary>
/// <remarks>
/// Negative, overflowing and over-maximum lengths are refused with <see cref="FramingException"/> the moment
/// the length field is read, before anything is allocated for the frame. Decoding and encoding allocate nothing.
/// </remarks>
public sealed class LengthPrefixedCodec : FrameCodec
{
    private const int MaxVarintBytes = 5;
    private readonly LengthPrefixedCodecOptions _options;

    /// <summary>Creates a length-prefixed codec.</summary>
    /// <param name="options">Prefix, byte order, Netty-style options and maximum; <see langword="null"/> for a 4-byte big-endian length of the payload.</param>
    public LengthPrefixedCodec(LengthPrefixedCodecOptions? options = null)
    {
        _options = options ?? new LengthPrefixedCodecOptions();
        if (_options.Prefix is not (LengthPrefix.Varint or LengthPrefix.OneByte or LengthPrefix.TwoBytes or LengthPrefix.FourBytes or LengthPrefix.EightBytes))
        {
            throw new ArgumentException($"Unknown prefix {_options.Prefix}.", nameof(options));
        }
    }

    /// <summary>The settings this codec uses.</summary>
    public LengthPrefixedCodecOptions Options => _options;

    /// <inheritdoc/>
    public override IFrameDecoder CreateDecoder() => new Decoder(_options);

    /// <inheritdoc/>
    /// <exception cref="FramingException">The frame would exceed the maximum frame length or what the length field can hold.</exception>
    /// <exception cref="NotSupportedException">The codec has a non-zero <see cref="LengthPrefixedCodecOptions.LengthFieldOffset"/>: it decodes such frames but does not know what to write before the length.</exception>
    public override void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var value = FieldValue(payload.Length);
        var headerLength = _options.Prefix == LengthPrefix.Varint ? VarintLength(value) : (int)_options.Prefix;
        var span = output.GetSpan(headerLength + payload.Length);
        WriteField(span, value);
        payload.CopyTo(span[headerLength..]);
        output.Advance(headerLength + payload.Length);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The largest payload whose frame, header included, fits <see cref="LengthPrefixedCodecOptions.MaxFrameLength"/>
    /// and whose length (less <see cref="LengthPrefixedCodecOptions.LengthAdjustment"/>) the length field can hold.
    /// </remarks>
    public override int MaxPayloadLength
    {
        get
        {
            long fieldMax = FieldMax(_options.Prefix);
            var headerBytes = _options.Prefix == LengthPrefix.Varint ? 1 : (int)_options.Prefix;
            var max = Math.Min((long)_options.MaxFrameLength - _options.LengthFieldOffset - headerBytes, fieldMax + _options.LengthAdjustment);
            if (_options.Prefix == LengthPrefix.Varint)
            {
                // A varint's own length depends on the value: shrink until the frame fits.
                while (max > 0 && _options.LengthFieldOffset + VarintLength(Math.Max(0, max - _options.LengthAdjustment)) + max > _options.MaxFrameLength)
                {
                    max--;
                }
            }

            return (int)Math.Clamp(max, 0, int.MaxValue);
        }
    }

    /// <inheritdoc/>
    private protected override bool TryGetFrameLayout(out int headerLength, out int trailerLength)
    {
        // A fixed-size length is back-filled once the payload is written; a varint's size depends on the length.
        headerLength = (int)_options.Prefix;
        trailerLength = 0;
        return _options.Prefix != LengthPrefix.Varint && _options.LengthFieldOffset == 0;
    }

    /// <inheritdoc/>
    private protected override void CompleteFrame(Span<byte> header, ReadOnlySpan<byte> payload, Span<byte> trailer) =>
        WriteField(header, FieldValue(payload.Length));

    private static long FieldMax(LengthPrefix prefix) => prefix switch
    {
        LengthPrefix.OneByte => byte.MaxValue,
        LengthPrefix.TwoBytes => ushort.MaxValue,
        LengthPrefix.FourBytes => int.MaxValue,
        LengthPrefix.Varint => uint.MaxValue,
        _ => long.MaxValue,
    };

    /// <summary>The length field's value for a payload, checked against the field's range and the maximum.</summary>
    private long FieldValue(int payloadLength)
    {
        if (_options.LengthFieldOffset != 0)
        {
            throw new NotSupportedException("Encoding with a non-zero LengthFieldOffset is not supported: the codec cannot know what goes before the length.");
        }

        var value = (long)payloadLength - _options.LengthAdjustment;
        var fieldMax = FieldMax(_options.Prefix);
        if (value < 0 || value > fieldMax)
        {
            throw new FramingException(FramingError.FrameTooLarge, $"A payload of {payloadLength} bytes cannot be announced by a {_options.Prefix} length field (value {value}).");
        }

        var headerLength = _options.Prefix == LengthPrefix.Varint ? VarintLength(value) : (int)_options.Prefix;
        if ((long)headerLength + payloadLength > _options.MaxFrameLength)
        {
            throw new FramingException(FramingError.FrameTooLarge, $"A frame of {headerLength + (long)payloadLength} bytes is larger than the maximum of {_options.MaxFrameLength}.");
        }

        return value;
    }

    private void WriteField(Span<byte> destination, long value)
    {
        var big = _options.ByteOrder == ByteOrder.BigEndian;
        switch (_options.Prefix)
        {
            case LengthPrefix.OneByte:
                destination[0] = (byte)value;
                break;
            case LengthPrefix.TwoBytes:
                if (big)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)value);
                }

                break;
            case LengthPrefix.FourBytes:
                if (big)
                {
                    BinaryPrimitives.WriteInt32BigEndian(destination, (int)value);
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(destination, (int)value);
                }

                break;
            case LengthPrefix.EightBytes:
                if (big)
                {
                    BinaryPrimitives.WriteInt64BigEndian(destination, value);
                }
                else
                {
                    BinaryPrimitives.WriteInt64LittleEndian(destination, value);
                }

                break;
            default:
                var remaining = (ulong)value;
                var i = 0;
                while (remaining >= 0x80)
                {
                    destination[i++] = (byte)(remaining | 0x80);
                    remaining >>= 7;
                }

                destination[i] = (byte)remaining;
                break;
        }
    }

    private static int VarintLength(long value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>The decoder: reads the header, checks the length at once, then waits for the whole frame.</summary>
    internal sealed class Decoder(LengthPrefixedCodecOptions options) : IFrameDecoder
    {
        private readonly LengthPrefix _prefix = options.Prefix;
        private readonly bool _bigEndian = options.ByteOrder == ByteOrder.BigEndian;
        private readonly int _offset = options.LengthFieldOffset;
        private readonly int _adjustment = options.LengthAdjustment;
        private readonly int? _strip = options.InitialBytesToStrip;
        private readonly int _max = options.MaxFrameLength;
        private readonly bool _failFast = options.FailFast;
        private long _bytesToDiscard;
        private long _discardedFrameLength;
        private bool _skipCompleted;

        /// <summary>Whether an oversized frame is being skipped (with <c>FailFast = false</c>): a frame is in progress.</summary>
        public bool IsDiscarding => _bytesToDiscard > 0;

        public void Reset()
        {
            _bytesToDiscard = 0;
            _discardedFrameLength = 0;
            _skipCompleted = false;
        }

        public bool TryReadFrame(in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            frame = default;
            if (_skipCompleted)
            {
                // The previous call consumed the rest of an oversized frame; report it before decoding on.
                _skipCompleted = false;
                throw new FramingException(FramingError.FrameTooLarge, $"A frame of {_discardedFrameLength} bytes, larger than the maximum of {_max}, was skipped.");
            }

            if (_bytesToDiscard > 0)
            {
                return Discard(input, out consumed, out examined);
            }

            if (!TryReadLength(input, out var value, out var fieldLength))
            {
                consumed = input.Start;
                examined = input.End;
                return false;
            }

            var headerLength = _offset + fieldLength;
            long frameLength;
            try
            {
                frameLength = checked(headerLength + value + _adjustment);
            }
            catch (OverflowException)
            {
                throw new FramingException(FramingError.LengthOverflow, $"The length {value} with adjustment {_adjustment} overflows.");
            }

            if (frameLength < headerLength)
            {
                throw new FramingException(FramingError.NegativeLength, $"The length {value} with adjustment {_adjustment} gives a frame of {frameLength} bytes, shorter than its {headerLength}-byte header.");
            }

            if (frameLength > _max)
            {
                if (_failFast)
                {
                    throw new FramingException(FramingError.FrameTooLarge, $"A frame of {frameLength} bytes is larger than the maximum of {_max}.");
                }

                _bytesToDiscard = frameLength;
                _discardedFrameLength = frameLength;
                return Discard(input, out consumed, out examined);
            }

            var strip = _strip ?? headerLength;
            if (strip > frameLength)
            {
                throw new FramingException(FramingError.NegativeLength, $"A frame of {frameLength} bytes is shorter than the {strip} bytes to strip.");
            }

            if (input.Length < frameLength)
            {
                consumed = input.Start;
                examined = input.End;
                return false;
            }

            frame = input.Slice(strip, frameLength - strip);
            consumed = input.GetPosition(frameLength);
            examined = consumed;
            return true;
        }

        private bool Discard(in ReadOnlySequence<byte> input, out SequencePosition consumed, out SequencePosition examined)
        {
            // Skipped bytes are consumed as they arrive; once the whole frame is skipped, the next call raises.
            var skip = Math.Min(_bytesToDiscard, input.Length);
            _bytesToDiscard -= skip;
            consumed = input.GetPosition(skip);
            examined = _bytesToDiscard == 0 ? consumed : input.End;
            _skipCompleted = _bytesToDiscard == 0;
            return false;
        }

        /// <summary>Reads the length field, if all of it has arrived; throws for negative or malformed fields.</summary>
        private bool TryReadLength(in ReadOnlySequence<byte> input, out long value, out int fieldLength)
        {
            value = 0;
            if (_prefix == LengthPrefix.Varint)
            {
                return TryReadVarint(input, out value, out fieldLength);
            }

            fieldLength = (int)_prefix;
            Span<byte> copy = stackalloc byte[8];
            scoped ReadOnlySpan<byte> field;
            var first = input.FirstSpan;
            if (first.Length >= _offset + fieldLength)
            {
                field = first.Slice(_offset, fieldLength); // the common case: the header sits in the first segment
            }
            else
            {
                if (input.Length < _offset + fieldLength)
                {
                    return false;
                }

                input.Slice(_offset, fieldLength).CopyTo(copy);
                field = copy[..fieldLength];
            }

            value = _prefix switch
            {
                LengthPrefix.OneByte => field[0],
                LengthPrefix.TwoBytes => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(field) : BinaryPrimitives.ReadUInt16LittleEndian(field),
                LengthPrefix.FourBytes => _bigEndian ? BinaryPrimitives.ReadInt32BigEndian(field) : BinaryPrimitives.ReadInt32LittleEndian(field),
                _ => _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(field) : BinaryPrimitives.ReadInt64LittleEndian(field),
            };
            if (value < 0)
            {
                throw new FramingException(FramingError.NegativeLength, $"The length field holds the negative value {value}.");
            }

            return true;
        }

        private bool TryReadVarint(in ReadOnlySequence<byte> input, out long value, out int fieldLength)
        {
            value = 0;
            fieldLength = 0;
            if (input.Length <= _offset)
            {
                return false;
            }

            var reader = new SequenceReader<byte>(input);
            reader.Advance(_offset);
            var shift = 0;
            while (reader.TryRead(out var b))
            {
                fieldLength++;
                if (fieldLength == MaxVarintBytes && b > 0x0F)
                {
                    // A fifth byte may carry only the top 4 bits of a 32-bit value.
                    throw new FramingException(b >= 0x80 ? FramingError.MalformedLength : FramingError.LengthOverflow, "The varint length does not fit in 32 bits.");
                }

                value |= (long)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }

                shift += 7;
            }

            return false;
        }
    }
}
