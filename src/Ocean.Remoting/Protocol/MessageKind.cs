namespace Ocean.Remoting.Protocol;

/// <summary>The first byte of every message (frame payload) after the preamble.</summary>
internal enum MessageKind : byte
{
    /// <summary>Client to server: call a method.</summary>
    Request = 0x01,

    /// <summary>Server to client: the outcome of a request.</summary>
    Reply = 0x02,

    /// <summary>Client to server: stop working on a request.</summary>
    Cancel = 0x03,

    /// <summary>Either way: are you there? Answered by <see cref="Pong"/> with the same payload.</summary>
    Ping = 0x04,

    /// <summary>Either way: the answer to a <see cref="Ping"/>.</summary>
    Pong = 0x05,

    /// <summary>Either way: send no new requests on this connection.</summary>
    GoAway = 0x06,
}

/// <summary>The flags byte of a request.</summary>
[Flags]
internal enum RequestFlags : byte
{
    /// <summary>An ordinary call: a reply is expected.</summary>
    None = 0,

    /// <summary>No reply is sent, whatever the outcome.</summary>
    OneWay = 0x01,

    /// <summary>
    /// Sent by code handling a call from the receiver on this connection (a callback calling back): a receiver that is
    /// stopping still runs it while calls of its own run on the connection, since they may be waiting for it.
    /// </summary>
    Nested = 0x02,

    /// <summary>Every flag this version defines.</summary>
    Known = OneWay | Nested,
}
