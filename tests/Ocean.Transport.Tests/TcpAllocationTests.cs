using System.Buffers;
using System.Net.Sockets;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

/// <summary>Runs alone: the allocation test counts every thread's allocations.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TcpAllocationCollection
{
    public const string Name = "TCP allocation (not in parallel)";
}

/// <summary>
/// A TCP echo whose replies span several pipe segments (so each goes out in one vectored send) allocates nothing
/// per round trip. Counted over the process (<see cref="GC.GetTotalAllocatedBytes(bool)"/>: completions run on the
/// pool's threads) against a blocking raw client that allocates nothing, with a generous bound: it catches a task
/// per send (what <c>Socket.SendAsync(IList&lt;ArraySegment&lt;byte&gt;&gt;)</c> allocates), not the runtime's warm-up.
/// </summary>
[Collection(TcpAllocationCollection.Name)]
public sealed class TcpAllocationTests
{
    private const int Chunk = 1024;
    private const int Message = 8 * Chunk; // two 4 KiB segments and more: a vectored send

    [Fact]
    public async Task Echo_RepliesSpanningSegments_AllocatesNothingPerRoundTrip()
    {
        await using var server = await TestServer.StartAsync(async (connection, stopping) =>
        {
            var input = connection.Transport.Input;
            var output = connection.Transport.Output;
            while (true)
            {
                var read = await input.ReadAsync(stopping);
                var buffer = read.Buffer;
                while (buffer.Length >= Message)
                {
                    for (var i = 0; i < Message / Chunk; i++)
                    {
                        // Chunk by chunk, so the reply fills several segments of the output pipe.
                        buffer.Slice(i * Chunk, Chunk).CopyTo(output.GetSpan(Chunk));
                        output.Advance(Chunk);
                    }

                    buffer = buffer.Slice(Message);
                    await output.FlushAsync(stopping);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        });

        var perRoundTrip = await Task.Run(() =>
        {
            using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.ReceiveTimeout = (int)TestTimeouts.Operation.TotalMilliseconds;
            client.Connect(server.EndPoint);
            var request = new byte[Message];
            var reply = new byte[Message];

            void RoundTrips(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    request[0] = (byte)i;
                    request[Message - 1] = (byte)~i;
                    client.Send(request);
                    var filled = 0;
                    while (filled < Message)
                    {
                        var got = client.Receive(reply.AsSpan(filled), SocketFlags.None); // bounded by ReceiveTimeout
                        if (got == 0)
                        {
                            throw new InvalidOperationException("The server closed the connection.");
                        }

                        filled += got;
                    }

                    if (reply[0] != (byte)i || reply[Message - 1] != (byte)~i)
                    {
                        throw new InvalidOperationException($"Echo {i} came back wrong.");
                    }
                }
            }

            RoundTrips(1_000);

            return Allocations.LeastPerOperation(2_000, RoundTrips);
        });

        perRoundTrip.Should().BeLessThan(32);
    }
}
