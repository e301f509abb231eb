namespace Ocean.Framing;

/// <summary>What <see cref="LineCodec"/> writes after each line.</summary>
public enum LineTerminator
{
    /// <summary>LF (0x0A), as Unix tools and Pharo's <c>nextLineLf</c> expect.</summary>
    Lf,

    /// <summary>CR LF (0x0D 0x0A), as telnet, internet protocols and Pharo's <c>sendCommand:</c> use.</summary>
    CrLf,
}
