using System.Buffers;

namespace Ocean.Remoting.Internal.Datagrams;

/// <summary>A datagram grew past the bytes it may take (one datagram, or a group request's reply budget).</summary>
internal sealed class DatagramTooLargeException(int limit) : Exception($"The datagram would be larger than {limit} bytes.")
{
    public int Limit { get; } = limit;
}

/// <summary>
/// Builds one datagram in a buffer kept per thread (64 KiB, reused): the envelope's room first, then the body. Used
/// synchronously (encode, then copy or send), so one per thread suffices; a nested use gets its own.
/// </summary>
/// <remarks>
/// The limit is enforced by <see cref="Advance"/>, not by <see cref="GetSpan"/>: a marshaller asks for room in chunks
/// (CDR: at least 256 bytes) larger than what it then writes, so refusing a chunk that passes the limit would refuse a
/// datagram that fits (a group reply of a few bytes in a 300-byte budget, say). The buffer has slack past the largest
/// datagram for those chunks.
/// </remarks>
internal sealed class DatagramWriter : IBufferWriter<byte>
{
    [ThreadStatic]
    private static DatagramWriter? t_cached;

    /// <summary>Room past the largest datagram, so a chunk asked for near the end is handed out (what is written is still bounded).</summary>
    private const int Slack = 1024;

    private readonly byte[] _buffer = new byte[Ocean.Transport.DatagramSocket.MaxIPv6DatagramSize + Slack];
    private int _written;
    private int _limit;
    private bool _inUse;

    public int Written => _written;

    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>A writer with nothing written, refusing to grow past <paramref name="limit"/> bytes.</summary>
    public static DatagramWriter Rent(int limit)
    {
        var writer = t_cached;
        if (writer is null || writer._inUse)
        {
            writer = new DatagramWriter();
            t_cached ??= writer;
        }

        writer._inUse = true;
        writer._written = 0;
        writer._limit = Math.Min(limit, Ocean.Transport.DatagramSocket.MaxIPv6DatagramSize);
        return writer;
    }

    public void Return() => _inUse = false;

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _limit)
        {
            throw new DatagramTooLargeException(_limit);
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    // Room may be handed out past the limit (Advance refuses to commit it), never past the buffer.
    private void Ensure(int sizeHint)
    {
        if (_written + Math.Max(sizeHint, 1) > _buffer.Length)
        {
            throw new DatagramTooLargeException(_limit);
        }
    }
}
