using System.Buffers;

namespace Ocean.Benchmarks.Marshalling;

/// <summary>An in-memory encode + decode round trip into a reused buffer, 64 per time check.</summary>
internal sealed class RoundTripVariant(string name, Action<ArrayBufferWriter<byte>> roundTrip) : IBenchmarkVariant
{
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);

    public string Name => name;

    /// <summary>Throws when a round trip lost data, so a broken variant cannot post a fast number.</summary>
    public static void Check(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("A round trip lost data.");
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<long> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + duration;
        long ops = 0;
        while (ops < 500_000_000)
        {
            for (var i = 0; i < 64; i++)
            {
                _buffer.ResetWrittenCount();
                roundTrip(_buffer);
            }

            ops += 64;
            if (DateTime.UtcNow >= until)
            {
                break;
            }
        }

        return Task.FromResult(ops);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
