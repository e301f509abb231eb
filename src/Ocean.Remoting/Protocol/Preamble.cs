namespace Ocean.Remoting.Protocol;

/// <summary>The marshaller byte of a preamble: which stream format carries arguments and results.</summary>
internal enum MarshallerId : byte
{
    /// <summary>CDR, big-endian (Ocean's default).</summary>
    CdrBigEndian = 0x01,

    /// <summary>CDR, little-endian.</summary>
    CdrLittleEndian = 0x02,

    /// <summary>The object-graph format, version 1 (the stream names its own version too).</summary>
    Graph = 0x03,
}

/// <summary>The status byte of a preamble. A client always sends <see cref="Hello"/>; a server answers with one of them.</summary>
internal enum PreambleStatus : byte
{
    /// <summary>Client: this is my preamble. Server: accepted; messages may follow.</summary>
    Hello = 0x00,

    /// <summary>The server does not speak the client's version; its own is in the version byte. It closes.</summary>
    VersionNotSupported = 0x01,

    /// <summary>The server does not use the client's marshaller; its own is in the marshaller byte. It closes.</summary>
    MarshallerNotSupported = 0x02,

    /// <summary>The server takes no connection now (shutting down, or at its connection limit). It closes.</summary>
    Unavailable = 0x03,

    /// <summary>The server did not recognise the bytes it received as a preamble. It closes.</summary>
    NotRecognized = 0x04,
}

/// <summary>
/// The 16 bytes that open a connection in each direction: magic, version, status, marshaller, flags, and the
/// limits the sender enforces on what it receives.
/// </summary>
internal readonly record struct Preamble(
    byte Version,
    PreambleStatus Status,
    byte Marshaller,
    byte Flags,
    uint MaxFrameLength,
    uint MaxConcurrentCalls)
{
    /// <summary>The protocol version this code speaks.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>The preamble's length in version 1.</summary>
    public const int Length = 16;

    /// <summary>The smallest frame limit a peer may announce: room for any header and a short error.</summary>
    public const uint MinimumMaxFrameLength = 256;

    /// <summary>The magic: <c>CE 4F 43 4E</c> (0xCE, then "OCN").</summary>
    public static ReadOnlySpan<byte> Magic => [0xCE, 0x4F, 0x43, 0x4E];

    /// <summary>A client's hello in the current version.</summary>
    public static Preamble Hello(MarshallerId marshaller, uint maxFrameLength, uint maxConcurrentCalls) =>
        new(CurrentVersion, PreambleStatus.Hello, (byte)marshaller, 0, maxFrameLength, maxConcurrentCalls);
}
