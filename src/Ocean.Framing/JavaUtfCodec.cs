using System.Buffers;
using System.Buffers.Binary;

namespace Ocean.Framing;

/// <summary>
/// Java's <c>DataOutputStream.writeUTF</c> / <c>DataInputStream.readUTF</c> framing: a 2-byte big-endian
/// length, then that many bytes of "modified UTF-8". Each frame is one string; Ocean's samples talk to the
/// classic Java TCPClient and TCPServer with it.
/// </summary>
/// <remarks>
/// <para>
/// Modified UTF-8 is not <see cref="System.Text.Encoding.UTF8"/>: U+0000 is written as <c>C0 80</c>, and a
/// character outside the BMP is written as its two UTF-16 surrogates, 3 bytes each (an emoji takes 6 bytes).
/// At most 65,535 encoded bytes fit one frame.
/// </para>
/// <para>
/// <see cref="ReadString(ReadOnlySpan{byte})"/> accepts exactly what Java's <c>readUTF</c> accepts, which is lenient: a raw
/// <c>00</c> byte, overlong forms (<c>C1 81</c> reads as "A") and lone surrogates; and it refuses what Java
/// refuses: lead bytes <c>80</c>–<c>BF</c> and <c>F0</c>–<c>FF</c> (so 4-byte UTF-8), a continuation byte
/// not of the form <c>10xxxxxx</c>, and a character cut by the end of the frame.
/// </para>
/// </remarks>
public sealed class JavaUtfCodec : FrameCodec
{
    /// <summary>The most encoded bytes one <c>writeUTF</c> frame can hold.</summary>
    public const int MaxEncodedLength = ushort.MaxValue;

    /// <summary>The codec (it has no settings).</summary>
    public static JavaUtfCodec Instance { get; } = new();

    /// <inheritdoc/>
    /// <remarks><see cref="MaxEncodedLength"/>: 65,535 bytes.</remarks>
    public override int MaxPayloadLength => MaxEncodedLength;

    /// <inheritdoc/>
    public override IFrameDecoder CreateDecoder() => new Decoder();

    /// <inheritdoc/>
    /// <exception cref="FramingException">The payload is longer than 65,535 bytes.</exception>
    public override void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (payload.Length > MaxEncodedLength)
        {
            ThrowTooLong(payload.Length);
        }

        var span = output.GetSpan(2 + payload.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)payload.Length);
        payload.CopyTo(span[2..]);
        output.Advance(2 + payload.Length);
    }

    /// <inheritdoc/>
    private protected override bool TryGetFrameLayout(out int headerLength, out int trailerLength)
    {
        // The 2-byte length is back-filled once the payload is written.
        headerLength = 2;
        trailerLength = 0;
        return true;
    }

    /// <inheritdoc/>
    private protected override void CompleteFrame(Span<byte> header, ReadOnlySpan<byte> payload, Span<byte> trailer) =>
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)payload.Length); // the length was bounded while it was written

    /// <inheritdoc/>
    private protected override FramingException TooLarge(long payloadLength) =>
        new(FramingError.FrameTooLarge, $"The string encodes to {payloadLength} bytes; writeUTF allows at most {MaxEncodedLength}.");

    /// <summary>Writes <paramref name="text"/> as <c>writeUTF</c> does: length, then modified UTF-8.</summary>
    /// <param name="text">The string.</param>
    /// <param name="output">Where the frame goes.</param>
    /// <exception cref="FramingException">The string encodes to more than 65,535 bytes (Java throws <c>UTFDataFormatException</c>); nothing is written.</exception>
    public static void WriteString(string text, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(output);
        var length = GetByteCount(text);
        if (length > MaxEncodedLength)
        {
            ThrowTooLong(length);
        }

        var span = output.GetSpan(2 + (int)length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)length);
        var position = 2;
        foreach (var c in text)
        {
            if (c is >= '\u0001' and <= '\u007F')
            {
                span[position++] = (byte)c;
            }
            else if (c > '\u07FF')
            {
                span[position++] = (byte)(0xE0 | ((c >> 12) & 0x0F));
                span[position++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                span[position++] = (byte)(0x80 | (c & 0x3F));
            }
            else
            {
                span[position++] = (byte)(0xC0 | ((c >> 6) & 0x1F));
                span[position++] = (byte)(0x80 | (c & 0x3F));
            }
        }

        output.Advance(position);
    }

    /// <summary>The number of modified UTF-8 bytes <paramref name="text"/> encodes to (without the 2-byte length).</summary>
    /// <param name="text">The string.</param>
    /// <returns>The byte count, which may exceed what one frame can hold.</returns>
    public static long GetByteCount(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        long length = 0;
        foreach (var c in text)
        {
            length += c is >= '\u0001' and <= '\u007F' ? 1 : c > '\u07FF' ? 3 : 2;
        }

        return length;
    }

    /// <summary>Decodes a frame's modified UTF-8 bytes exactly as Java's <c>readUTF</c> does.</summary>
    /// <param name="frame">The bytes after the length (what the decoder returns).</param>
    /// <returns>The string.</returns>
    /// <exception cref="FramingException">Bytes Java refuses (<see cref="FramingError.MalformedText"/>).</exception>
    public static string ReadString(in ReadOnlySequence<byte> frame)
    {
        if (frame.IsSingleSegment)
        {
            return ReadString(frame.FirstSpan);
        }

        var length = checked((int)frame.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(rented);
            return ReadString(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes modified UTF-8 bytes exactly as Java's <c>readUTF</c> does.</summary>
    /// <param name="bytes">The bytes after the length.</param>
    /// <returns>The string.</returns>
    /// <exception cref="FramingException">Bytes Java refuses (<see cref="FramingError.MalformedText"/>).</exception>
    public static string ReadString(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxEncodedLength)
        {
            ThrowTooLong(bytes.Length);
        }

        // Never more chars than bytes; one frame is at most 64 KiB.
        var chars = bytes.Length <= 512 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        var count = 0;
        var i = 0;
        while (i < bytes.Length)
        {
            int c = bytes[i];
            switch (c >> 4)
            {
                case <= 7:
                    chars[count++] = (char)c;
                    i++;
                    break;
                case 12 or 13:
                    if (i + 2 > bytes.Length)
                    {
                        ThrowMalformed("partial character at end", i);
                    }

                    int c2 = bytes[i + 1];
                    if ((c2 & 0xC0) != 0x80)
                    {
                        ThrowMalformed("bad continuation byte", i + 1);
                    }

                    chars[count++] = (char)(((c & 0x1F) << 6) | (c2 & 0x3F));
                    i += 2;
                    break;
                case 14:
                    if (i + 3 > bytes.Length)
                    {
                        ThrowMalformed("partial character at end", i);
                    }

                    int b2 = bytes[i + 1], b3 = bytes[i + 2];
                    if ((b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80)
                    {
                        ThrowMalformed("bad continuation byte", i + 1);
                    }

                    chars[count++] = (char)(((c & 0x0F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F));
                    i += 3;
                    break;
                default:
                    ThrowMalformed($"byte 0x{c:X2} cannot start a character", i);
                    break;
            }
        }

        return new string(chars[..count]);
    }

    private static void ThrowTooLong(long length) =>
        throw new FramingException(FramingError.FrameTooLarge, $"The string encodes to {length} bytes; writeUTF allows at most {MaxEncodedLength}.");

    private static void ThrowMalformed(string what, int position) =>
        throw new FramingException(FramingError.MalformedText, $"Malformed modified UTF-8 at byte {position}: {what}.");

    /// <summary>The decoder: a 2-byte big-endian length, then the bytes.</summary>
    internal sealed class Decoder : IFrameDecoder
    {
        public void Reset()
        {
        }

        public bool TryReadFrame(in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            frame = default;
            if (input.Length >= 2)
            {
                Span<byte> header = stackalloc byte[2];
                input.Slice(0, 2).CopyTo(header);
                var length = BinaryPrimitives.ReadUInt16BigEndian(header);
                if (input.Length >= 2 + length)
                {
                    frame = input.Slice(2, length);
                    consumed = input.GetPosition(2 + length);
                    examined = consumed;
                    return true;
                }
            }

            consumed = input.Start;
            examined = input.End;
            return false;
        }
    }
}
