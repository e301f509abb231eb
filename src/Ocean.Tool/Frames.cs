using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Tool;

/// <summary>How frames are cut (<c>--framing</c>, <c>--prefix</c>, <c>--little-endian</c>), shown (<c>--hex</c>, <c>--both</c>) and typed.</summary>
internal sealed class FrameSettings
{
    public static readonly string[] Flags = ["--udp", "--little-endian", "--hex", "--both"];

    public static readonly string[] Valued = ["--framing", "--prefix", "--length-offset", "--length-adjustment", "--strip"];

    public const string Help = """
          --udp                 UDP: each datagram is one frame (no --framing)
          --framing KIND        raw | line (LF, the default) | crlf | length | utf (Java writeUTF)
                                raw: no frames, each read from the socket is printed as it comes
                                line and crlf accept both LF and CR LF; they differ in what is sent
          --prefix SIZE         with --framing length: 1 | 2 | 4 (the default) | 8 | varint
          --little-endian       with --framing length: the length is little-endian (big-endian by default)
          --length-offset N     with --framing length: N bytes come before the length field (default 0)
          --length-adjustment N with --framing length: added to the length field to get the bytes after it
                                (default 0; -2 when a 2-byte length counts itself)
          --strip N             with --framing length: bytes removed from the front of each frame received
                                (default: the whole header, offset and length field; 0 keeps it)
                                With --length-offset or --strip other than the whole header, frames sent are
                                given whole (header and length included, best with --hex) and checked to be
                                exactly one frame; otherwise the length is written for you.
          --hex                 print frames as hex bytes ("68 69"); input frames are hex too
          --both                print frames as hex, then " | ", then text
        """;

    public bool Udp { get; private init; }

    /// <summary>The codec, or null for raw bytes (and for UDP, whose datagrams are the frames).</summary>
    public FrameCodec? Codec { get; private init; }

    public bool Utf { get; private init; }

    public bool Hex { get; private init; }

    public bool Both { get; private init; }

    /// <summary>
    /// Frames sent are given whole (a length-prefixed frame with its header, as on the wire) and sent as they are,
    /// once checked to be exactly one frame: with a length offset, or a strip that keeps part of the header.
    /// </summary>
    public bool WholeFrames { get; private init; }

    /// <summary>Whether a received frame, sent back as it is, is a frame again (false when --strip drops bytes <see cref="WholeFrames"/> needs).</summary>
    public bool CanEcho { get; private init; } = true;

    public static FrameSettings From(CommandLine line)
    {
        var udp = line.Flag("--udp");
        var framing = line.Get("--framing");
        var prefix = line.Get("--prefix");
        var little = line.Flag("--little-endian");
        var offset = line.Get("--length-offset");
        var adjustment = line.Get("--length-adjustment");
        var strip = line.Get("--strip");
        if (line.Flag("--hex") && line.Flag("--both"))
        {
            throw new UsageException("--hex and --both cannot be used together");
        }

        if (udp && framing is not null)
        {
            throw new UsageException("--framing does not apply to --udp: each datagram is one frame");
        }

        framing ??= udp ? "raw" : "line";
        if (framing != "length" && (prefix is not null || little))
        {
            throw new UsageException("--prefix and --little-endian apply only to --framing length");
        }

        if (framing != "length" && (offset is not null || adjustment is not null || strip is not null))
        {
            throw new UsageException("--length-offset, --length-adjustment and --strip apply only to --framing length");
        }

        var whole = false;
        var canEcho = true;
        FrameCodec? codec = framing switch
        {
            "raw" => null,
            "line" => new LineCodec(new LineCodecOptions { Terminator = LineTerminator.Lf }),
            "crlf" => new LineCodec(new LineCodecOptions { Terminator = LineTerminator.CrLf }),
            "utf" => JavaUtfCodec.Instance,
            "length" => LengthCodec(prefix, little, offset, adjustment, strip, out whole, out canEcho),
            _ => throw new UsageException($"--framing must be raw, line, crlf, length or utf, not '{framing}'"),
        };

        return new FrameSettings
        {
            Udp = udp,
            Codec = codec,
            Utf = framing == "utf",
            Hex = line.Flag("--hex"),
            Both = line.Flag("--both"),
            WholeFrames = whole,
            CanEcho = canEcho,
        };
    }

    /// <summary>Datagrams (multicast): no framing, shown as text, hex or both.</summary>
    public static FrameSettings ForDatagrams(bool hex, bool both) =>
        hex && both ? throw new UsageException("--hex and --both cannot be used together") : new FrameSettings { Udp = true, Hex = hex, Both = both };

    /// <summary>The length-prefixed codec of --prefix, --little-endian and the Netty-style options, checked by the codec's own rules.</summary>
    private static FrameCodec LengthCodec(string? prefix, bool little, string? offset, string? adjustment, string? strip, out bool whole, out bool canEcho)
    {
        var options = new LengthPrefixedCodecOptions
        {
            Prefix = (prefix ?? "4") switch
            {
                "1" => LengthPrefix.OneByte,
                "2" => LengthPrefix.TwoBytes,
                "4" => LengthPrefix.FourBytes,
                "8" => LengthPrefix.EightBytes,
                "varint" => LengthPrefix.Varint,
                _ => throw new UsageException($"--prefix must be 1, 2, 4, 8 or varint, not '{prefix}'"),
            },
            ByteOrder = little ? ByteOrder.LittleEndian : ByteOrder.BigEndian,
        };

        Apply("--length-offset", offset, value => options.LengthFieldOffset = value);
        Apply("--length-adjustment", adjustment, value => options.LengthAdjustment = value);
        Apply("--strip", strip, value => options.InitialBytesToStrip = value);

        var fieldBytes = options.Prefix == LengthPrefix.Varint ? 1 : (int)options.Prefix;
        if ((long)options.LengthFieldOffset + fieldBytes > options.MaxFrameLength)
        {
            throw new UsageException($"--length-offset {options.LengthFieldOffset} leaves no room for the length field within the largest frame ({options.MaxFrameLength} bytes)");
        }

        if (options.InitialBytesToStrip > options.MaxFrameLength)
        {
            throw new UsageException($"--strip {options.InitialBytesToStrip} is more than the largest frame ({options.MaxFrameLength} bytes)");
        }

        // The codec writes the length itself when nothing comes before it and receivers strip exactly the header, so
        // what is printed is what is sent. Otherwise frames are sent whole, and sent back whole only if kept whole.
        var headerStripped = options.InitialBytesToStrip is null
            || (options.Prefix != LengthPrefix.Varint && options.InitialBytesToStrip == options.LengthFieldOffset + fieldBytes);
        if (headerStripped && options.LengthFieldOffset == 0)
        {
            options.InitialBytesToStrip = null;
            whole = false;
            canEcho = true;
        }
        else
        {
            whole = true;
            canEcho = options.InitialBytesToStrip == 0;
        }

        var codec = new LengthPrefixedCodec(options);
        return whole ? new WholeFrameCodec(codec) : codec;
    }

    private static void Apply(string name, string? text, Action<int> set)
    {
        if (text is null)
        {
            return;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new UsageException($"{name} must be a whole number, not '{text}'");
        }

        try
        {
            set(value);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            // The codec's own rule ("Must not be negative."), without the parameter name the exception adds.
            var rule = ex.Message.Split(" (Parameter", 2)[0].TrimEnd('.');
            throw new UsageException($"{name} {text}: {char.ToLowerInvariant(rule[0])}{rule[1..]}");
        }
    }

    /// <summary>One frame as one line of output.</summary>
    public string Format(ReadOnlySpan<byte> frame)
    {
        if (Hex)
        {
            return ToHex(frame);
        }

        var text = Escape(Utf ? JavaUtfCodec.ReadString(new ReadOnlySequence<byte>(frame.ToArray())) : Encoding.UTF8.GetString(frame));
        return Both ? ToHex(frame) + " | " + text : text;
    }

    /// <summary>What the user typed or gave with --send, as the frame's payload.</summary>
    public byte[] Parse(string input)
    {
        if (Hex)
        {
            var hex = FromHex(input);
            Check(hex, input);
            return hex;
        }

        if (Utf)
        {
            var writer = new ArrayBufferWriter<byte>();
            JavaUtfCodec.WriteString(input, writer);
            return writer.WrittenSpan[2..].ToArray();
        }

        var bytes = Encoding.UTF8.GetBytes(input);
        Check(bytes, input);
        return bytes;
    }

    /// <summary>A length-prefixed frame must be one the codec can send: a whole frame, or a payload its length field can announce.</summary>
    private void Check(byte[] frame, string input)
    {
        if (Codec is not (LengthPrefixedCodec or WholeFrameCodec))
        {
            return;
        }

        try
        {
            Codec.WriteFrame(frame, new ArrayBufferWriter<byte>());
        }
        catch (FramingException ex)
        {
            throw new UsageException($"'{input}' cannot be sent: {ex.Message}");
        }
    }

    public static string ToHex(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>Hex bytes; spaces, colons and dashes between them are ignored ("68 69", "68:69", "6869").</summary>
    public static byte[] FromHex(string text)
    {
        var digits = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiHexDigit(c))
            {
                digits.Append(c);
            }
            else if (c is not (' ' or '\t' or ':' or '-'))
            {
                throw new UsageException($"'{text}' is not hex bytes (such as \"68 69\")");
            }
        }

        return digits.Length % 2 == 0
            ? Convert.FromHexString(digits.ToString())
            : throw new UsageException($"'{text}' has an odd number of hex digits");
    }

    /// <summary>Control characters would break the one-line-per-frame output: CR, LF and the others are written as escapes.</summary>
    private static string Escape(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = c switch
            {
                '\r' => builder.Append("\\r"),
                '\n' => builder.Append("\\n"),
                '\t' => builder.Append('\t'),
                '\\' => builder.Append('\\'),
                _ when char.IsControl(c) => builder.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }
}

/// <summary>
/// Length-prefixed frames sent whole: the frame given is checked to be exactly one frame by the decoder's rules
/// (header, length field, adjustment) and written as it is. Received frames are decoded by the codec, stripped as it says.
/// </summary>
internal sealed class WholeFrameCodec(LengthPrefixedCodec codec) : FrameCodec
{
    public override int MaxPayloadLength => codec.Options.MaxFrameLength;

    public override IFrameDecoder CreateDecoder() => codec.CreateDecoder();

    public override void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var decoder = codec.CreateDecoder();
        var input = new ReadOnlySequence<byte>(payload.ToArray());
        if (!decoder.TryReadFrame(input, out _, out var consumed, out _))
        {
            throw new FramingException(FramingError.TruncatedFrame, $"{payload.Length} bytes are not a whole frame: its header or the length it announces goes beyond them.");
        }

        var length = input.Slice(0, consumed).Length;
        if (length != payload.Length)
        {
            throw new FramingException(FramingError.NegativeLength, $"The length field announces a frame of {length} bytes, not {payload.Length}.");
        }

        output.Write(payload);
    }
}

/// <summary>Frames both ways over a message connection or, for raw TCP, over the connection's own bytes.</summary>
internal abstract class FrameChannel : IAsyncDisposable
{
    /// <summary>The next frame, or null when the peer has closed.</summary>
    public abstract ValueTask<byte[]?> ReceiveAsync(CancellationToken cancellationToken);

    public abstract ValueTask SendAsync(byte[] frame, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public static FrameChannel Over(MessageConnection connection) => new Messages(connection);

    public static FrameChannel Raw(Connection connection) => new RawBytes(connection);

    private sealed class Messages(MessageConnection connection) : FrameChannel
    {
        public override async ValueTask<byte[]?> ReceiveAsync(CancellationToken cancellationToken)
        {
            var result = await connection.ReceiveAsync(cancellationToken);
            return result.IsCompleted ? null : result.Message.ToArray();
        }

        public override ValueTask SendAsync(byte[] frame, CancellationToken cancellationToken) => connection.SendAsync(frame, cancellationToken);

        public override ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    private sealed class RawBytes(Connection connection) : FrameChannel
    {
        private readonly PipeReader _input = connection.Transport.Input;
        private readonly PipeWriter _output = connection.Transport.Output;

        public override async ValueTask<byte[]?> ReceiveAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var result = await _input.ReadAsync(cancellationToken);
                if (!result.Buffer.IsEmpty)
                {
                    var bytes = result.Buffer.ToArray();
                    _input.AdvanceTo(result.Buffer.End);
                    return bytes;
                }

                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return null;
                }
            }
        }

        public override async ValueTask SendAsync(byte[] frame, CancellationToken cancellationToken)
        {
            await _output.WriteAsync(frame, cancellationToken);
        }

        public override ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
