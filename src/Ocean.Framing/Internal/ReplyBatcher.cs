using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Ocean.Transport;
using Ocean.Transport.Internal;

namespace Ocean.Framing.Internal;

/// <summary>
/// The send side of a stream message connection: writes frames into the pipe under one lock, coalesces flushes
/// (senders arriving while a flush is in progress are carried by the next one), and holds back replies sent
/// by the reading code while more of a pipelined batch is already buffered, so they leave in one write.
/// </summary>
/// <remarks>
/// The reader tells it two things only: <see cref="NoteFrameReturned"/> when it hands out a frame, and
/// <see cref="StartFlushHeld"/> before it waits for the peer (never waiting for that flush). Held replies are bounded by bytes
/// (<see cref="MessageConnectionOptions.MaxHeldReplyBytes"/>) and in time: replies held while the transport's receive
/// loop runs the reader inline are sent when that delivery ends (<see cref="IInputBurstObserver"/>), at the latest;
/// any others by a 1 ms timer on the given clock. The timer is the exception, so the common case arms no timer.
/// </remarks>
internal sealed class ReplyBatcher : IInputBurstObserver
{
    /// <summary>The longest a reply is held back for its batch, should the reader not come back to wait sooner.</summary>
    internal static readonly TimeSpan MaxHold = TimeSpan.FromMilliseconds(1);

    private static readonly TimerCallback s_onHoldExpired = static state =>
    {
        var batcher = (ReplyBatcher)state!;
        lock (batcher._lock)
        {
            batcher._holdTimerArmed = false;
        }

        batcher.HoldFlush = batcher.FlushHeldQuietlyAsync();
    };

    private readonly Lock _lock = new();
    private readonly PipeWriter _writer;
    private readonly int _maxHeldBytes;
    private readonly TimeProvider _time;
    private readonly Func<Exception> _closedError;
    private readonly Connection? _burstSource;
    private bool _flushing;
    private bool _flushAgain;
    private TaskCompletionSource? _nextFlush;

    // Reply bytes held back for the batch; past the maximum the sender flushes, so back-pressure applies in bytes too.
    private long _heldBytes;
    private bool _moreBuffered;
    private int _readerThread;
    private bool _flushDeferred;
    private bool _writing;
    private bool _closed;
    private ITimer? _holdTimer;
    private bool _holdTimerArmed;

    /// <param name="writer">The connection's output.</param>
    /// <param name="maxHeldBytes">How many reply bytes may be held back.</param>
    /// <param name="time">The clock for the hold timer.</param>
    /// <param name="closedError">What a send raises once the connection is closed.</param>
    /// <param name="burstSource">
    /// The transport connection whose receive loop delivers input inline; it tells this batcher when each delivery
    /// ends. <see langword="null"/>, or a connection that cannot (TLS), leaves the timer to bound every hold.
    /// </param>
    public ReplyBatcher(PipeWriter writer, int maxHeldBytes, TimeProvider time, Func<Exception> closedError, Connection? burstSource = null)
    {
        _writer = writer;
        _maxHeldBytes = maxHeldBytes;
        _time = time;
        _closedError = closedError;
        _burstSource = burstSource is not null && burstSource.TrySetInputBurstObserver(this) ? burstSource : null;
    }

    /// <summary>Whether the hold timer is armed (for tests).</summary>
    internal bool IsHoldTimerArmed
    {
        get
        {
            lock (_lock)
            {
                return _holdTimerArmed;
            }
        }
    }

    /// <summary>The hold timer's last flush (for tests): nobody awaits it, so it must never fail.</summary>
    internal Task? HoldFlush { get; private set; }

    /// <summary>Whether replies are held back now, waiting for the reader or the timer (for tests).</summary>
    internal bool IsHolding
    {
        get
        {
            lock (_lock)
            {
                return _flushDeferred;
            }
        }
    }

    /// <summary>
    /// Writes one frame with <paramref name="write"/> (which returns the bytes it wrote) under the lock, then
    /// flushes, or holds it back for the batch.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="write"/> tried to send on the same connection.</exception>
    public ValueTask SendAsync<TState>(TState state, Func<TState, PipeWriter, long> write)
    {
        lock (_lock)
        {
            if (_closed)
            {
                throw _closedError();
            }

            if (_writing)
            {
                // A message writer that sends on its own connection would write into the middle of its own frame.
                throw new InvalidOperationException("A message writer must not send on the connection it is writing to.");
            }

            long written;
            _writing = true;
            try
            {
                written = write(state, _writer);
            }
            finally
            {
                _writing = false;
            }

            if (TryDeferFlush(written))
            {
                return ValueTask.CompletedTask;
            }
        }

        return FlushAsync();
    }

    /// <summary>Called by the reader when it returns a frame: whether more input is already buffered behind it.</summary>
    public void NoteFrameReturned(bool moreBuffered)
    {
        // Written by the reading thread and compared against the sending thread's own id, so a stale value
        // seen by another thread can at worst hold its flush until the reader next waits.
        Volatile.Write(ref _readerThread, Environment.CurrentManagedThreadId);
        Volatile.Write(ref _moreBuffered, moreBuffered);
    }

    /// <summary>The reader is about to wait for the peer: send what is held for the batch.</summary>
    public ValueTask FlushHeldAsync()
    {
        if (!Volatile.Read(ref _flushDeferred))
        {
            // Nothing held (the usual case when the reader waits): no lock. Only the reader holds replies back, and it
            // is the caller, so it sees its own hold; a stale true just takes the lock below.
            Volatile.Write(ref _moreBuffered, false);
            return ValueTask.CompletedTask;
        }

        lock (_lock)
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
    /// The reader is about to wait for the peer: starts sending what is held, without waiting for it. A peer that
    /// does not read holds the flush on back-pressure; the reader must still wait on its bytes (and on
    /// <see cref="MessageConnection.CancelPendingReceive"/>), or two peers pipelining at each other could deadlock.
    /// The flush loop completes the flush; a failure is reported by the next send or read.
    /// </summary>
    public void StartFlushHeld()
    {
        var flush = FlushHeldAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(flush);
        }
    }

    /// <summary>
    /// The transport's receive loop has run the reader inline as far as it could on one receive: what the reader
    /// held back during it is sent now, should the reader have gone off to wait for something other than the peer.
    /// Usually the reader has already sent it before waiting for more input, and this only reads a flag.
    /// </summary>
    void IInputBurstObserver.OnInputBurstDelivered()
    {
        if (!Volatile.Read(ref _flushDeferred))
        {
            return;
        }

        lock (_lock)
        {
            if (!_flushDeferred || _closed)
            {
                return;
            }

            _flushDeferred = false;
        }

        var flush = FlushAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(flush);
        }
    }

    /// <summary>
    /// Marks the sending side closed, so later sends fail. Under the lock: once it returns no sender is writing
    /// into the pipe, so the transport may complete it.
    /// </summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }

        _holdTimer?.Dispose();
    }

    /// <summary>
    /// A reply sent by the reading code while more received frames are already buffered is not flushed at
    /// once: the reader flushes when it next has to wait, so replies to a batch of pipelined messages leave in
    /// one write instead of one system call each. Held back only up to the maximum: the send that passes it
    /// flushes (and waits, if the peer is not reading). Under the lock.
    /// </summary>
    private bool TryDeferFlush(long messageLength)
    {
        if (_moreBuffered && !_flushing && _readerThread == Environment.CurrentManagedThreadId)
        {
            _heldBytes += messageLength;
            if (_heldBytes > _maxHeldBytes)
            {
                return false; // the flush that follows carries everything held
            }

            _flushDeferred = true;
            if (!_holdTimerArmed && _burstSource?.IsDeliveringInputOnCurrentThread != true)
            {
                // Held outside an inline delivery: if the reader does not come back to wait soon, the timer sends what
                // is held. Armed once, not per batch (re-arming means waking the timer thread): a batch that starts
                // while it runs is flushed when it fires, sooner than the maximum, never later.
                _holdTimer ??= _time.CreateTimer(s_onHoldExpired, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _holdTimer.Change(MaxHold, Timeout.InfiniteTimeSpan);
                _holdTimerArmed = true;
            }

            return true;
        }

        return false;
    }

    private static async Task ObserveAsync(ValueTask flush)
    {
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Nobody waits for this flush: the connection's next send or read reports what went wrong.
        }
    }

    private async Task FlushHeldQuietlyAsync()
    {
        try
        {
            await FlushHeldAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Nobody awaits this flush (it may rethrow an abort's reason, of any type): the next send or read reports it.
        }
    }

    /// <summary>
    /// Flushes what is written. While one flush is in progress, later senders do not flush on their own:
    /// the flushing sender flushes once more for all of them, so their frames go out together.
    /// </summary>
    private ValueTask FlushAsync()
    {
        ValueTask<FlushResult> flush;
        lock (_lock)
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
                return ValueTask.FromException(_closedError());
            }

            _flushDeferred = false; // this flush carries anything held back
            _heldBytes = 0;
            flush = _writer.FlushAsync();
            if (flush.IsCompletedSuccessfully)
            {
                // The common case: the pipe took the bytes at once.
                var result = flush.Result;
                return result.IsCompleted || result.IsCanceled ? ValueTask.FromException(_closedError()) : ValueTask.CompletedTask;
            }

            _flushing = true;
        }

        return FlushLoopAsync(flush);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushLoopAsync(ValueTask<FlushResult> pending)
    {
        TaskCompletionSource? served = null; // the senders whose frames the pending flush carries
        try
        {
            while (true)
            {
                var result = await pending.ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled)
                {
                    throw _closedError();
                }

                served?.TrySetResult();
                lock (_lock)
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
                        throw _closedError();
                    }

                    _heldBytes = 0;
                    pending = _writer.FlushAsync();
                }
            }
        }
        catch (Exception ex)
        {
            served?.TrySetException(ex);
            lock (_lock)
            {
                _nextFlush?.TrySetException(ex);
                _nextFlush = null;
                _flushAgain = false;
                _flushing = false;
            }

            throw;
        }
    }
}
