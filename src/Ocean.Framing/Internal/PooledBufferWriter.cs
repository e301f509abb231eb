using System.Buffers;

namespace Ocean.Framing.Internal;

/// <summary>
/// A growable buffer writer over <see cref="ArrayPool{T}"/>. One instance per thread is cached, so the
/// steady state allocates nothing: take it with <see cref="Rent()"/>, give it back with <see cref="Return"/>.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    [ThreadStatic]
    private static PooledBufferWriter? t_cached;

    private byte[] _buffer = [];
    private int _written;
    private int _limit = int.MaxValue;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public int WrittenCount => _written;

    public static PooledBufferWriter Rent()
    {
        var writer = t_cached ?? new PooledBufferWriter();
        t_cached = null; // a nested use on this thread gets its own
        return writer;
    }

    /// <summary>Rents a writer that refuses to hold more than <paramref name="limit"/> bytes (a message's maximum size).</summary>
    public static PooledBufferWriter Rent(int limit)
    {
        var writer = Rent();
        writer._limit = limit;
        return writer;
    }

    public static void Return(PooledBufferWriter writer)
    {
        writer._written = 0;
        writer._limit = int.MaxValue;
        if (writer._buffer.Length > 1024 * 1024)
        {
            // Do not keep a huge buffer around per thread.
            ArrayPool<byte>.Shared.Return(writer._buffer);
            writer._buffer = [];
        }

        t_cached = writer;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
        if (_written > _limit)
        {
            // Fail as the limit is passed, not after a huge message has been buffered.
            throw new FramingException(FramingError.FrameTooLarge, $"A message of {_written} bytes or more is larger than the connection's maximum of {_limit}.");
        }
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

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, _written + sizeHint), 256));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
