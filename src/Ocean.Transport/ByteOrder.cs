namespace Ocean;

/// <summary>The byte order of a multi-byte value on the wire: a length prefix, a CDR stream.</summary>
public enum ByteOrder
{
    /// <summary>Most significant byte first (network byte order; Java's <c>DataOutputStream</c>).</summary>
    BigEndian,

    /// <summary>Least significant byte first.</summary>
    LittleEndian,
}
