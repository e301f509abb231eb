using System.Text;

namespace Ocean.Framing;

/// <summary>Settings for <see cref="LineCodec"/>.</summary>
public sealed class LineCodecOptions
{
    private int _maxLineLength = 64 * 1024;
    private Encoding _encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>What is written after each line. Default <see cref="LineTerminator.Lf"/>.</summary>
    public LineTerminator Terminator { get; set; } = LineTerminator.Lf;

    /// <summary>
    /// Accept only CR LF line endings (default <see langword="false"/>: LF or CR LF). In strict mode a lone LF
    /// or a lone CR is a <see cref="FramingError.InvalidLineEnding"/>: lenient line parsing is a known
    /// request-smuggling surface when two parties disagree about where a line ends.
    /// </summary>
    public bool StrictCrLf { get; set; }

    /// <summary>
    /// The longest line, in bytes without its terminator (default 64 KiB). A longer line raises
    /// <see cref="FramingError.LineTooLong"/> as soon as it is known, without buffering the rest.
    /// </summary>
    public int MaxLineLength
    {
        get => _maxLineLength;
        set => _maxLineLength = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>
    /// The text encoding of <see cref="LineCodec.GetString"/> and <see cref="LineCodec.WriteLine"/>: UTF-8
    /// (the default, without a byte-order mark), ASCII or Latin-1 (ISO-8859-1). Framing itself is byte-based.
    /// </summary>
    public Encoding Encoding
    {
        get => _encoding;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _encoding = value.CodePage is 65001 or 20127 or 28591
                ? value
                : throw new ArgumentException("Lines are UTF-8, ASCII or Latin-1: encodings where LF is the byte 0x0A.", nameof(value));
        }
    }
}
