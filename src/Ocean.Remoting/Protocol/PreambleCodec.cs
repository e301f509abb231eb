using System.Buffers;
using System.Buffers.Binary;

namespace Ocean.Remoting.Protocol;

/// <summary>What <see cref="PreambleCodec.TryRead"/> found in the bytes received so far.</summary>
internal enum PreambleReadStatus
{
    /// <summary>The bytes so far are a prefix of a preamble: wait for more (bounded by the handshake timeout).</summary>
    Incomplete,

    /// <summary>A whole version-1 preamble was read.</summary>
    Complete,

    /// <summary>
    /// Magic and status were read and the version is not this one: only bytes 0 to 5 are read, since a later version may
    /// lay out the rest differently (those six bytes keep their meaning in every version).
    /// </summary>
    OtherVersion,

    /// <summary>The first bytes are not the magic: a foreign client. Decided from the first byte that differs.</summary>
    Foreign,
}

/// <summary>Writes and reads the connection preamble, and tells a foreign client from its first bytes.</summary>
internal static class PreambleCodec
{
    public static void Write(IBufferWriter<byte> output, in Preamble preamble)
    {
        Write(output.GetSpan(Preamble.Length), preamble);
        output.Advance(Preamble.Length);
    }

    public static void Write(Span<byte> destination, in Preamble preamble)
    {
        Preamble.Magic.CopyTo(destination);
        destination[4] = preamble.Version;
        destination[5] = (byte)preamble.Status;
        destination[6] = preamble.Marshaller;
        destination[7] = preamble.Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], preamble.MaxFrameLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], preamble.MaxConcurrentCalls);
    }

    /// <summary>
    /// Reads a preamble from the first bytes of a connection. Returns as soon as the answer is known: a byte that breaks
    /// the magic makes it <see cref="PreambleReadStatus.Foreign"/> at once, so a foreign client is found from its first
    /// segment and never waited for.
    /// </summary>
    /// <param name="input">The bytes received so far.</param>
    /// <param name="preamble">The preamble (for <see cref="PreambleReadStatus.OtherVersion"/>, only version and status).</param>
    /// <param name="consumed">The bytes the preamble took (for <see cref="PreambleReadStatus.Complete"/>).</param>
    /// <param name="foreign">What the foreign client looks like (for <see cref="PreambleReadStatus.Foreign"/>).</param>
    /// <exception cref="RemotingProtocolException">A version-1 preamble holds an unknown status, marshaller 0, or a frame limit below 256.</exception>
    public static PreambleReadStatus TryRead(in ReadOnlySequence<byte> input, out Preamble preamble, out long consumed, out ForeignProtocol foreign)
    {
        preamble = default;
        consumed = 0;
        foreign = ForeignProtocol.None;
        Span<byte> head = stackalloc byte[Preamble.Length];
        var available = (int)Math.Min(input.Length, Preamble.Length);
        input.Slice(0, available).CopyTo(head);
        head = head[..available];

        var magicPresent = Math.Min(available, Preamble.Magic.Length);
        if (!head[..magicPresent].SequenceEqual(Preamble.Magic[..magicPresent]))
        {
            foreign = ForeignClient.Classify(head);
            return PreambleReadStatus.Foreign;
        }

        if (available < 6)
        {
            return PreambleReadStatus.Incomplete;
        }

        var version = head[4];
        var status = head[5];
        if (version != Preamble.CurrentVersion)
        {
            preamble = new Preamble(version, (PreambleStatus)status, 0, 0, 0, 0);
            return PreambleReadStatus.OtherVersion;
        }

        if (available < Preamble.Length)
        {
            return PreambleReadStatus.Incomplete;
        }

        if (status > (byte)PreambleStatus.NotRecognized)
        {
            throw Failure(RemotingProtocolError.Malformed, $"0x{status:X2} is not a preamble status.");
        }

        var marshaller = head[6];
        if (marshaller == 0)
        {
            throw Failure(RemotingProtocolError.Malformed, "The preamble names marshaller 0, which is reserved.");
        }

        var maxFrame = BinaryPrimitives.ReadUInt32BigEndian(head[8..]);
        if (maxFrame < Preamble.MinimumMaxFrameLength || maxFrame > int.MaxValue)
        {
            throw Failure(RemotingProtocolError.Malformed, $"The preamble announces a frame limit of {maxFrame} bytes; it must be 256 to 2^31-1.");
        }

        // Flags (byte 7) are capability bits: version 1 defines none, and a reader ignores those it does not know.
        preamble = new Preamble(version, (PreambleStatus)status, marshaller, head[7], maxFrame, BinaryPrimitives.ReadUInt32BigEndian(head[12..]));
        consumed = Preamble.Length;
        return PreambleReadStatus.Complete;
    }

    /// <summary>
    /// The server's decision on a client's preamble: <see cref="PreambleStatus.Hello"/> to accept, otherwise the
    /// refusal it answers with (its own version and marshaller in the answer let the client say exactly what differs).
    /// </summary>
    public static PreambleStatus Evaluate(in Preamble client, PreambleReadStatus read, MarshallerId serverMarshaller)
    {
        if (read == PreambleReadStatus.OtherVersion)
        {
            return PreambleStatus.VersionNotSupported;
        }

        if (client.Status != PreambleStatus.Hello)
        {
            return PreambleStatus.NotRecognized;
        }

        return client.Marshaller == (byte)serverMarshaller ? PreambleStatus.Hello : PreambleStatus.MarshallerNotSupported;
    }

    /// <summary>
    /// The client's check of the server's answer: returns when the server accepted in the client's version and
    /// marshaller; otherwise throws what differs, with <see cref="CompletionStatus.No"/> (no call was sent).
    /// </summary>
    /// <exception cref="RemotingProtocolException">Not an Ocean server, another version or marshaller, or a refusal.</exception>
    public static void CheckAnswer(PreambleReadStatus read, in Preamble server, MarshallerId clientMarshaller)
    {
        switch (read)
        {
            case PreambleReadStatus.Foreign:
                throw Failure(RemotingProtocolError.NotOceanPeer, "The server's first bytes are not an Ocean remoting preamble: it speaks another protocol.");
            case PreambleReadStatus.OtherVersion:
            case PreambleReadStatus.Complete when server.Status == PreambleStatus.VersionNotSupported:
                throw Failure(RemotingProtocolError.VersionMismatch, $"The server speaks remoting protocol version {server.Version}; this client speaks version {Preamble.CurrentVersion}.");
            case PreambleReadStatus.Incomplete:
                throw Failure(RemotingProtocolError.Truncated, "The connection closed inside the server's preamble.");
        }

        switch (server.Status)
        {
            case PreambleStatus.MarshallerNotSupported:
                throw Failure(RemotingProtocolError.MarshallerMismatch, $"The server uses marshaller {Describe(server.Marshaller)}; this client uses {Describe((byte)clientMarshaller)}.");
            case PreambleStatus.Unavailable:
                throw Failure(RemotingProtocolError.Refused, "The server refused the connection: it is shutting down or at its connection limit.");
            case PreambleStatus.NotRecognized:
                throw Failure(RemotingProtocolError.Malformed, "The server did not recognise this client's preamble.");
        }

        if (server.Marshaller != (byte)clientMarshaller)
        {
            throw Failure(RemotingProtocolError.MarshallerMismatch, $"The server accepted with marshaller {Describe(server.Marshaller)}; this client uses {Describe((byte)clientMarshaller)}.");
        }
    }

    /// <summary>A marshaller byte as people read it.</summary>
    public static string Describe(byte marshaller) => marshaller switch
    {
        (byte)MarshallerId.CdrBigEndian => "CDR big-endian (0x01)",
        (byte)MarshallerId.CdrLittleEndian => "CDR little-endian (0x02)",
        (byte)MarshallerId.Graph => "object graph (0x03)",
        _ => $"0x{marshaller:X2}",
    };

    private static RemotingProtocolException Failure(RemotingProtocolError error, string message) => new(error, CompletionStatus.No, message);
}
