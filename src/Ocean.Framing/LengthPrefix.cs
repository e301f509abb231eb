namespace Ocean.Framing;

/// <summary>The length field of <see cref="LengthPrefixedCodec"/>.</summary>
public enum LengthPrefix
{
    /// <summary>An unsigned LEB128 varint: 7 bits a byte, low bits first, high bit set on all but the last; at most 5 bytes.</summary>
    Varint = 0,

    /// <summary>One unsigned byte (frames up to 255).</summary>
    OneByte = 1,

    /// <summary>An unsigned 16-bit integer (frames up to 65,535), like Java's <c>writeShort</c>/<c>readUnsignedShort</c>.</summary>
    TwoBytes = 2,

    /// <summary>A signed 32-bit integer, like Java's <c>writeInt</c>; negative values are refused.</summary>
    FourBytes = 4,

    /// <summary>A signed 64-bit integer, like Java's <c>writeLong</c>; negative values are refused.</summary>
    EightBytes = 8,
}
