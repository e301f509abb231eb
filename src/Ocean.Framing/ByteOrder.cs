namespace Ocean.Framing;

/// <summary>The byte order of a fixed-size length field.</summary>
public enum ByteOrder
{
    /// <summary>Most significant byte first (network byte order; Java's <c>DataOutputStream</c>).</summary>
    BigEndian,

    /// <summary>Least significant byte first.</summary>
    LittleEndian,
}
