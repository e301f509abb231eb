using System.Text;

namespace Ocean.Remoting.Protocol;

/// <summary>What a foreign client looks like from its first bytes.</summary>
internal enum ForeignProtocol
{
    /// <summary>Not foreign (or not classified).</summary>
    None,

    /// <summary>An HTTP request line (or the HTTP/2 preface): upper-case letters, then a space.</summary>
    Http,

    /// <summary>A TLS (or SSL 3) handshake record: <c>16 03</c>.</summary>
    Tls,

    /// <summary>A Java <c>DataOutputStream.writeUTF</c> string: a 2-byte big-endian length, then that many bytes of text.</summary>
    JavaWriteUtf,

    /// <summary>Anything else: a port scanner, random bytes, another binary protocol.</summary>
    Unknown,
}

/// <summary>Tells a foreign client's protocol from its first bytes, and the short refusal to answer it with.</summary>
internal static class ForeignClient
{
    private static readonly byte[] s_httpRefusal = BuildHttpRefusal();

    // A TLS alert record: content type 21, version 3.1, length 2, level fatal (2), handshake_failure (40).
    private static readonly byte[] s_tlsRefusal = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28];

    private static readonly byte[] s_javaRefusal = BuildJavaRefusal();

    private static readonly byte[] s_oceanRefusal = BuildOceanRefusal();

    /// <summary>The text HTTP and Java clients are shown.</summary>
    public const string RefusalText = "This port speaks Ocean remoting (protocol version 1), not this client's protocol.";

    /// <summary>
    /// Classifies the first bytes of a connection that do not start with the magic. Uses only the bytes given (the
    /// first segment received); fewer bytes than a rule needs give <see cref="ForeignProtocol.Unknown"/> or the likelier
    /// guess, never a wait.
    /// </summary>
    public static ForeignProtocol Classify(ReadOnlySpan<byte> first)
    {
        if (first.IsEmpty)
        {
            return ForeignProtocol.Unknown;
        }

        if (first[0] == 0x16 && (first.Length == 1 || first[1] == 0x03))
        {
            return ForeignProtocol.Tls;
        }

        if (IsHttpStart(first))
        {
            return ForeignProtocol.Http;
        }

        if (first.Length >= 3 && IsJavaUtf(first))
        {
            return ForeignProtocol.JavaWriteUtf;
        }

        return ForeignProtocol.Unknown;
    }

    /// <summary>The bytes a server writes to a foreign client before closing: in its own protocol where that is known.</summary>
    public static ReadOnlyMemory<byte> Refusal(ForeignProtocol protocol) => protocol switch
    {
        ForeignProtocol.Http => s_httpRefusal,
        ForeignProtocol.Tls => s_tlsRefusal,
        ForeignProtocol.JavaWriteUtf => s_javaRefusal,
        _ => s_oceanRefusal,
    };

    // A method token (1 to 16 upper-case ASCII letters) then a space; with fewer bytes, all of them letters.
    private static bool IsHttpStart(ReadOnlySpan<byte> first)
    {
        var i = 0;
        while (i < first.Length && i < 16 && first[i] is >= (byte)'A' and <= (byte)'Z')
        {
            i++;
        }

        if (i == 0)
        {
            return false;
        }

        return i == first.Length || first[i] == (byte)' ';
    }

    // A 2-byte length L >= 1 followed by text: the bytes present (up to L) are printable ASCII, tab, CR, LF, or UTF-8
    // (Java's modified UTF-8 is UTF-8 apart from C0 80 and surrogates, which count as non-ASCII text here).
    private static bool IsJavaUtf(ReadOnlySpan<byte> first)
    {
        var length = (first[0] << 8) | first[1];
        if (length == 0)
        {
            return false;
        }

        var text = first[2..Math.Min(first.Length, 2 + length)];
        foreach (var b in text)
        {
            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\r' and not (byte)'\n')
            {
                return false;
            }

            if (b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] BuildHttpRefusal()
    {
        var body = RefusalText + "\n";
        var text = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
            + Encoding.UTF8.GetByteCount(body).ToString(System.Globalization.CultureInfo.InvariantCulture)
            + "\r\nConnection: close\r\n\r\n" + body;
        return Encoding.ASCII.GetBytes(text);
    }

    private static byte[] BuildJavaRefusal()
    {
        var text = Encoding.ASCII.GetBytes(RefusalText);
        var result = new byte[2 + text.Length];
        result[0] = (byte)(text.Length >> 8);
        result[1] = (byte)text.Length;
        text.CopyTo(result, 2);
        return result;
    }

    private static byte[] BuildOceanRefusal()
    {
        var result = new byte[Preamble.Length];
        PreambleCodec.Write(result, new Preamble(Preamble.CurrentVersion, PreambleStatus.NotRecognized, (byte)MarshallerId.CdrBigEndian, 0, Preamble.MinimumMaxFrameLength, 0));
        return result;
    }
}
