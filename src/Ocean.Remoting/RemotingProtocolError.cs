namespace Ocean.Remoting;

/// <summary>What was wrong with the bytes a peer sent; carried by <see cref="RemotingProtocolException.Error"/>.</summary>
public enum RemotingProtocolError
{
    /// <summary>No kind was named (the exception was created through a standard constructor). Ocean always names one of the others.</summary>
    Unspecified,

    /// <summary>The message ended before a field it must hold, or a length or count claims more bytes than are present.</summary>
    Truncated,

    /// <summary>A length or count exceeds the protocol's limit for it (metadata entries, a string's length), whatever the bytes present.</summary>
    LimitExceeded,

    /// <summary>A field holds a value the protocol does not allow: an unknown flag, a non-zero reserved byte, an unknown status, a bad metadata key.</summary>
    Malformed,

    /// <summary>The first byte of a message names no message kind.</summary>
    UnknownMessageKind,

    /// <summary>A string is not valid UTF-8.</summary>
    InvalidText,

    /// <summary>Bytes are left over after a message that must end at its last field.</summary>
    TrailingBytes,

    /// <summary>The peer does not speak this protocol: its first bytes are not the preamble's magic (an HTTP client, a TLS hello, a port scanner).</summary>
    NotOceanPeer,

    /// <summary>The peer speaks another version of the protocol.</summary>
    VersionMismatch,

    /// <summary>The peer uses another marshaller (or byte order) than this side.</summary>
    MarshallerMismatch,

    /// <summary>The server refused the connection in its preamble (it is shutting down or at its connection limit).</summary>
    Refused,
}
