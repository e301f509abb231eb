using System.Buffers;
using Ocean.Framing;

namespace Ocean.Remoting.Internal;

/// <summary>
/// Enforces the peer's announced message limit on a message connection this library did not frame itself (one a user
/// supplied, such as the in-memory pair): counts what a message writes and refuses it past the limit, so nothing is sent.
/// </summary>
internal sealed class SizeCheckedWriter(IBufferWriter<byte> inner, long limit) : IBufferWriter<byte>
{
    private long _written;

    public void Advance(int count)
    {
        _written += count;
        if (_written > limit)
        {
            throw new FramingException(FramingError.FrameTooLarge, $"The message is larger than the {limit} bytes the peer accepts.");
        }

        inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
}
