using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ocean.Framing.Tests.Infrastructure;
using Ocean.Transport;

namespace Ocean.Framing.Tests.Hostile;

/// <summary>
/// Peers that make the server hold far more memory than they spend: partial large frames on many connections
/// (bounded by <see cref="MessageServerOptions.MaxBufferedBytes"/>), and pipelined requests whose replies are
/// never read (bounded by the transport's write buffer once held replies are flushed by size).
/// </summary>
[Trait("Category", "Hostile")]
public sealed class BufferAmplificationTests
{
    [Fact]
    public async Task PartialLargeFrames_SeveralPeers_BufferedBytesStayWithinTheBudget_OverBudgetPeerClosedOthersProceed()
    {
        const int FrameLength = 1024 * 1024, Sent = 768 * 1024, ReadBuffer = 128 * 1024;
        const long PerPeer = 4 + Sent - ReadBuffer;       // what each partial frame holds beyond its own read buffer
        const long Whole = 4 + FrameLength - ReadBuffer;  // ...and each whole frame
        const long Budget = 1856 * 1024;                  // two whole frames fit; three partial ones do not
        (2 * Whole).Should().BeLessThanOrEqualTo(Budget);
        (3 * PerPeer).Should().BeGreaterThan(Budget);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var options = new MessageServerOptions { MaxBufferedBytes = Budget };
        options.Stream.MaxReadBufferSize = ReadBuffer;
        await using var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), new LengthPrefixedCodec(), async (connection, stopping) =>
        {
            try
            {
                while (true)
                {
                    var result = await connection.ReceiveAsync(stopping);
                    if (result.IsCompleted)
                    {
                        return;
                    }

                    await connection.SendAsync(BitConverter.GetBytes(Checksum(result.Message)), stopping);
                }
            }
            catch (FramingException ex)
            {
                failures.Enqueue(ex);
                throw;
            }
        }, options);
        await server.StartAsync();
        var budget = server.StreamBufferBudget!;
        var frames = new List<byte[]>();
        var peers = new List<Socket>();
        try
        {
            for (var p = 0; p < 3; p++)
            {
                var frame = new byte[4 + FrameLength];
                BinaryPrimitives.WriteInt32BigEndian(frame, FrameLength);
                new Random(p).NextBytes(frame.AsSpan(4));
                frames.Add(frame);
                var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                peers.Add(peer);
                await peer.ConnectAsync(server.EndPoint);
                try
                {
                    await peer.SendAsync(frame.AsMemory(0, 4 + Sent));
                }
                catch (SocketException) when (p == 2)
                {
                    // The server may cut the over-budget peer off while it is still sending.
                }
                if (p < 2)
                {
                    await TestTimeouts.UntilAsync(() => budget.Used == (p + 1) * PerPeer, because: "each partial frame is reserved beyond the read buffer");
                }
            }

            // The third needs 640 KiB with less than 600 KiB left: refused, and its connection closed.
            await TestTimeouts.UntilAsync(() => !failures.IsEmpty);
            failures.Should().ContainSingle().Which.Should().BeOfType<FramingException>().Which.Error.Should().Be(FramingError.BufferBudgetExhausted);
            (await ReceiveToEndAsync(peers[2])).Should().BeEmpty("the over-budget connection is closed");
            budget.Peak.Should().BeLessThanOrEqualTo(Budget);
            budget.Used.Should().Be(2 * PerPeer);

            // The other two finish their frames and get them whole.
            for (var p = 0; p < 2; p++)
            {
                await peers[p].SendAsync(frames[p].AsMemory(4 + Sent));
                var reply = await ReceiveExactlyAsync(peers[p], 4 + 8);
                BinaryPrimitives.ReadInt32BigEndian(reply).Should().Be(8);
                BitConverter.ToInt64(reply, 4).Should().Be(Checksum(new ReadOnlySequence<byte>(frames[p], 4, FrameLength)));
            }

            await TestTimeouts.UntilAsync(() => budget.Used == 0, because: "delivered frames give their reservation back");
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(HeldLimit)]
    [InlineData(16 * 1024)]
    public async Task PipelinedRequests_PeerNeverReadsReplies_HeldRepliesAreFlushedByTheirSize(int heldLimit)
    {
        const int Requests = 100, ReplySize = 8 * 1024;
        var (peer, server) = PipeConnection.CreatePair();
        var options = heldLimit == HeldLimit ? new MessageConnectionOptions() : new MessageConnectionOptions { MaxHeldReplyBytes = heldLimit };
        options.MaxHeldReplyBytes.Should().Be(heldLimit, "the default is the documented 64 KiB");
        await using var connection = MessageConnection.Create(server, new LengthPrefixedCodec(), options);
        var batch = new ArrayBufferWriter<byte>();
        for (var i = 0; i < Requests; i++)
        {
            new LengthPrefixedCodec().WriteFrame(BitConverter.GetBytes(i), batch);
        }

        await peer.Transport.Output.WriteAsync(batch.WrittenMemory); // one batch, read as one; replies never read

        var reply = new byte[ReplySize];
        var waitedAt = -1;
        for (var i = 0; i < Requests && waitedAt < 0; i++)
        {
            // Everything is buffered already, so reads complete at once, on this thread, as a handler's would.
            var read = connection.ReceiveAsync().AsTask();
            read.IsCompletedSuccessfully.Should().BeTrue();
            if (!connection.SendAsync(reply).AsTask().IsCompleted)
            {
                waitedAt = i; // the send waits for the peer: back-pressure reached the sender
            }
        }

        // The pipe pauses its writer at 64 KiB: the sender must feel it after about that much plus the held bytes,
        // not only once the whole batch is answered.
        waitedAt.Should().BeInRange(0, ((64 * 1024) + heldLimit) / ReplySize + 1);
        connection.Abort();
    }

    /// <summary>The documented bound on replies held back for a batch (README, "Sending").</summary>
    private const int HeldLimit = 64 * 1024;

    private static long Checksum(in ReadOnlySequence<byte> bytes)
    {
        long sum = 17;
        foreach (var segment in bytes)
        {
            foreach (var b in segment.Span)
            {
                sum = (sum * 31) + b;
            }
        }

        return sum;
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
        for (var offset = 0; offset < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, timeout.Token);
            n.Should().BePositive("the reply should arrive whole");
            offset += n;
        }

        return buffer;
    }

    private static async Task<byte[]> ReceiveToEndAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // An abort with unread input may reset rather than close: either way, it is cut off.
        }

        return [.. received];
    }
}
