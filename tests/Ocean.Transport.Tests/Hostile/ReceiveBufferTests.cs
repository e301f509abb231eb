using System.Buffers;
using System.Threading.Channels;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests.Hostile;

/// <summary>
/// What the receive loop asks the pipe for: small receives share a segment (a peer dripping single bytes pins
/// bytes, not a segment per byte), and receives grow only while a sender fills them, within a quarter of
/// MaxReadBufferSize and 64 KiB.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class ReceiveBufferTests
{
    [Fact]
    public async Task SlowDrip_OfAFrameNeverFinished_HoldsAboutWhatWasSent_NotASegmentPerByte()
    {
        const int drips = 300;
        var pool = new CountingMemoryPool();
        var seen = Channel.CreateUnbounded<long>();
        var options = new SocketServerOptions { MemoryPool = pool };
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                var input = connection.Transport.Input;
                while (true)
                {
                    var read = await input.ReadAsync(stopping);
                    seen.Writer.TryWrite(read.Buffer.Length);
                    input.AdvanceTo(read.Buffer.Start, read.Buffer.End); // a decoder waiting for the rest of a frame
                    if (read.IsCompleted)
                    {
                        return;
                    }
                }
            },
            options);
        await using var client = await server.ConnectAsync();

        for (var i = 1; i <= drips; i++)
        {
            await client.Transport.Output.WriteAsync(new byte[] { (byte)i });
            while (await seen.Reader.ReadAsync().AsTask().WithTimeout() < i)
            {
                // Each byte is received on its own before the next is sent.
            }
        }

        pool.OutstandingBytes.Should().BeLessThanOrEqualTo(
            3 * 4096,
            $"{drips} bytes arrived one receive each; a segment per receive would hold {drips * 4096} bytes");
    }

    [Fact]
    public async Task Burst_ReceivesGrowPastOneSegment_AndEveryByteArrivesInOrder()
    {
        const int size = 4 * 1024 * 1024;
        var pool = new CountingMemoryPool();
        var payload = new byte[size];
        new Random(11).NextBytes(payload);
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SocketServerOptions { MemoryPool = pool };
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) => received.TrySetResult(await ReadAllAsync(connection.Transport.Input, size, stopping)),
            options);
        await using var client = await server.ConnectAsync();

        await client.Transport.Output.WriteAsync(payload).AsTask().WithTimeout();

        (await received.Task.WithTimeout()).AsSpan().SequenceEqual(payload).Should().BeTrue();
        pool.LargestRent.Should().BeGreaterThanOrEqualTo(32 * 1024, "a sender that keeps receives full makes them grow");
        pool.LargestRent.Should().BeLessThanOrEqualTo(64 * 1024, "receives grow to 64 KiB at most");
    }

    [Fact]
    public async Task Burst_WithASmallReadBound_ReceivesStayWithinAQuarterOfIt()
    {
        const int size = 1024 * 1024;
        var pool = new CountingMemoryPool();
        var payload = new byte[size];
        new Random(12).NextBytes(payload);
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SocketServerOptions { MemoryPool = pool, MaxReadBufferSize = 16 * 1024 };
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) => received.TrySetResult(await ReadAllAsync(connection.Transport.Input, size, stopping)),
            options);
        await using var client = await server.ConnectAsync();

        await client.Transport.Output.WriteAsync(payload).AsTask().WithTimeout();

        (await received.Task.WithTimeout()).AsSpan().SequenceEqual(payload).Should().BeTrue();
        pool.LargestRent.Should().Be(4096, "a quarter of the 16 KiB bound (one segment) is as large as receives grow");
    }

    private static async Task<byte[]> ReadAllAsync(System.IO.Pipelines.PipeReader input, int size, CancellationToken cancellationToken)
    {
        var all = new byte[size];
        var filled = 0;
        while (filled < size)
        {
            var read = await input.ReadAsync(cancellationToken);
            var take = (int)Math.Min(read.Buffer.Length, size - filled);
            read.Buffer.Slice(0, take).CopyTo(all.AsSpan(filled));
            filled += take;
            input.AdvanceTo(read.Buffer.GetPosition(take));
            if (read.IsCompleted)
            {
                break;
            }
        }

        return all;
    }

    /// <summary>A pool that counts what is rented and not yet returned, and the largest rent.</summary>
    private sealed class CountingMemoryPool : MemoryPool<byte>
    {
        private long _outstanding;
        private int _largest;

        public long OutstandingBytes => Interlocked.Read(ref _outstanding);

        public int LargestRent => Volatile.Read(ref _largest);

        public override int MaxBufferSize => int.MaxValue;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            var size = Math.Max(minBufferSize, 1);
            Interlocked.Add(ref _outstanding, size);
            int seen;
            while ((seen = Volatile.Read(ref _largest)) < size && Interlocked.CompareExchange(ref _largest, size, seen) != seen)
            {
            }

            return new Owner(this, new byte[size]);
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Owner(CountingMemoryPool pool, byte[] array) : IMemoryOwner<byte>
        {
            private int _disposed;

            public Memory<byte> Memory => array;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Add(ref pool._outstanding, -array.Length);
                }
            }
        }
    }
}
