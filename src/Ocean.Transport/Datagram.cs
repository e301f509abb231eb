using System.Buffers;
using System.Net;

namespace Ocean.Transport;

/// <summary>
/// One received datagram: its payload in pooled memory and the endpoint it came from.
/// </summary>
/// <remarks>
/// The payload is rented from <see cref="ArrayPool{T}.Shared"/>: dispose the datagram once done with it,
/// and do not touch <see cref="Payload"/> afterwards. Disposing twice is harmless; not disposing only
/// costs the pool a buffer.
/// </remarks>
public sealed class Datagram : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal Datagram(byte[] buffer, int length, EndPoint remoteEndPoint)
    {
        _buffer = buffer;
        _length = length;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>The datagram's bytes; valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="ObjectDisposedException">The datagram was disposed.</exception>
    public ReadOnlyMemory<byte> Payload => new(_buffer ?? throw new ObjectDisposedException(nameof(Datagram)), 0, _length);

    /// <summary>The number of bytes in the datagram (0 is a valid datagram).</summary>
    public int Length => _length;

    /// <summary>The sender.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>Returns the payload's buffer to the pool.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { Length: > 0 } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
