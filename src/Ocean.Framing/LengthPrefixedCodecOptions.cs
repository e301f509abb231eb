namespace Ocean.Framing;

/// <summary>
/// Settings for <see cref="LengthPrefixedCodec"/>, named as in Netty's <c>LengthFieldBasedFrameDecoder</c>.
/// </summary>
/// <remarks>
/// <para>The decoder reads the length field at <see cref="LengthFieldOffset"/>, then takes the frame as</para>
/// <code>
/// frame length = LengthFieldOffset + length field size + (length field value + LengthAdjustment)
/// payload      = frame without its first InitialBytesToStrip bytes
/// </code>
/// <para>The default (offset 0, 4-byte big-endian length of the payload alone, strip the header):</para>
/// <code>
/// BEFORE (16 bytes)                        AFTER (12 bytes)
/// +------------+----------------+          +----------------+
/// | 0000000C   | "HELLO, OCEAN" |  ----->  | "HELLO, OCEAN" |
/// +------------+----------------+          +----------------+
/// </code>
/// <para>A length that counts its own 2-byte header (<c>LengthAdjustment = -2</c>), header kept (<c>InitialBytesToStrip = 0</c>):</para>
/// <code>
/// BEFORE (14 bytes)                        AFTER (14 bytes)
/// +--------+----------------+              +--------+----------------+
/// | 000E   | "HELLO, OCEAN" |  ----->      | 000E   | "HELLO, OCEAN" |
/// +--------+----------------+              +--------+----------------+
/// </code>
/// <para>A 2-byte header before the length (<c>LengthFieldOffset = 2</c>, <c>Prefix = FourBytes</c>), all of it stripped (<c>InitialBytesToStrip = 6</c>):</para>
/// <code>
/// BEFORE (18 bytes)                                 AFTER (12 bytes)
/// +----------+------------+----------------+        +----------------+
/// | CAFE     | 0000000C   | "HELLO, OCEAN" | -----> | "HELLO, OCEAN" |
/// +----------+------------+----------------+        +----------------+
/// </code>
/// <para>A varint prefix (Protocol Buffers' delimited messages): 300 bytes of payload are announced as <c>AC 02</c>.</para>
/// </remarks>
public sealed class LengthPrefixedCodecOptions
{
    private int _lengthFieldOffset;
    private int? _initialBytesToStrip;
    private int _maxFrameLength = 16 * 1024 * 1024;

    /// <summary>The length field's size and kind. Default <see cref="LengthPrefix.FourBytes"/>.</summary>
    public LengthPrefix Prefix { get; set; } = LengthPrefix.FourBytes;

    /// <summary>The byte order of a fixed-size length field. Default <see cref="ByteOrder.BigEndian"/>.</summary>
    public ByteOrder ByteOrder { get; set; } = ByteOrder.BigEndian;

    /// <summary>How many bytes come before the length field (decoding only; the encoder writes offset 0). Default 0.</summary>
    public int LengthFieldOffset
    {
        get => _lengthFieldOffset;
        set => _lengthFieldOffset = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must not be negative.");
    }

    /// <summary>Added to the length field's value to get the number of bytes after the field (negative when the length counts the header). Default 0.</summary>
    public int LengthAdjustment { get; set; }

    /// <summary>
    /// Bytes removed from the start of each decoded frame. Default <see langword="null"/>: the whole header
    /// (offset plus length field), so the frame is the payload alone.
    /// </summary>
    public int? InitialBytesToStrip
    {
        get => _initialBytesToStrip;
        set => _initialBytesToStrip = value is null or >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must not be negative.");
    }

    /// <summary>
    /// The largest frame, header included (default 16 MiB). A longer one is refused the moment its length
    /// field is read, before anything is allocated for it.
    /// </summary>
    public int MaxFrameLength
    {
        get => _maxFrameLength;
        set => _maxFrameLength = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// Raise <see cref="FramingError.FrameTooLarge"/> as soon as the length field is read (default
    /// <see langword="true"/>). When <see langword="false"/>, the decoder consumes the oversized frame's bytes
    /// as they arrive (returning no frame), and the call after the last of them raises it, so a caller that
    /// goes on reading stays in step with the stream. A <see cref="MessageConnection"/> makes that call at once
    /// (it does not wait for more bytes), and its <see cref="MessageConnectionOptions.FrameTimeout"/> runs while
    /// the frame is skipped, so a peer that announces a huge frame and drips it is still cut off.
    /// </summary>
    public bool FailFast { get; set; } = true;
}
