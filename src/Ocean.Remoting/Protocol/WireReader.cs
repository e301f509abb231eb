using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Ocean.Remoting.Protocol;

/// <summary>
/// Reads big-endian fields and length-prefixed UTF-8 from one message, checking every claimed length against the
/// bytes actually present before slicing or allocating. Raises <see cref="RemotingProtocolException"/> only.
/// </summary>
internal ref struct WireReader
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private SequenceReader<byte> _reader;

    public WireReader(in ReadOnlySequence<byte> message) => _reader = new SequenceReader<byte>(message);

    /// <summary>Bytes read from the message's first byte (the kind).</summary>
    public readonly long Consumed => _reader.Consumed;

    public readonly long Remaining => _reader.Remaining;

    public byte ReadByte(string what)
    {
        if (!_reader.TryRead(out var value))
        {
            ProtocolThrow.Truncated(what);
        }

        return value;
    }

    public ushort ReadUInt16(string what)
    {
        if (!_reader.TryReadBigEndian(out short value))
        {
            ProtocolThrow.Truncated(what);
        }

        return (ushort)value;
    }

    public uint ReadUInt32(string what)
    {
        if (!_reader.TryReadBigEndian(out int value))
        {
            ProtocolThrow.Truncated(what);
        }

        return (uint)value;
    }

    public ulong ReadUInt64(string what)
    {
        if (!_reader.TryReadBigEndian(out long value))
        {
            ProtocolThrow.Truncated(what);
        }

        return (ulong)value;
    }

    /// <summary>Takes the next <paramref name="length"/> bytes without copying, once they are known to be present.</summary>
    public ReadOnlySequence<byte> ReadSlice(long length, string what)
    {
        if (length > _reader.Remaining)
        {
            ProtocolThrow.Claimed(what, length, _reader.Remaining);
        }

        var slice = _reader.UnreadSequence.Slice(0, length);
        _reader.Advance(length);
        return slice;
    }

    /// <summary>Takes a UTF-8 string of <paramref name="length"/> bytes, validated, without allocating.</summary>
    public ReadOnlySequence<byte> ReadUtf8Slice(long length, string what)
    {
        var slice = ReadSlice(length, what);
        if (!IsValidUtf8(slice))
        {
            ProtocolThrow.InvalidText(what);
        }

        return slice;
    }

    /// <summary>Reads a UTF-8 string of <paramref name="length"/> bytes (checked against the bytes present first).</summary>
    public string ReadString(long length, string what) => Decode(ReadSlice(length, what), what);

    /// <summary>Skips the zero padding that brings the position to the next multiple of 8 from the message's first byte.</summary>
    public void SkipPadding(string what)
    {
        var padding = (int)((8 - (_reader.Consumed & 7)) & 7);
        if (padding > _reader.Remaining)
        {
            ProtocolThrow.Truncated(what);
        }

        _reader.Advance(padding); // padding is written as zero and, as in CDR, its values are ignored
    }

    public readonly ReadOnlySequence<byte> Rest => _reader.UnreadSequence;

    public readonly void EnsureEnd(string what)
    {
        if (_reader.Remaining != 0)
        {
            ProtocolThrow.Trailing(what, _reader.Remaining);
        }
    }

    public static string Decode(in ReadOnlySequence<byte> bytes, string what)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        try
        {
            return s_strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            ProtocolThrow.InvalidText(what);
            throw; // not reached: the line above throws
        }
    }

    public static bool IsValidUtf8(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return Utf8.IsValid(bytes.FirstSpan);
        }

        // A slice split across pipe segments (rare): copied once into a pooled buffer to validate it whole.
        var length = checked((int)bytes.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            bytes.CopyTo(rented);
            return Utf8.IsValid(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
