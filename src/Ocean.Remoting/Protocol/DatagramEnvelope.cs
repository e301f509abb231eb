using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Ocean.Remoting.Protocol;

/// <summary>The kind byte of a UDP envelope.</summary>
internal enum DatagramKind : byte
{
    /// <summary>Client to server: a request message follows.</summary>
    Request = 0x01,

    /// <summary>Server to client: a reply message follows.</summary>
    Reply = 0x02,

    /// <summary>Client to server: the client's preamble follows; asks for a token.</summary>
    Hello = 0x03,

    /// <summary>Server to client: the server's preamble follows, and the envelope carries the client's token.</summary>
    Welcome = 0x04,
}

/// <summary>The flags byte of a UDP envelope.</summary>
[Flags]
internal enum DatagramFlags : byte
{
    None = 0,

    /// <summary>Sent to a multicast group: no token; the reply must fit in this datagram's size.</summary>
    Group = 0x01,

    /// <summary>A request sent again (the server counts them; it never decides anything by it).</summary>
    Retransmission = 0x02,

    Known = Group | Retransmission,
}

/// <summary>
/// The 64 bytes that open every Ocean UDP datagram (there is no connection, so no preamble): magic, version, kind,
/// flags, marshaller, the client's id and incarnation, the request id, the client's acknowledgement, the token that
/// proves the client's address, and the length of the body (a request or reply exactly as on TCP; after it, a group
/// request may carry padding).
/// </summary>
internal readonly struct DatagramEnvelope
{
    /// <summary>The envelope's length: a multiple of 8, so the body's alignment is that of a TCP message.</summary>
    public const int Length = 64;

    public const int ClientIdLength = 16;

    public const int TokenLength = 12;

    public const byte CurrentVersion = 1;

    public const int TokenOffset = 48;

    public const int AcknowledgedOffset = 40;

    public const int FlagsOffset = 6;

    /// <summary>The magic: <c>CE 4F 43 55</c> (0xCE, then "OCU"), so a TCP preamble (<c>CE 4F 43 4E</c>) is never taken for a datagram.</summary>
    public static ReadOnlySpan<byte> Magic => [0xCE, 0x4F, 0x43, 0x55];

    public DatagramKind Kind { get; init; }

    public DatagramFlags Flags { get; init; }

    public byte Marshaller { get; init; }

    public ClientKey Client { get; init; }

    public ulong RequestId { get; init; }

    /// <summary>Every request id below this one is finished for the client: its reply was read, or the client gave up.</summary>
    public ulong AcknowledgedBelow { get; init; }

    /// <summary>The body's length (the datagram may hold padding after it).</summary>
    public int BodyLength { get; init; }

    /// <summary>Writes an envelope into the first <see cref="Length"/> bytes of <paramref name="destination"/>; the token is zero.</summary>
    public static void Write(Span<byte> destination, DatagramKind kind, DatagramFlags flags, byte marshaller, in ClientKey client, ulong requestId, ulong acknowledgedBelow, int bodyLength)
    {
        Magic.CopyTo(destination);
        destination[4] = CurrentVersion;
        destination[5] = (byte)kind;
        destination[6] = (byte)flags;
        destination[7] = marshaller;
        client.Write(destination[8..]);
        BinaryPrimitives.WriteUInt64BigEndian(destination[32..], requestId);
        BinaryPrimitives.WriteUInt64BigEndian(destination[AcknowledgedOffset..], acknowledgedBelow);
        destination.Slice(TokenOffset, TokenLength).Clear();
        BinaryPrimitives.WriteInt32BigEndian(destination[60..], bodyLength);
    }

    /// <summary>Reads an envelope; <see langword="false"/> for anything that is not a well-formed version-1 Ocean datagram.</summary>
    /// <param name="datagram">The whole datagram.</param>
    /// <param name="envelope">The envelope read.</param>
    /// <param name="token">The token bytes (zero when none).</param>
    /// <param name="body">The body (padding excluded).</param>
    /// <param name="reason">Why it was refused, for the log.</param>
    public static bool TryRead(in ReadOnlySequence<byte> datagram, out DatagramEnvelope envelope, out TokenBytes token, out ReadOnlySequence<byte> body, out string? reason)
    {
        envelope = default;
        token = default;
        body = default;
        if (datagram.Length < Length)
        {
            reason = $"{datagram.Length} bytes, shorter than the {Length}-byte envelope";
            return false;
        }

        Span<byte> head = stackalloc byte[Length];
        datagram.Slice(0, Length).CopyTo(head);
        if (!head[..4].SequenceEqual(Magic))
        {
            reason = "not an Ocean datagram (wrong magic)";
            return false;
        }

        if (head[4] != CurrentVersion)
        {
            reason = $"protocol version {head[4]}";
            return false;
        }

        var kind = head[5];
        if (kind is < (byte)DatagramKind.Request or > (byte)DatagramKind.Welcome)
        {
            reason = $"unknown kind 0x{kind:X2}";
            return false;
        }

        var flags = head[6];
        if ((flags & ~(byte)DatagramFlags.Known) != 0)
        {
            reason = $"unknown flags 0x{flags:X2}";
            return false;
        }

        var bodyLength = BinaryPrimitives.ReadInt32BigEndian(head[60..]);
        if (bodyLength < 0 || bodyLength > datagram.Length - Length)
        {
            reason = $"a body of {bodyLength} bytes claimed, {datagram.Length - Length} present";
            return false;
        }

        envelope = new DatagramEnvelope
        {
            Kind = (DatagramKind)kind,
            Flags = (DatagramFlags)flags,
            Marshaller = head[7],
            Client = ClientKey.Read(head[8..]),
            RequestId = BinaryPrimitives.ReadUInt64BigEndian(head[32..]),
            AcknowledgedBelow = BinaryPrimitives.ReadUInt64BigEndian(head[AcknowledgedOffset..]),
            BodyLength = bodyLength,
        };
        token = TokenBytes.Read(head.Slice(TokenOffset, TokenLength));
        body = datagram.Slice(Length, bodyLength);
        reason = null;
        return true;
    }
}

/// <summary>Who a UDP client is: a random id and a random incarnation, never its address (NAT and port reuse change that).</summary>
internal readonly record struct ClientKey(ulong Id0, ulong Id1, ulong Incarnation)
{
    public static ClientKey New()
    {
        Span<byte> bytes = stackalloc byte[24];
        RandomNumberGenerator.Fill(bytes);
        return Read(bytes);
    }

    public static ClientKey Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]), BinaryPrimitives.ReadUInt64BigEndian(source[16..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Id0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Id1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], Incarnation);
    }

    /// <summary>The first 8 hex digits of the id, for logs and <see cref="RemoteCallContext.ConnectionId"/>.</summary>
    public override string ToString() => $"{Id0 >> 32:x8}";
}

/// <summary>A 12-byte token (the first 12 bytes of an HMAC-SHA256).</summary>
internal readonly record struct TokenBytes(ulong High, uint Low)
{
    public bool IsZero => High == 0 && Low == 0;

    public static TokenBytes Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt32BigEndian(source[8..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Low);
    }
}

/// <summary>
/// Makes and checks tokens: HMAC-SHA256 over the client key and the source address and port, under a secret the server
/// draws at start. A token proves the client received a datagram at that address, so a spoofed source never gets one.
/// </summary>
internal sealed class TokenMinter
{
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);

    public TokenBytes Mint(in ClientKey client, EndPoint source)
    {
        Span<byte> input = stackalloc byte[24 + 16 + 2];
        client.Write(input);
        var length = 24;
        if (source is IPEndPoint ip)
        {
            ip.Address.TryWriteBytes(input[length..], out var written);
            length += written;
            BinaryPrimitives.WriteUInt16BigEndian(input[length..], (ushort)ip.Port);
            length += 2;
        }

        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_secret, input[..length], hash);
        return TokenBytes.Read(hash);
    }
}
