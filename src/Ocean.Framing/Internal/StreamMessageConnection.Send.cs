using System.Buffers;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

internal sealed partial class StreamMessageConnection
{
    private readonly Lock _writeLock = new();
    private bool _flushing;
    private bool _flushAgain;
    private TaskCompletionSource? _nextFlush;
    private static readonly TimerCallback s_onHoldExpired = static state => _ = ((StreamMessageConnection)state!).FlushHeldAsync();

    /// <summary>The longest a reply is held back for its batch, should the reader not come back to wait sooner.</summary>
    private static readonly TimeSpan s_maxHold = TimeSpan.FromMilliseconds(1);

    // Reply bytes held back for the batch; past MaxHeldReplyBytes the sender flushes, so back-pressure applies in bytes too.
    private long _heldBytes;

    private bool _moreBuffered;
    private int _readerThread;
    private bool _flushDeferred;
    private bool _closed;
    private ITimer? _holdTimer;

    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_writeLock)
        {
            ThrowIfClosed();
            _codec.WriteFrame(message.Span, _writer);
            if (TryDeferFlush(message.Length))
            {
                FramingMetrics.FramesSent.Add(1);
                return ValueTask.CompletedTask;
            }
        }

        FramingMetrics.FramesSent.Add(1);
        return FlushAsync();
    }

    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        cancellationToken.ThrowIfCancellationRequested();

        // The message is written aside first, so a writer that throws leaves the stream untouched.
        var scratch = PooledBufferWriter.Rent();
        try
        {
            writeMessage(state, scratch);
            lock (_writeLock)
            {
                ThrowIfClosed();
                _codec.WriteFrame(scratch.WrittenSpan, _writer);
                if (TryDeferFlush(scratch.WrittenCount))
                {
                    FramingMetrics.FramesSent.Add(1);
                    return ValueTask.CompletedTask;
                }
            }
        }
        finally
        {
            PooledBufferWriter.Return(scratch);
        }

        FramingMetrics.FramesSent.Add(1);
        return FlushAsync();
    }

    /// <summary>Called by the reader when it returns a frame: whether more input is already buffered behind it.</summary>
    private void NoteFrameReturned(bool moreBuffered)
    {
        // Written by the reading thread and compared against the sending thread's own id, so a stale value
        // seen by another thread can at worst hold its flush until the reader next waits.
        Volatile.Write(ref _readerThread, Environment.CurrentManagedThreadId);
        Volatile.Write(ref _moreBuffered, moreBuffered);
    }

    /// <summary>
    /// A reply sent by the reading code while more received frames are already buffered is not flushed at
    /// once: the reader flushes when it next has to wait, so replies to a batch of pipelined messages leave in
    /// one write instead of one system call each. Held back only up to <see cref="MessageConnectionOptions.MaxHeldReplyBytes"/>: the send that
    /// passes it flushes (and waits, if the peer is not reading). Must be called under the write lock.
    /// </summary>
    private bool TryDeferFlush(int messageLength)
    {
        if (_moreBuffered && !_flushing && _readerThread == Environment.CurrentManagedThreadId)
        {
            _heldBytes += messageLength;
            if (_heldBytes > _maxHeldBytes)
            {
                return false; // the flush that follows carries everything held
            }

            if (!_flushDeferred)
            {
                // Bounded: if the reader does not come back to wait soon, the timer sends what is held.
                _holdTimer ??= _time.CreateTimer(s_onHoldExpired, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _holdTimer.Change(s_maxHold, Timeout.InfiniteTimeSpan);
                _flushDeferred = true;
            }

            return true;
        }

        return false;
    }

    private async Task FlushHeldAsync()
    {
        try
        {
            await FlushDeferredAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionAbortedException or InvalidOperationException or IOException or ObjectDisposedException)
        {
            // The connection went away meanwhile: the next send or read reports it.
        }
    }

    /// <summary>
    /// Marks the sending side closed, so later sends fail with the documented exception. Under the write lock:
    /// once it returns no sender is writing into the pipe, so the transport may complete it.
    /// </summary>
    private void MarkClosed()
    {
        lock (_writeLock)
        {
            _closed = true;
        }

        _holdTimer?.Dispose();
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw Closed();
        }
    }

    private ValueTask FlushDeferredAsync()
    {
        lock (_writeLock)
        {
            _moreBuffered = false;
            if (!_flushDeferred || _closed)
            {
                return ValueTask.CompletedTask;
            }

            _flushDeferred = false;
        }

        return FlushAsync();
    }

    /// <summary>
    /// Flushes what is written. While one flush is in progress, later senders do not flush on their own:
    /// the flushing sender flushes once more for all of them, so their frames go out together.
    /// </summary>
    private ValueTask FlushAsync()
    {
        ValueTask<System.IO.Pipelines.FlushResult> flush;
        lock (_writeLock)
        {
            if (_flushing)
            {
                _flushAgain = true;
                return new ValueTask((_nextFlush ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task);
            }

            if (_closed)
            {
                // Closed since the frame was written: the close completes the pipe (sending what it holds), and
                // a completed pipe must not be touched.
                return ValueTask.FromException(Closed());
            }

            _flushDeferred = false; // this flush carries anything held back
            _heldBytes = 0;
            flush = _writer.FlushAsync();
            if (flush.IsCompletedSuccessfully)
            {
                // The common case: the pipe took the bytes at once.
                var result = flush.Result;
                return result.IsCompleted || result.IsCanceled ? ValueTask.FromException(Closed()) : ValueTask.CompletedTask;
            }

            _flushing = true;
        }

        return FlushLoopAsync(flush);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushLoopAsync(ValueTask<System.IO.Pipelines.FlushResult> pending)
    {
        TaskCompletionSource? served = null; // the senders whose frames the pending flush carries
        try
        {
            while (true)
            {
                var result = await pending.ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled)
                {
                    throw Closed();
                }

                served?.TrySetResult();
                lock (_writeLock)
                {
                    if (!_flushAgain)
                    {
                        _flushing = false;
                        return;
                    }

                    _flushAgain = false;
                    served = _nextFlush;
                    _nextFlush = null;
                    if (_closed)
                    {
                        throw Closed();
                    }

                    _heldBytes = 0;
                    pending = _writer.FlushAsync();
                }
            }
        }
        catch (Exception ex)
        {
            served?.TrySetException(ex);
            lock (_writeLock)
            {
                _nextFlush?.TrySetException(ex);
                _nextFlush = null;
                _flushAgain = false;
                _flushing = false;
            }

            throw;
        }
    }

    private static ConnectionAbortedException Closed() => new("The connection is closed; the message may not have been delivered.");
}
