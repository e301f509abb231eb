using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Tool;

/// <summary>How frames are cut (<c>--framing</c>, <c>--prefix</c>, <c>--little-endian</c>), shown (<c>--hex</c>, <c>--both</c>) and typed.</summary>
internal sealed class FrameSettings
{
    public static readonly string[] Flags = ["--udp", "--little-endian", "--hex", "--both"];

    public static readonly string[] Valued = ["--framing", "--prefix"];

    public const string Help = """
          --udp                 UDP: each datagram is one frame (no --framing)
          --framing KIND        raw | line (LF, the default) | crlf | length | utf (Java writeUTF)
                                raw: no frames, each read from the socket is printed as it comes
                                line and crlf accept both LF and CR LF; they differ in what is sent
          --prefix SIZE         with --framing length: 1 | 2 | 4 (the default) | 8 | varint
          --little-endian       with --framing length: the length is little-endian (big-endian by default)
          --hex                 print frames as hex bytes ("68 69"); input frames are hex too
          --both                print frames as hex, then " | ", then text
        """;

    public bool Udp { get; private init; }

    /// <summary>The codec, or null for raw bytes (and for UDP, whose datagrams are the frames).</summary>
    public FrameCodec? Codec { get; private init; }

    public bool Utf { get; private init; }

    public bool Hex { get; private init; }

    public bool Both { get; private init; }

    public static FrameSettings From(CommandLine line)
    {
        var udp = line.Flag("--udp");
        var framing = line.Get("--framing");
        var prefix = line.Get("--prefix");
        var little = line.Flag("--little-endian");
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

        FrameCodec? codec = framing switch
        {
            "raw" => null,
            "line" => new LineCodec(new LineCodecOptions { Terminator = LineTerminator.Lf }),
            "crlf" => new LineCodec(new LineCodecOptions { Terminator = LineTerminator.CrLf }),
            "utf" => JavaUtfCodec.Instance,
            "length" => new LengthPrefixedCodec(new LengthPrefixedCodecOptions
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
            }),
            _ => throw new UsageException($"--framing must be raw, line, crlf, length or utf, not '{framing}'"),
        };

        return new FrameSettings { Udp = udp, Codec = codec, Utf = framing == "utf", Hex = line.Flag("--hex"), Both = line.Flag("--both") };
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
            return FromHex(input);
        }

        if (Utf)
        {
            var writer = new ArrayBufferWriter<byte>();
            JavaUtfCodec.WriteString(input, writer);
            return writer.WrittenSpan[2..].ToArray();
        }

        return Encoding.UTF8.GetBytes(input);
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
