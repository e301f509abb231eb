using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests.Hostile;

/// <summary>
/// A peer that sends faster than the application reads: what a connection buffers is bounded by
/// MaxReadBufferSize (bytes nobody has examined) and MaxWriteBufferSize, over plain TCP and over TLS alike.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class BufferBoundTests
{
    private const int SmallLimit = 16 * 1024;
    private const int ReceiveSlack = 8 * 1024; // the receive in flight when the pipe pauses (at most one 4 KiB read)

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadBuffer_ApplicationNeverReads_StaysWithinMaxReadBufferSize(bool tls)
    {
        var observed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = TestServer.Options(tls);
        options.MaxReadBufferSize = SmallLimit;
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) => observed.TrySetResult(await LargestUnexaminedAsync(connection.Transport.Input, SmallLimit, stopping)),
            options);
        await using var client = await server.ConnectAsync(tls);

        // Far more than the limit; the sender is never awaited (it stalls once everything downstream is full).
        var send = client.Transport.Output.WriteAsync(new byte[4 * 1024 * 1024]).AsTask();

        var largest = await observed.Task.WithTimeout();
        largest.Should().BeGreaterThanOrEqualTo(SmallLimit, "the sender sent more than the limit, so the buffer fills up to it");
        largest.Should().BeLessThan(SmallLimit + ReceiveSlack, "the receive loop stops reading once MaxReadBufferSize bytes wait unexamined");
        client.Abort();
        await TestServer.IgnoreAbortAsync(send);
    }

    [Fact]
    public async Task ReadBuffer_ReaderExaminesWithoutConsuming_GrowsPastTheLimit_AsDocumented()
    {
        // MaxReadBufferSize counts unexamined bytes: a reader that examines everything (a frame decoder waiting for
        // the end of a frame) lets the buffer grow. Bounding that is the reader's job (the codec's frame limit).
        const int payload = 256 * 1024;
        var held = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SocketServerOptions { MaxReadBufferSize = SmallLimit };
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                var input = connection.Transport.Input;
                while (true)
                {
                    var read = await input.ReadAsync(stopping);
                    if (read.Buffer.Length >= payload || read.IsCompleted)
                    {
                        held.TrySetResult(read.Buffer.Length);
                        input.AdvanceTo(read.Buffer.End);
                        return;
                    }

                    input.AdvanceTo(read.Buffer.Start, read.Buffer.End); // examined all, consumed nothing
                }
            },
            options);
        await using var client = await server.ConnectAsync();

        await client.Transport.Output.WriteAsync(new byte[payload]);

        (await held.Task.WithTimeout()).Should().Be(payload);
    }

    [Fact]
    public async Task WriteBuffer_Tls_FlushWaitsOnlyOnceMaxWriteBufferSizeIsUnsent()
    {
        // The peer never reads. Downstream of the TLS output pipe are the plain connection's output pipe (also
        // MaxWriteBufferSize) and the kernel's socket buffers (a few MiB at most). So with a limit of 16 MiB every
        // flush of 26 MiB in 1 MiB steps completes at once; a TLS output pipe that ignored the option (64 KiB, the
        // pipe default) would make a flush wait once the plain pipe and the kernel buffers are full.
        const int limit = 16 * 1024 * 1024;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverOptions = TestServer.Options(tls: true);
        serverOptions.MaxReadBufferSize = 4096;
        await using var server = await TestServer.StartAsync(async (_, stopping) => await release.Task.WaitAsync(stopping), serverOptions);
        var clientOptions = TestServer.TlsClientOptions();
        clientOptions.MaxWriteBufferSize = limit;
        await using var client = await server.ConnectAsync(clientOptions);
        var chunk = new byte[1024 * 1024];

        for (var i = 0; i < 26; i++)
        {
            var flush = client.Transport.Output.WriteAsync(chunk);
            flush.IsCompleted.Should().BeTrue($"only {i + 1} MiB were written, and up to {limit} bytes may wait unsent in each of the two pipes");
            await flush;
        }

        client.Abort();
        release.SetResult();
    }

    /// <summary>Polls the input without examining anything (so back-pressure is unaffected) and returns the largest buffer seen.</summary>
    private static async Task<long> LargestUnexaminedAsync(PipeReader input, long limit, CancellationToken cancellationToken)
    {
        long largest = 0;
        var samplesAfterLimit = 0;
        while (samplesAfterLimit < 20)
        {
            var read = await input.ReadAsync(cancellationToken);
            largest = Math.Max(largest, read.Buffer.Length);
            input.AdvanceTo(read.Buffer.Start, read.Buffer.Start);
            if (read.IsCompleted)
            {
                break;
            }

            if (largest >= limit)
            {
                samplesAfterLimit++; // keep looking a while: a pipe without the bound would go on filling
            }

            await Task.Delay(10, cancellationToken);
        }

        return largest;
    }
}
