using System.Buffers;

namespace Ocean.Remoting.Protocol;

/// <summary>
/// Reads messages (frame payloads) from a <see cref="ReadOnlySequence{T}"/> without copying them. Every claimed count
/// and length is checked against its limit and against the bytes actually present before anything is sliced or
/// allocated; any malformed input raises <see cref="RemotingProtocolException"/> and nothing else.
/// </summary>
internal static class MessageDecoder
{
    /// <summary>The kind of a message, from its first byte.</summary>
    /// <exception cref="RemotingProtocolException">The message is empty or its first byte names no kind.</exception>
    public static MessageKind ReadKind(in ReadOnlySequence<byte> message)
    {
        if (message.IsEmpty)
        {
            ProtocolThrow.Truncated("the message kind");
        }

        var kind = message.FirstSpan[0];
        if (kind is < (byte)MessageKind.Request or > (byte)MessageKind.GoAway)
        {
            ProtocolThrow.UnknownKind(kind);
        }

        return (MessageKind)kind;
    }

    public static RequestMessage ReadRequest(in ReadOnlySequence<byte> message, ProtocolLimits limits)
    {
        var reader = new WireReader(message);
        ExpectKind(ref reader, MessageKind.Request);
        var flags = reader.ReadByte("request flags");
        if ((flags & ~(byte)RequestFlags.Known) != 0)
        {
            ProtocolThrow.Malformed($"Unknown request flags 0x{flags:X2}.");
        }

        var count = reader.ReadUInt16("metadata count");
        if (count > limits.MaxMetadataCount)
        {
            ProtocolThrow.Limit("metadata count", count, limits.MaxMetadataCount);
        }

        var requestId = reader.ReadUInt32("request id");
        var methodId = reader.ReadUInt64("method id");
        var deadline = reader.ReadUInt32("deadline");
        var keyLength = reader.ReadByte("object key length");
        if (keyLength == 0)
        {
            ProtocolThrow.Malformed("The object key is empty.");
        }

        var key = reader.ReadUtf8Slice(keyLength, "object key");

        // Each entry takes at least 4 bytes (a 1-byte key): a count the bytes present cannot hold fails before the loop.
        if (count * 4L > reader.Remaining)
        {
            ProtocolThrow.Claimed("metadata count", count * 4L, reader.Remaining);
        }

        var metadataStart = reader.Rest;
        var metadataLength = 0L;
        for (var i = 0; i < count; i++)
        {
            var length = reader.ReadByte("metadata key length");
            var keyBytes = reader.ReadSlice(length, "metadata key");
            if (!IsValidKey(keyBytes))
            {
                ProtocolThrow.Malformed("A metadata key is not 1 to 255 bytes of a-z, 0-9, '-', '_' and '.'.");
            }

            var valueLength = reader.ReadUInt16("metadata value length");
            reader.ReadUtf8Slice(valueLength, "metadata value");
            metadataLength += 3 + length + valueLength;
            if (metadataLength > limits.MaxMetadataBytes)
            {
                ProtocolThrow.Limit("metadata size", metadataLength, limits.MaxMetadataBytes);
            }
        }

        reader.SkipPadding("the padding before the arguments");
        return new RequestMessage
        {
            RequestId = requestId,
            Flags = (RequestFlags)flags,
            MethodId = methodId,
            DeadlineMilliseconds = deadline,
            ObjectKey = key,
            Metadata = new MetadataSection(count, metadataStart.Slice(0, metadataLength)),
            Arguments = reader.Rest,
        };
    }

    public static ReplyMessage ReadReply(in ReadOnlySequence<byte> message, ProtocolLimits limits)
    {
        var reader = new WireReader(message);
        ExpectKind(ref reader, MessageKind.Reply);
        var status = ReadStatus(ref reader, "reply status");
        var completion = reader.ReadByte("completion status");
        if (completion > (byte)CompletionStatus.Maybe)
        {
            ProtocolThrow.Malformed($"0x{completion:X2} is not a completion status.");
        }

        ExpectZero(ref reader, "reply flags");
        var requestId = reader.ReadUInt32("request id");
        if (status == RemotingStatus.Ok)
        {
            if (completion != (byte)CompletionStatus.Yes)
            {
                ProtocolThrow.Malformed("An Ok reply must say the method completed.");
            }

            return new ReplyMessage { RequestId = requestId, Status = status, Completion = CompletionStatus.Yes, Result = reader.Rest };
        }

        var typeLength = reader.ReadUInt16("error type name length");
        if (typeLength > limits.MaxErrorTypeNameLength)
        {
            ProtocolThrow.Limit("error type name length", typeLength, limits.MaxErrorTypeNameLength);
        }

        var typeName = reader.ReadString(typeLength, "error type name");
        var messageText = reader.ReadString(ReadLength32(ref reader, "error message", limits.MaxErrorMessageLength), "error message");
        var stackLength = ReadLength32(ref reader, "stack text", limits.MaxStackTextLength);
        var stack = stackLength == 0 ? null : reader.ReadString(stackLength, "stack text");
        reader.EnsureEnd("error reply");
        return new ReplyMessage
        {
            RequestId = requestId,
            Status = status,
            Completion = (CompletionStatus)completion,
            ErrorTypeName = typeName,
            ErrorMessage = messageText,
            StackText = stack,
        };
    }

    /// <summary>Reads a cancel; returns the request id it cancels.</summary>
    public static uint ReadCancel(in ReadOnlySequence<byte> message)
    {
        var reader = new WireReader(message);
        ExpectKind(ref reader, MessageKind.Cancel);
        ExpectZero(ref reader, "cancel reserved byte");
        ExpectZero(ref reader, "cancel reserved byte");
        ExpectZero(ref reader, "cancel reserved byte");
        var requestId = reader.ReadUInt32("request id");
        reader.EnsureEnd("cancel");
        return requestId;
    }

    /// <summary>Reads a ping or a pong (<paramref name="kind"/> says which); returns its payload.</summary>
    public static ulong ReadPing(in ReadOnlySequence<byte> message, MessageKind kind = MessageKind.Ping)
    {
        var reader = new WireReader(message);
        ExpectKind(ref reader, kind);
        ExpectZero(ref reader, "ping reserved byte");
        ExpectZero(ref reader, "ping reserved byte");
        ExpectZero(ref reader, "ping reserved byte");
        var payload = reader.ReadUInt64("ping payload");
        reader.EnsureEnd(kind == MessageKind.Ping ? "ping" : "pong");
        return payload;
    }

    public static GoAwayMessage ReadGoAway(in ReadOnlySequence<byte> message, ProtocolLimits limits)
    {
        var reader = new WireReader(message);
        ExpectKind(ref reader, MessageKind.GoAway);
        var reason = ReadStatus(ref reader, "go-away reason");
        var length = reader.ReadUInt16("go-away message length");
        if (length > limits.MaxGoAwayMessageLength)
        {
            ProtocolThrow.Limit("go-away message length", length, limits.MaxGoAwayMessageLength);
        }

        var text = reader.ReadString(length, "go-away message");
        reader.EnsureEnd("go-away");
        return new GoAwayMessage(reason, text);
    }

    /// <summary>A metadata key: 1 to 255 characters of <c>a-z 0-9 - _ .</c> (as gRPC and HTTP/2 keys: lower case, no folding needed).</summary>
    public static bool IsValidKey(string key)
    {
        if (key.Length is < 1 or > 255)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!IsKeyChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidKey(in ReadOnlySequence<byte> key)
    {
        if (key.IsEmpty)
        {
            return false;
        }

        foreach (var segment in key)
        {
            foreach (var b in segment.Span)
            {
                if (!IsKeyChar((char)b))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsKeyChar(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.';

    private static void ExpectKind(ref WireReader reader, MessageKind expected)
    {
        var kind = reader.ReadByte("message kind");
        if (kind != (byte)expected)
        {
            if (kind is < (byte)MessageKind.Request or > (byte)MessageKind.GoAway)
            {
                ProtocolThrow.UnknownKind(kind);
            }

            ProtocolThrow.Malformed($"Expected a {expected} message, got a {(MessageKind)kind}.");
        }
    }

    private static void ExpectZero(ref WireReader reader, string what)
    {
        var value = reader.ReadByte(what);
        if (value != 0)
        {
            ProtocolThrow.Malformed($"The {what} is 0x{value:X2}; it must be zero.");
        }
    }

    private static RemotingStatus ReadStatus(ref WireReader reader, string what)
    {
        var value = reader.ReadByte(what);
        if (!Enum.IsDefined((RemotingStatus)value))
        {
            ProtocolThrow.Malformed($"0x{value:X2} is not a status ({what}).");
        }

        return (RemotingStatus)value;
    }

    private static uint ReadLength32(ref WireReader reader, string what, int limit)
    {
        var length = reader.ReadUInt32(what + " length");
        if (length > limit)
        {
            ProtocolThrow.Limit(what + " length", length, limit);
        }

        return length;
    }
}
