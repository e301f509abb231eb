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
internal sealed class DatagramWriter : IBufferWriter<byte>
{
    [ThreadStatic]
    private static DatagramWriter? t_cached;

    private readonly byte[] _buffer = new byte[Ocean.Transport.DatagramSocket.MaxIPv6DatagramSize];
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
        writer._limit = Math.Min(limit, writer._buffer.Length);
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
        return _buffer.AsMemory(_written, _limit - _written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written, _limit - _written);
    }

    private void Ensure(int sizeHint)
    {
        if (_written + Math.Max(sizeHint, 1) > _limit)
        {
            throw new DatagramTooLargeException(_limit);
        }
    }
}
