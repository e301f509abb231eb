using System.Buffers;
using System.IO.Pipelines;
using Ocean.Framing.Internal;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>The send side of a stream message connection on its own: flushing, coalescing, and replies held for a batch.</summary>
public sealed class ReplyBatcherTests
{
    [Fact]
    public async Task SendAsync_NoBatchBuffered_FlushesAtOnce()
    {
        var pipe = new Pipe();
        var batcher = Create(pipe.Writer);

        await batcher.SendAsync("one"u8.ToArray(), Write).AsTask().WithTimeout();

        Readable(pipe).Should().Equal("one"u8.ToArray());
        batcher.IsHolding.Should().BeFalse();
    }

    [Fact]
    public async Task SendAsync_ReaderHasMoreBuffered_HeldUntilTheReaderWaits()
    {
        var pipe = new Pipe();
        var batcher = Create(pipe.Writer);
        batcher.NoteFrameReturned(moreBuffered: true);

        await batcher.SendAsync("one"u8.ToArray(), Write).AsTask().WithTimeout();
        await batcher.SendAsync("two"u8.ToArray(), Write).AsTask().WithTimeout();

        batcher.IsHolding.Should().BeTrue();
        Readable(pipe).Should().BeEmpty("the replies wait for the rest of the batch");

        await batcher.FlushHeldAsync().AsTask().WithTimeout();

        Readable(pipe).Should().Equal("onetwo"u8.ToArray());
        batcher.IsHolding.Should().BeFalse();
    }

    [Fact]
    public async Task SendAsync_Held_TheTimerReleasesItAfterOneMillisecond()
    {
        var pipe = new Pipe();
        var clock = new ManualTimeProvider();
        var batcher = new ReplyBatcher(pipe.Writer, 1024, clock, static () => new ConnectionAbortedException("closed"));
        batcher.NoteFrameReturned(moreBuffered: true);
        await batcher.SendAsync("held"u8.ToArray(), Write).AsTask().WithTimeout();
        Readable(pipe).Should().BeEmpty();

        clock.Advance(ReplyBatcher.MaxHold);

        byte[] seen = [];
        await TestTimeouts.UntilAsync(() => (seen = Readable(pipe)).Length > 0, because: "the hold timer should flush");
        seen.Should().Equal("held"u8.ToArray());
    }

    [Fact]
    public async Task SendAsync_Held_TheTimersFlushFailsWithAnyException_NothingLeftUnobserved()
    {
        var pipe = new Pipe();
        var clock = new ManualTimeProvider();
        var batcher = new ReplyBatcher(pipe.Writer, 1024, clock, static () => new TimeoutException("the connection timed out")); // an abort's reason
        batcher.NoteFrameReturned(moreBuffered: true);
        await batcher.SendAsync("held"u8.ToArray(), Write).AsTask().WithTimeout();
        await pipe.Reader.CompleteAsync(); // the flush finds the connection gone and raises the close's error

        clock.Advance(ReplyBatcher.MaxHold);

        await TestTimeouts.UntilAsync(() => batcher.HoldFlush is { IsCompleted: true }, because: "the hold timer should flush");
        batcher.HoldFlush!.IsCompletedSuccessfully.Should().BeTrue("nobody awaits the timer's flush: its failure must not become an unobserved task exception");
    }

    [Fact]
    public async Task SendAsync_HeldBytesPassTheMaximum_FlushesEverythingAtOnce()
    {
        var pipe = new Pipe();
        var batcher = new ReplyBatcher(pipe.Writer, maxHeldBytes: 10, new ManualTimeProvider(), static () => new ConnectionAbortedException("closed")); // the 1 ms hold timer never fires
        batcher.NoteFrameReturned(moreBuffered: true);

        await batcher.SendAsync("123456"u8.ToArray(), Write).AsTask().WithTimeout();
        Readable(pipe).Should().BeEmpty();
        await batcher.SendAsync("789012"u8.ToArray(), Write).AsTask().WithTimeout();

        Readable(pipe).Should().Equal("123456789012"u8.ToArray());
    }

    [Fact]
    public async Task SendAsync_FromAnotherThreadThanTheReader_NotHeld()
    {
        var pipe = new Pipe();
        var batcher = Create(pipe.Writer);
        using var noted = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            batcher.NoteFrameReturned(moreBuffered: true);
            noted.Set();
            done.Wait(TestTimeouts.Operation); // alive meanwhile, so no other thread can have its id
        });
        reader.Start();
        noted.Wait(TestTimeouts.Operation).Should().BeTrue();

        await batcher.SendAsync("other"u8.ToArray(), Write).AsTask().WithTimeout();
        done.Set();
        reader.Join();

        Readable(pipe).Should().Equal("other"u8.ToArray(), "only the reader's own replies are held for its batch");
    }

    [Fact]
    public async Task SendAsync_WhileAFlushWaits_CarriedByTheNextFlushAndBothComplete()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4, resumeWriterThreshold: 2, useSynchronizationContext: false));
        var batcher = Create(pipe.Writer);

        var first = batcher.SendAsync("first"u8.ToArray(), Write).AsTask();
        first.IsCompleted.Should().BeFalse("the pipe is over its threshold: the flush waits for the reader");
        var second = batcher.SendAsync("second"u8.ToArray(), Write).AsTask();
        second.IsCompleted.Should().BeFalse("it rides on the flush in progress");

        var received = await pipe.Reader.ReadExactlyAsync("firstsecond".Length).WithTimeout();

        received.Should().Equal("firstsecond"u8.ToArray());
        await Task.WhenAll(first, second).WithTimeout();
    }

    [Fact]
    public async Task SendAsync_AfterClose_ThrowsTheClosedError()
    {
        var pipe = new Pipe();
        var batcher = Create(pipe.Writer);
        batcher.NoteFrameReturned(moreBuffered: true);
        await batcher.SendAsync("held"u8.ToArray(), Write).AsTask().WithTimeout();

        batcher.Close();

        FluentActions.Invoking(() => batcher.SendAsync("late"u8.ToArray(), Write)).Should().Throw<ConnectionAbortedException>();
        await batcher.FlushHeldAsync().AsTask().WithTimeout(); // nothing to do once closed: the close sends what is held
    }

    [Fact]
    public async Task SendAsync_WriterSendsOnTheSameBatcher_Refused()
    {
        var pipe = new Pipe();
        var batcher = Create(pipe.Writer);

        FluentActions.Invoking(() => batcher.SendAsync(batcher, static (b, writer) =>
        {
            _ = b.SendAsync("inner"u8.ToArray(), Write);
            return 0;
        })).Should().Throw<InvalidOperationException>();

        await batcher.SendAsync("after"u8.ToArray(), Write).AsTask().WithTimeout();
        Readable(pipe).Should().Equal("after"u8.ToArray());
    }

    private static ReplyBatcher Create(PipeWriter writer) =>
        new(writer, 64 * 1024, new ManualTimeProvider(), static () => new ConnectionAbortedException("closed"));

    private static long Write(byte[] bytes, PipeWriter writer)
    {
        writer.Write(bytes);
        return bytes.Length;
    }

    /// <summary>What the pipe has flushed so far, without consuming it (marked examined: the next call sees only newer bytes).</summary>
    internal static byte[] Readable(Pipe pipe)
    {
        if (!pipe.Reader.TryRead(out var result))
        {
            return [];
        }

        var bytes = result.Buffer.ToArray();
        pipe.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        return bytes;
    }
}

/// <summary>Replies held while the transport delivers input inline: sent when the delivery ends, with no timer armed.</summary>
public sealed class ReplyBatcherBurstTests
{
    [Fact]
    public async Task HeldDuringAnInlineDelivery_NoTimerArmed_SentWhenTheDeliveryEnds()
    {
        var pipe = new Pipe();
        var clock = new ManualTimeProvider();
        var transport = new FakeBurstConnection();
        var batcher = new ReplyBatcher(pipe.Writer, 1024, clock, static () => new ConnectionAbortedException("closed"), transport);
        transport.Observer.Should().BeSameAs(batcher, "the batcher registers for the transport's delivery ends");

        transport.Delivering = true;
        batcher.NoteFrameReturned(moreBuffered: true);
        await batcher.SendAsync("one"u8.ToArray(), Write).AsTask().WithTimeout();
        await batcher.SendAsync("two"u8.ToArray(), Write).AsTask().WithTimeout();
        transport.Delivering = false;

        batcher.IsHolding.Should().BeTrue();
        batcher.IsHoldTimerArmed.Should().BeFalse("the delivery's end bounds the hold; no timer is needed");
        clock.ArmedTimers.Should().Be(0);
        ReplyBatcherTests.Readable(pipe).Should().BeEmpty();

        transport.Observer!.OnInputBurstDelivered(); // the reader went off to wait for something else

        ReplyBatcherTests.Readable(pipe).Should().Equal("onetwo"u8.ToArray());
        batcher.IsHolding.Should().BeFalse();
    }

    [Fact]
    public async Task HeldOutsideADelivery_TheTimerIsArmedOnce_AndFlushesEveryBatchHeldWhileItRuns()
    {
        var pipe = new Pipe();
        var clock = new ManualTimeProvider();
        var transport = new FakeBurstConnection();
        var batcher = new ReplyBatcher(pipe.Writer, 1024, clock, static () => new ConnectionAbortedException("closed"), transport);

        batcher.NoteFrameReturned(moreBuffered: true);
        await batcher.SendAsync("a"u8.ToArray(), Write).AsTask().WithTimeout();
        batcher.IsHoldTimerArmed.Should().BeTrue("held outside an inline delivery: only the timer bounds it");
        await batcher.FlushHeldAsync().AsTask().WithTimeout(); // the reader waits: the batch goes out
        ReplyBatcherTests.Readable(pipe).Should().Equal("a"u8.ToArray());

        batcher.NoteFrameReturned(moreBuffered: true);
        await batcher.SendAsync("b"u8.ToArray(), Write).AsTask().WithTimeout(); // held; the armed timer covers it
        ReplyBatcherTests.Readable(pipe).Should().BeEmpty();

        clock.Advance(ReplyBatcher.MaxHold);

        byte[] seen = [];
        await TestTimeouts.UntilAsync(() => (seen = ReplyBatcherTests.Readable(pipe)).Length > 1, because: "the hold timer should flush the later batch");
        seen.Should().Equal("ab"u8.ToArray(), "the first batch, still unread, then the later one");
        await TestTimeouts.UntilAsync(() => !batcher.IsHoldTimerArmed, because: "a fired timer is re-armed only by the next hold");
    }

    [Fact]
    public async Task DeliveryEnds_NothingHeld_SendsNothing()
    {
        var pipe = new Pipe();
        var transport = new FakeBurstConnection();
        var batcher = new ReplyBatcher(pipe.Writer, 1024, new ManualTimeProvider(), static () => new ConnectionAbortedException("closed"), transport);
        await batcher.SendAsync("x"u8.ToArray(), Write).AsTask().WithTimeout();
        ReplyBatcherTests.Readable(pipe).Should().Equal("x"u8.ToArray());

        transport.Observer!.OnInputBurstDelivered();

        ReplyBatcherTests.Readable(pipe).Should().BeEmpty();
    }

    private static long Write(byte[] message, PipeWriter writer)
    {
        writer.Write(message);
        return message.Length;
    }

    /// <summary>A transport connection reduced to its inline-delivery hooks.</summary>
    private sealed class FakeBurstConnection : Connection
    {
        public Ocean.Transport.Internal.IInputBurstObserver? Observer { get; private set; }

        public bool Delivering { get; set; }

        public override System.IO.Pipelines.IDuplexPipe Transport => throw new NotSupportedException();

        public override System.Net.EndPoint? LocalEndPoint => null;

        public override System.Net.EndPoint? RemoteEndPoint => null;

        public override CancellationToken ConnectionClosed => CancellationToken.None;

        internal override bool IsDeliveringInputOnCurrentThread => Delivering;

        internal override bool TrySetInputBurstObserver(Ocean.Transport.Internal.IInputBurstObserver observer)
        {
            Observer = observer;
            return true;
        }

        public override ValueTask CloseAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override void Abort(Exception? reason = null)
        {
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
