using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Ocean.Remoting.Protocol;

/// <summary>
/// Writes messages (frame payloads; Framing adds the length prefix) into an <see cref="IBufferWriter{T}"/>, straight
/// into its memory. The layouts are in the README's "Messages" section.
/// </summary>
internal static class MessageEncoder
{
    /// <summary>The fixed part of a request, up to and including the object key's length byte.</summary>
    public const int RequestFixedLength = 21;

    /// <summary>The length of an Ok reply's header: the result starts here.</summary>
    public const int ReplyHeaderLength = 8;

    /// <summary>
    /// Writes a request's header and the zero padding after it, so that the arguments the caller writes next (with the
    /// marshaller's <c>CreateWriter</c>, into the same output) start at a multiple of 8 from the message's first byte.
    /// </summary>
    /// <returns>The bytes written: the offset at which the arguments start.</returns>
    /// <exception cref="ArgumentException">The object key or metadata break the protocol's rules or limits.</exception>
    public static int WriteRequestHeader(
        IBufferWriter<byte> output,
        uint requestId,
        RequestFlags flags,
        ulong methodId,
        uint deadlineMilliseconds,
        string objectKey,
        IReadOnlyList<KeyValuePair<string, string>>? metadata,
        ProtocolLimits limits)
    {
        var keyLength = Encoding.UTF8.GetByteCount(objectKey);
        if (keyLength is < 1 or > 255)
        {
            throw new ArgumentException($"An object key takes 1 to 255 UTF-8 bytes; this one takes {keyLength}.", nameof(objectKey));
        }

        if ((flags & ~RequestFlags.Known) != 0)
        {
            throw new ArgumentException("Unknown request flags.", nameof(flags));
        }

        var count = metadata?.Count ?? 0;
        var metadataBytes = count == 0 ? 0 : MeasureMetadata(metadata!, limits);

        var headerLength = RequestFixedLength + keyLength + metadataBytes;
        var total = Align8(headerLength);
        var span = output.GetSpan(RequestFixedLength + keyLength);
        span[0] = (byte)MessageKind.Request;
        span[1] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)count);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], requestId);
        BinaryPrimitives.WriteUInt64BigEndian(span[8..], methodId);
        BinaryPrimitives.WriteUInt32BigEndian(span[16..], deadlineMilliseconds);
        span[20] = (byte)keyLength;
        Encoding.UTF8.GetBytes(objectKey, span[RequestFixedLength..]);
        output.Advance(RequestFixedLength + keyLength);

        for (var i = 0; i < count; i++)
        {
            var (key, value) = metadata![i];
            var valueLength = Encoding.UTF8.GetByteCount(value);
            var entry = output.GetSpan(1 + key.Length + 2 + valueLength);
            entry[0] = (byte)key.Length;
            Encoding.ASCII.GetBytes(key, entry[1..]);
            BinaryPrimitives.WriteUInt16BigEndian(entry[(1 + key.Length)..], (ushort)valueLength);
            Encoding.UTF8.GetBytes(value, entry[(3 + key.Length)..]);
            output.Advance(3 + key.Length + valueLength);
        }

        WriteZeros(output, total - headerLength);
        return total;
    }

    /// <summary>Writes an Ok reply's 8-byte header; the caller writes the result after it (already 8-aligned).</summary>
    public static void WriteReplyOkHeader(IBufferWriter<byte> output, uint requestId)
    {
        var span = output.GetSpan(ReplyHeaderLength);
        span[0] = (byte)MessageKind.Reply;
        span[1] = (byte)RemotingStatus.Ok;
        span[2] = (byte)CompletionStatus.Yes;
        span[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], requestId);
        output.Advance(ReplyHeaderLength);
    }

    /// <summary>
    /// Writes an error reply. A message or stack text longer than its limit is truncated at a character boundary (an
    /// error is never refused for its length); a type name longer than its limit is refused.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="status"/> is <see cref="RemotingStatus.Ok"/> or not a status, or the type name is too long.</exception>
    public static void WriteReplyError(
        IBufferWriter<byte> output,
        uint requestId,
        RemotingStatus status,
        CompletionStatus completion,
        string? typeName,
        string message,
        string? stackText,
        ProtocolLimits limits)
    {
        if (status == RemotingStatus.Ok || !Enum.IsDefined(status))
        {
            throw new ArgumentException($"{status} is not an error status.", nameof(status));
        }

        if (!Enum.IsDefined(completion))
        {
            throw new ArgumentException($"{completion} is not a completion status.", nameof(completion));
        }

        typeName ??= string.Empty;
        var typeLength = Encoding.UTF8.GetByteCount(typeName);
        if (typeLength > Math.Min(limits.MaxErrorTypeNameLength, ushort.MaxValue))
        {
            throw new ArgumentException($"The type name takes {typeLength} UTF-8 bytes, more than the limit of {limits.MaxErrorTypeNameLength}.", nameof(typeName));
        }

        var span = output.GetSpan(10 + typeLength);
        span[0] = (byte)MessageKind.Reply;
        span[1] = (byte)status;
        span[2] = (byte)completion;
        span[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], requestId);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], (ushort)typeLength);
        Encoding.UTF8.GetBytes(typeName, span[10..]);
        output.Advance(10 + typeLength);

        WriteTruncatedString32(output, message, limits.MaxErrorMessageLength);
        WriteTruncatedString32(output, stackText ?? string.Empty, limits.MaxStackTextLength);
    }

    /// <summary>Writes a cancel: 8 bytes.</summary>
    public static void WriteCancel(IBufferWriter<byte> output, uint requestId)
    {
        var span = output.GetSpan(8);
        span[0] = (byte)MessageKind.Cancel;
        span[1] = 0;
        span[2] = 0;
        span[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], requestId);
        output.Advance(8);
    }

    /// <summary>Writes a ping or a pong: 12 bytes, the payload echoed by the pong.</summary>
    public static void WritePing(IBufferWriter<byte> output, ulong payload, bool pong = false)
    {
        var span = output.GetSpan(12);
        span[0] = (byte)(pong ? MessageKind.Pong : MessageKind.Ping);
        span[1] = 0;
        span[2] = 0;
        span[3] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(span[4..], payload);
        output.Advance(12);
    }

    /// <summary>Writes a go-away with its reason and a message (truncated to its limit).</summary>
    public static void WriteGoAway(IBufferWriter<byte> output, RemotingStatus reason, string message, ProtocolLimits limits)
    {
        if (!Enum.IsDefined(reason))
        {
            throw new ArgumentException($"{reason} is not a status.", nameof(reason));
        }

        var length = TruncatedLength(message, Math.Min(limits.MaxGoAwayMessageLength, ushort.MaxValue), out var chars);
        var span = output.GetSpan(4 + length);
        span[0] = (byte)MessageKind.GoAway;
        span[1] = (byte)reason;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)length);
        Encoding.UTF8.GetBytes(message.AsSpan(0, chars), span[4..]);
        output.Advance(4 + length);
    }

    private static int MeasureMetadata(IReadOnlyList<KeyValuePair<string, string>> metadata, ProtocolLimits limits)
    {
        if (metadata.Count > Math.Min(limits.MaxMetadataCount, ushort.MaxValue))
        {
            throw new ArgumentException($"A request carries at most {limits.MaxMetadataCount} metadata entries; this one has {metadata.Count}.", nameof(metadata));
        }

        var total = 0;
        for (var i = 0; i < metadata.Count; i++) // indexed: no enumerator allocated per request
        {
            var (key, value) = metadata[i];
            if (!MessageDecoder.IsValidKey(key))
            {
                throw new ArgumentException($"The metadata key '{key}' is not 1 to 255 characters of a-z, 0-9, '-', '_' and '.'.", nameof(metadata));
            }

            var valueLength = Encoding.UTF8.GetByteCount(value);
            if (valueLength > ushort.MaxValue)
            {
                throw new ArgumentException($"The metadata value of '{key}' takes {valueLength} UTF-8 bytes, more than 65,535.", nameof(metadata));
            }

            total += 3 + key.Length + valueLength;
            if (total > limits.MaxMetadataBytes)
            {
                throw new ArgumentException($"The metadata takes more than the limit of {limits.MaxMetadataBytes} bytes.", nameof(metadata));
            }
        }

        return total;
    }

    private static void WriteTruncatedString32(IBufferWriter<byte> output, string text, int limit)
    {
        var length = TruncatedLength(text, limit, out var chars);
        var span = output.GetSpan(4 + length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length);
        Encoding.UTF8.GetBytes(text.AsSpan(0, chars), span[4..]);
        output.Advance(4 + length);
    }

    /// <summary>The UTF-8 length of the longest prefix of <paramref name="text"/> within <paramref name="limit"/> bytes that ends at a character boundary.</summary>
    private static int TruncatedLength(string text, int limit, out int chars)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        chars = text.Length;
        if (length <= limit)
        {
            return length;
        }

        // Keep whole characters (a surrogate pair is one): count UTF-8 bytes per character until the limit.
        length = 0;
        var i = 0;
        while (i < text.Length)
        {
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var bytes = Encoding.UTF8.GetByteCount(text.AsSpan(i, width));
            if (length + bytes > limit)
            {
                break;
            }

            length += bytes;
            i += width;
        }

        chars = i;
        return length;
    }

    private static int Align8(int offset) => (offset + 7) & ~7;

    private static void WriteZeros(IBufferWriter<byte> output, int count)
    {
        if (count > 0)
        {
            output.GetSpan(count)[..count].Clear();
            output.Advance(count);
        }
    }
}
