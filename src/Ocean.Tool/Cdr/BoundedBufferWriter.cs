using System.Buffers;
using Ocean.Marshalling;

namespace Ocean.Tool.Cdr;

/// <summary>
/// The buffer decoded JSON is written to, refusing to grow past <see cref="MaxBytes"/>: a few bytes of CDR can ask
/// for far more JSON (an octet deep inside nested structs and sequences is kilobytes of indentation), so the output,
/// not only the input, has a bound.
/// </summary>
internal sealed class BoundedBufferWriter(int maxBytes = BoundedBufferWriter.DefaultMaxBytes) : IBufferWriter<byte>
{
    /// <summary>64 MiB of JSON text.</summary>
    public const int DefaultMaxBytes = 64 * 1024 * 1024;

    private readonly ArrayBufferWriter<byte> _inner = new(4096);

    public int MaxBytes { get; } = maxBytes;

    public ReadOnlySpan<byte> WrittenSpan => _inner.WrittenSpan;

    public void Advance(int count)
    {
        _inner.Advance(count);
        Check(0);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Check(sizeHint);
        return _inner.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Check(sizeHint);
        return _inner.GetSpan(sizeHint);
    }

    private void Check(int sizeHint)
    {
        if ((long)_inner.WrittenCount + sizeHint > MaxBytes)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, $"the value's JSON text would take more than {MaxBytes / (1024 * 1024)} MiB");
        }
    }
}
