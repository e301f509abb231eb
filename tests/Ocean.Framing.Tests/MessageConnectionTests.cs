using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Ocean.Framing.Tests.Infrastructure;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>Message connections over in-memory pipes: framing, deadlines and failure handling without sockets.</summary>
public sealed class MessageConnectionTests
{
    private static readonly LengthPrefixedCodec s_lengthPrefixed = new();

    [Fact]
    public async Task ReadAsync_FramesArriveSplitAndBatched_EachComesOutWhole()
    {
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        var expected = Enumerable.Range(0, 50).Select(i => Encoding.UTF8.GetBytes(new string((char)('a' + (i % 26)), i * 7))).ToArray();
        var stream = new ArrayBufferWriter<byte>();
        foreach (var message in expected)
        {
            s_lengthPrefixed.WriteFrame(message, stream);
        }

        var bytes = stream.WrittenSpan.ToArray();
        var random = new Random(17);
        var writer = Task.Run(async () =>
        {
            for (var offset = 0; offset < bytes.Length;)
            {
                var size = Math.Min(random.Next(1, 40), bytes.Length - offset);
                await left.Transport.Output.WriteAsync(bytes.AsMemory(offset, size));
                offset += size;
            }

            await left.Transport.Output.CompleteAsync();
        });

        foreach (var message in expected)
        {
            var result = await reader.ReceiveAsync().WithTimeout();
            result.IsCompleted.Should().BeFalse();
            result.Message.ToArray().Should().Equal(message);
        }

        (await reader.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue();
        await writer.WithTimeout();
    }

    [Fact]
    public async Task ReadAsync_AfterDispose_CompletesInsteadOfTouchingTheReleasedBuffers()
    {
        var (left, right) = PipeConnection.CreatePair();
        var reader = MessageConnection.Create(right, s_lengthPrefixed, new MessageConnectionOptions { FrameTimeout = TimeSpan.FromMinutes(1) });
        var stream = new ArrayBufferWriter<byte>();
        s_lengthPrefixed.WriteFrame(new byte[] { 1 }, stream);
        s_lengthPrefixed.WriteFrame(new byte[] { 2 }, stream);
        await left.Transport.Output.WriteAsync(stream.WrittenMemory);

        var first = await reader.ReceiveAsync().WithTimeout();
        first.Message.ToArray().Should().Equal(1);
        await reader.DisposeAsync();

        // The second frame sat in the buffer of the last pipe read; after dispose it must not be handed out.
        var late = await reader.ReceiveAsync().AsTask().WithTimeout();
        late.IsCompleted.Should().BeTrue();
        late.Message.IsEmpty.Should().BeTrue();
        (await reader.ReceiveAsync().AsTask().WithTimeout()).IsCompleted.Should().BeTrue();
    }

    [Fact]
    public async Task ReadAsync_PeerClosesMidFrame_ThrowsTruncatedAndClosesTheConnectionGracefully()
    {
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        await left.Transport.Output.WriteAsync(new byte[] { 0, 0, 0, 10, 1, 2, 3 });
        await left.Transport.Output.CompleteAsync();

        var thrown = await FluentActions.Awaiting(() => reader.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<FramingException>();
        thrown.Which.Error.Should().Be(FramingError.TruncatedFrame);
        await TestTimeouts.UntilAsync(() => right.ConnectionClosed.IsCancellationRequested, because: "the connection should be closed");
        right.IsAborted.Should().BeFalse("the peer has finished sending: what was already sent to it still goes out");
    }

    [Fact]
    public async Task CloseAsync_WithAReplyHeldForTheBatch_SendsItBeforeClosing()
    {
        var (left, right) = PipeConnection.CreatePair();
        var server = MessageConnection.Create(right, s_lengthPrefixed);
        var batch = new ArrayBufferWriter<byte>();
        s_lengthPrefixed.WriteFrame("one"u8, batch);
        s_lengthPrefixed.WriteFrame("two"u8, batch);
        await left.Transport.Output.WriteAsync(batch.WrittenMemory);

        var read = server.ReceiveAsync().AsTask();
        read.IsCompleted.Should().BeTrue("the batch is buffered");
        (await read).Message.ToArray().Should().Equal("one"u8.ToArray());
        await server.SendAsync("reply"u8.ToArray()).AsTask().WithTimeout(); // held: "two" is buffered behind it
        await server.CloseAsync().AsTask().WithTimeout();

        await using var client = MessageConnection.Create(left, s_lengthPrefixed);
        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("reply"u8.ToArray());
        (await client.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue();
    }

    [Fact]
    public async Task ReadAsync_PipelinedLinesThenPeerClosesMidLine_RepliesHeldForTheBatchStillDelivered()
    {
        var codec = new LineCodec();
        var (left, right) = PipeConnection.CreatePair();
        await using var server = MessageConnection.Create(right, codec);

        // Like `nc -N`: complete lines, a last line without its LF, and the sending side shut at once, all
        // buffered before the server reads (a handler that starts late sees it all in one read).
        await left.Transport.Output.WriteAsync("one\ntwo\nthree"u8.ToArray());
        await left.Transport.Output.CompleteAsync();

        FramingException? failure = null;
        try
        {
            while (true)
            {
                // All buffered already: each read completes at once, on this thread, as a handler's would.
                var read = server.ReceiveAsync().AsTask();
                read.IsCompleted.Should().BeTrue();
                var result = await read;
                if (result.IsCompleted)
                {
                    break;
                }

                await server.SendAsync(Encoding.ASCII.GetBytes("echo: " + codec.GetString(result.Message))).AsTask().WithTimeout();
            }
        }
        catch (FramingException ex)
        {
            failure = ex;
        }

        failure.Should().NotBeNull().And.Subject.As<FramingException>().Error.Should().Be(FramingError.TruncatedFrame);
        var replies = new List<byte>();
        while (true)
        {
            var result = await left.Transport.Input.ReadAsync().AsTask().WithTimeout();
            replies.AddRange(result.Buffer.ToArray());
            left.Transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Encoding.ASCII.GetString(replies.ToArray()).Should().Be("echo: one\necho: two\n", "nothing the server accepted may be lost");
    }

    [Fact]
    public async Task ReadAsync_OversizedPrefix_ThrowsAtOnceAndLaterReadsThrowTheSame()
    {
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        await left.Transport.Output.WriteAsync(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF });

        var first = await FluentActions.Awaiting(() => reader.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<FramingException>();
        first.Which.Error.Should().Be(FramingError.FrameTooLarge);
        var second = await FluentActions.Awaiting(() => reader.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<FramingException>();
        second.Which.Should().BeSameAs(first.Which);
        right.IsAborted.Should().BeTrue();
        right.AbortReason.Should().BeSameAs(first.Which);
    }

    [Fact]
    public async Task FrameTimeout_PrefixThenStall_CutOffAtTheDeadline()
    {
        var clock = new ManualTimeProvider();
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed, new MessageConnectionOptions { FrameTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock });
        await left.Transport.Output.WriteAsync(new byte[] { 0, 0, 0, 100, 1 });

        var read = reader.ReceiveAsync().AsTask();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0);
        clock.Advance(TimeSpan.FromSeconds(4));
        read.IsCompleted.Should().BeFalse("4 s into a 5 s deadline");
        clock.Advance(TimeSpan.FromSeconds(1));

        var thrown = await FluentActions.Awaiting(() => read.WithTimeout()).Should().ThrowAsync<FramingException>();
        thrown.Which.Error.Should().Be(FramingError.FrameTimeout);
        right.IsAborted.Should().BeTrue();
    }

    [Fact]
    public async Task FrameTimeout_LineDrippedByteByByte_CutOffAlthoughBytesKeepComing()
    {
        var clock = new ManualTimeProvider();
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, new LineCodec(), new MessageConnectionOptions { FrameTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock });
        var read = reader.ReceiveAsync().AsTask();

        Exception? failure = null;
        for (var i = 0; i < 30 && failure is null; i++)
        {
            await left.Transport.Output.WriteAsync("x"u8.ToArray());
            await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0 || read.IsCompleted);
            clock.Advance(TimeSpan.FromSeconds(1));

            // A deadline that fired only cancelled the pending read: the reader aborts the connection (and with it our
            // output: writing there would throw) on the pool, later. The fired timer stays disarmed, so wait for that
            // read to end before writing again; a timer still armed means the deadline has not passed.
            await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0 || read.IsCompleted);
            if (read.IsCompleted)
            {
                failure = read.Exception?.InnerException;
            }
        }

        if (failure is null)
        {
            failure = (await FluentActions.Awaiting(() => read.WithTimeout()).Should().ThrowAsync<FramingException>()).Which;
        }

        failure.Should().BeOfType<FramingException>().Which.Error.Should().Be(FramingError.FrameTimeout);
    }

    [Fact]
    public async Task IdleTimeout_NothingBetweenFrames_ThrowsTimeoutAndCloses()
    {
        var clock = new ManualTimeProvider();
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed, new MessageConnectionOptions { IdleTimeout = TimeSpan.FromSeconds(60), TimeProvider = clock });
        var sender = MessageConnection.Create(left, s_lengthPrefixed);
        await sender.SendAsync("one"u8.ToArray());
        (await reader.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("one"u8.ToArray());

        var read = reader.ReceiveAsync().AsTask();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0);
        clock.Advance(TimeSpan.FromSeconds(61));

        await FluentActions.Awaiting(() => read.WithTimeout()).Should().ThrowAsync<TimeoutException>();
        right.IsAborted.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_ConcurrentSenders_FramesNeverInterleave()
    {
        var (left, right) = PipeConnection.CreatePair();
        var sender = MessageConnection.Create(left, s_lengthPrefixed);
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        const int senders = 8, perSender = 300;

        var sending = Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
            {
                // Distinct, self-describing payloads of varying size: sender, sequence, then filler.
                var payload = new byte[9 + ((s * 31 + i) % 200)];
                BinaryPrimitives.WriteInt32BigEndian(payload, s);
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), i);
                payload.AsSpan(8).Fill((byte)(s ^ i));
                if (i % 2 == 0)
                {
                    await sender.SendAsync(payload);
                }
                else
                {
                    await sender.SendAsync(payload, static (p, w) => w.Write(p));
                }
            }
        })).ToArray();

        var next = new int[senders];
        for (var n = 0; n < senders * perSender; n++)
        {
            var message = (await reader.ReceiveAsync().WithTimeout()).Message.ToArray();
            var s = BinaryPrimitives.ReadInt32BigEndian(message);
            var i = BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(4));
            i.Should().Be(next[s]++, "each sender's messages arrive whole and in its order");
            message.Length.Should().Be(9 + ((s * 31 + i) % 200));
            message.AsSpan(8).ToArray().Should().OnlyContain(b => b == (byte)(s ^ i));
        }

        await Task.WhenAll(sending).WithTimeout();
    }

    [Fact]
    public async Task SendAsync_WriterThrows_NothingSentAndConnectionStillWorks()
    {
        var (left, right) = PipeConnection.CreatePair();
        var sender = MessageConnection.Create(left, s_lengthPrefixed);
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);

        await FluentActions.Awaiting(() => sender.SendAsync(0, static (_, w) =>
        {
            w.Write("partial"u8);
            throw new InvalidOperationException("serializer failed");
        }).AsTask()).Should().ThrowAsync<InvalidOperationException>();
        await sender.SendAsync("after"u8.ToArray());

        (await reader.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("after"u8.ToArray());
    }

    [Fact]
    public async Task SendAsync_AfterPeerClosed_ThrowsConnectionAborted()
    {
        var (left, right) = PipeConnection.CreatePair();
        var sender = MessageConnection.Create(left, s_lengthPrefixed);
        await right.Transport.Input.CompleteAsync(); // the far side stops reading

        await FluentActions.Awaiting(() => sender.SendAsync(new byte[10]).AsTask().WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
    }

    [Fact]
    public async Task ReadAsync_Concurrently_SecondIsRefused()
    {
        var (_, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        var first = reader.ReceiveAsync().AsTask();

        await FluentActions.Awaiting(() => reader.ReceiveAsync().AsTask()).Should().ThrowAsync<InvalidOperationException>();
        first.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task JavaUtf_OverMessageConnection_StringsRoundTrip()
    {
        var (left, right) = PipeConnection.CreatePair();
        var sender = MessageConnection.Create(left, JavaUtfCodec.Instance);
        await using var reader = MessageConnection.Create(right, JavaUtfCodec.Instance);
        string[] texts = ["Hello", "café 日本", "a\0b", "😀", string.Empty];

        foreach (var text in texts)
        {
            await sender.SendAsync(text, static (t, w) =>
            {
                // A writeUTF frame is length + bytes: send the bytes, the codec adds the length.
                var framed = new ArrayBufferWriter<byte>();
                JavaUtfCodec.WriteString(t, framed);
                w.Write(framed.WrittenSpan[2..]);
            });
        }

        foreach (var text in texts)
        {
            JavaUtfCodec.ReadString((await reader.ReceiveAsync().WithTimeout()).Message).Should().Be(text);
        }
    }

    [Fact]
    public async Task PipelinedRequests_RepliesHeldBackForTheBatch_AllArrive()
    {
        var (left, right) = PipeConnection.CreatePair();
        var client = MessageConnection.Create(left, s_lengthPrefixed);
        await using var server = MessageConnection.Create(right, s_lengthPrefixed);

        // Ten requests in one write: the server sees them as one batch and answers each.
        var batch = new ArrayBufferWriter<byte>();
        for (var i = 0; i < 10; i++)
        {
            s_lengthPrefixed.WriteFrame([(byte)i], batch);
        }

        await left.Transport.Output.WriteAsync(batch.WrittenMemory);
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var request = await server.ReceiveAsync();
                await server.SendAsync(new[] { (byte)(request.Message.FirstSpan[0] + 100) });
            }

            // The last reply had nothing buffered behind it, so it went out at once, with the held-back ones.
        });

        for (var i = 0; i < 10; i++)
        {
            (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal((byte)(i + 100));
        }

        await serving.WithTimeout();
    }

    [Fact]
    public async Task HeldBackReply_HandlerReadsAgain_ReplyLeavesBeforeTheReaderWaits()
    {
        var (left, right) = PipeConnection.CreatePair();
        var client = MessageConnection.Create(left, s_lengthPrefixed);
        await using var server = MessageConnection.Create(right, s_lengthPrefixed);
        var batch = new ArrayBufferWriter<byte>();
        s_lengthPrefixed.WriteFrame("a"u8, batch);
        s_lengthPrefixed.WriteFrame("b"u8, batch);
        await left.Transport.Output.WriteAsync(batch.WrittenMemory);

        (await server.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("a"u8.ToArray());
        await server.SendAsync("reply-a"u8.ToArray()); // held back: "b" is buffered behind "a"
        (await server.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("b"u8.ToArray());
        var third = server.ReceiveAsync().AsTask(); // must wait for more input, so it flushes "reply-a" first

        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("reply-a"u8.ToArray());
        third.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task SendAsync_ReaderStopsReading_BackPressureHoldsTheSenderInsteadOfGrowingMemory()
    {
        // The in-memory pipe pauses its writer at 64 KiB unread, as the transport's pipe does at its limit.
        var (left, right) = PipeConnection.CreatePair();
        var sender = MessageConnection.Create(left, s_lengthPrefixed);
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        var payload = new byte[1000];

        ValueTask pending = default;
        var sent = 0;
        for (; sent < 10_000; sent++)
        {
            pending = sender.SendAsync(payload);
            if (!pending.IsCompleted)
            {
                break;
            }
        }

        sent.Should().BeLessThan(200, "the sender must be held once about 64 KiB are unread");
        pending.IsCompleted.Should().BeFalse();

        // Reading drains the pipe and releases the sender; every message arrives. (A message stays valid until
        // the next read, so the last batch is handed back to the pipe by the read that then waits.)
        for (var i = 0; i <= sent; i++)
        {
            (await reader.ReceiveAsync().WithTimeout()).Message.Length.Should().Be(payload.Length);
        }

        var waiting = reader.ReceiveAsync().AsTask();
        await pending.AsTask().WithTimeout();
        waiting.IsCompleted.Should().BeFalse("nothing more was sent");
    }

    [Fact]
    public async Task SendAsync_Writer_LengthPrefixed_WritesStraightIntoThePipeWithTheLengthBackFilled()
    {
        var (left, right) = PipeConnection.CreatePair();
        await using var sender = MessageConnection.Create(left, s_lengthPrefixed);
        var payload = Encoding.ASCII.GetBytes(new string('m', 700));
        var copiesBefore = Ocean.Framing.Internal.FrameWriter.ScratchFramesOnThisThread;

        var send = sender.SendAsync(payload, static (p, output) =>
        {
            output.Write(p.AsSpan(0, 300));
            output.Write(p.AsSpan(300));
        });

        // The frame is written synchronously, on this thread, before SendAsync returns.
        Ocean.Framing.Internal.FrameWriter.ScratchFramesOnThisThread.Should().Be(copiesBefore, "the message went into the pipe's memory, not a scratch buffer");
        await send.AsTask().WithTimeout();
        var frame = await right.Transport.Input.ReadExactlyAsync(4 + payload.Length).WithTimeout();
        BinaryPrimitives.ReadInt32BigEndian(frame).Should().Be(payload.Length);
        frame.AsSpan(4).ToArray().Should().Equal(payload);
    }

    [Fact]
    public async Task SendAsync_Writer_PassesTheMaximumMidMessage_NoPartialFrameAndTheConnectionWorks()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = 10_004 });
        var (left, right) = PipeConnection.CreatePair();
        await using var sender = MessageConnection.Create(left, codec);

        var thrown = await FluentActions.Awaiting(() => sender.SendAsync(0, static (_, output) =>
        {
            for (var i = 0; i < 30; i++)
            {
                output.Write(new byte[1000]); // past the pipe's first segment too
            }
        }).AsTask()).Should().ThrowAsync<FramingException>();
        thrown.Which.Error.Should().Be(FramingError.FrameTooLarge);

        await sender.SendAsync("ok"u8.ToArray()).AsTask().WithTimeout();
        var bytes = await right.Transport.Input.ReadExactlyAsync(6).WithTimeout();
        bytes.Should().Equal(0, 0, 0, 2, (byte)'o', (byte)'k'); // the first bytes on the wire are the next whole frame
    }

    [Fact]
    public async Task SendAsync_WriterSendsOnTheSameConnection_RefusedAndTheConnectionWorks()
    {
        var (left, right) = PipeConnection.CreatePair();
        await using var sender = MessageConnection.Create(left, s_lengthPrefixed);
        await using var receiver = MessageConnection.Create(right, s_lengthPrefixed);

        await FluentActions.Awaiting(() => sender.SendAsync(sender, static (connection, output) =>
        {
            output.Write("outer"u8);
            _ = connection.SendAsync("inner"u8.ToArray()); // would land in the middle of the outer frame
        }).AsTask()).Should().ThrowAsync<InvalidOperationException>();

        await sender.SendAsync("after"u8.ToArray()).AsTask().WithTimeout();
        (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("after"u8.ToArray());
    }

    [Fact]
    public async Task CancelPendingReceive_WithFramesBuffered_ReturnsCanceledThenTheFramesInOrder()
    {
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        var batch = new ArrayBufferWriter<byte>();
        s_lengthPrefixed.WriteFrame("one"u8, batch);
        s_lengthPrefixed.WriteFrame("two"u8, batch);
        await left.Transport.Output.WriteAsync(batch.WrittenMemory);
        (await reader.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("one"u8.ToArray());

        reader.CancelPendingReceive();

        (await reader.ReceiveAsync().WithTimeout()).IsCanceled.Should().BeTrue("even with a frame buffered, the cancel comes first");
        (await reader.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("two"u8.ToArray());
        var waiting = reader.ReceiveAsync().AsTask();
        waiting.IsCompleted.Should().BeFalse("the pipe's own cancel, left over, must not end a later read");
        await left.Transport.Output.WriteAsync(new byte[] { 0, 0, 0, 1, 3 });
        (await waiting.WithTimeout()).Message.ToArray().Should().Equal(3);
    }

    [Fact]
    public async Task CancelPendingReceive_WithAFrameDeadlineArmed_DoesNotFailTheFrame()
    {
        var clock = new ManualTimeProvider();
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed, new MessageConnectionOptions { FrameTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock });
        await left.Transport.Output.WriteAsync(new byte[] { 0, 0, 0, 2, 7 }); // half a frame: its deadline runs
        var pending = reader.ReceiveAsync().AsTask();

        reader.CancelPendingReceive();

        (await pending.WithTimeout()).IsCanceled.Should().BeTrue();
        await left.Transport.Output.WriteAsync(new byte[] { 8 });
        (await reader.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(7, 8);
    }

    [Fact]
    public async Task CancelPendingReceive_AsAFrameArrives_TheFrameIsNotLeftWaitingForMoreBytes()
    {
        var (left, right) = PipeConnection.CreatePair();
        await using var reader = MessageConnection.Create(right, s_lengthPrefixed);
        for (var round = 0; round < 50; round++)
        {
            var pending = reader.ReceiveAsync().AsTask();
            await left.Transport.Output.WriteAsync(new byte[] { 0, 0, 0, 1, (byte)round });
            reader.CancelPendingReceive(); // races the frame's arrival: either may be seen first

            var results = new List<MessageReceiveResult> { await pending.WithTimeout() };
            results.Add(await reader.ReceiveAsync().WithTimeout()); // never waits for bytes that will not come
            results.Count(r => r.IsCanceled).Should().Be(1);
            results.Single(r => !r.IsCanceled).Message.ToArray().Should().Equal((byte)round);
        }
    }

    [Fact]
    public async Task ReceiveAsync_HeldReplyAndAPeerThatDoesNotRead_StillReturnsTheNextFrame_AndCancelPendingReceiveWakesIt()
    {
        var (peer, local) = PipeConnection.CreatePair();
        var options = new MessageConnectionOptions { MaxHeldReplyBytes = 256 * 1024, TimeProvider = new ManualTimeProvider() }; // the 1 ms hold timer never fires
        await using var connection = MessageConnection.Create(local, s_lengthPrefixed, options);
        var batch = new ArrayBufferWriter<byte>();
        s_lengthPrefixed.WriteFrame("a"u8, batch);
        s_lengthPrefixed.WriteFrame("b"u8, batch);
        await peer.Transport.Output.WriteAsync(batch.WrittenMemory);

        // Both frames are buffered: the reply to the first is held for the batch. It is larger than the pipe's
        // pause threshold, and the peer never reads, so flushing it waits on back-pressure.
        (await connection.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("a"u8.ToArray());
        await connection.SendAsync(new byte[100_000]).AsTask().WithTimeout();
        (await connection.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("b"u8.ToArray());

        // The reader now sends what it held and waits for the peer: it must wait on bytes, not on that flush.
        var next = connection.ReceiveAsync().AsTask();
        var frame = new ArrayBufferWriter<byte>();
        s_lengthPrefixed.WriteFrame("c"u8, frame);
        await peer.Transport.Output.WriteAsync(frame.WrittenMemory);
        (await next.WithTimeout()).Message.ToArray().Should().Equal("c"u8.ToArray(), "the peer's next frame arrives though our replies are stuck");

        var pending = connection.ReceiveAsync().AsTask();
        connection.CancelPendingReceive();
        (await pending.WithTimeout()).IsCanceled.Should().BeTrue();
    }
}
