using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Ocean.Transport.Internal;

/// <summary>
/// The application-facing input of a server connection: forwards to the input pipe's reader and gives the server's
/// <see cref="ReadBudget"/> back what the application consumes.
/// </summary>
/// <remarks>
/// <para>
/// Pipes do not report consumed counts, so <see cref="AdvanceTo(SequencePosition, SequencePosition)"/> measures them
/// against the last buffer it handed out. The receive loop reserves through <see cref="TryReserve"/>.
/// </para>
/// <para>
/// Each counter has one writer: <c>_reserved</c> the receive loop, <c>_released</c> the reader. When both sides have
/// ended (<see cref="EndWriting"/>, and <see cref="EndReading"/> or <see cref="Complete"/>), whatever is still reserved
/// goes back to the budget. Per receive and per <c>AdvanceTo</c> that is one interlocked operation on the budget, and no
/// allocation: a read that does not complete at once completes through this object (one read at a time, as pipes allow).
/// </para>
/// </remarks>
internal sealed class BudgetedPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    private readonly PipeReader _inner;
    private readonly ReadBudget _budget;
    private readonly Action _onPendingCompleted;
    private ManualResetValueTaskSourceCore<ReadResult> _completion; // mutable struct: never readonly, never copied
    private ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter _pending;
    private ReadOnlySequence<byte> _lastBuffer;
    private bool _hasBuffer;
    private long _reserved;
    private long _released;
    private int _readerEnded;
    private int _sidesRunning = 2;

    public BudgetedPipeReader(PipeReader inner, ReadBudget budget)
    {
        _inner = inner;
        _budget = budget;
        _onPendingCompleted = OnPendingCompleted;
    }

    public ReadBudget Budget => _budget;

    /// <summary>Receive loop: reserves <paramref name="count"/> bytes about to be written into the pipe; false when the budget is exhausted.</summary>
    public bool TryReserve(int count)
    {
        if (!_budget.TryReserve(count))
        {
            return false;
        }

        _reserved += count;
        return true;
    }

    /// <summary>Receive loop: nothing more will be reserved.</summary>
    public void EndWriting() => EndSide();

    /// <summary>The application is done with the input (its handler returned): nothing more will be consumed.</summary>
    public void EndReading()
    {
        if (Interlocked.Exchange(ref _readerEnded, 1) == 0)
        {
            EndSide();
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_inner.TryRead(out result))
        {
            Track(result);
            return true;
        }

        return false;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = _inner.ReadAsync(cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Track(pending.Result)) : Await(pending);
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!_hasBuffer || Volatile.Read(ref _readerEnded) != 0)
        {
            _inner.AdvanceTo(consumed, examined); // no read outstanding (the pipe reports the misuse) or already settled
            return;
        }

        // Measured before the pipe sees it: advancing returns consumed segments to the pool.
        var count = consumed.Equals(_lastBuffer.End) ? _lastBuffer.Length : _lastBuffer.Slice(_lastBuffer.Start, consumed).Length;
        _inner.AdvanceTo(consumed, examined);
        _hasBuffer = false;
        _lastBuffer = default;
        if (count > 0)
        {
            _released += count;
            _budget.Release(count);
        }
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _inner.Complete(exception);
        EndReading();
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        await _inner.CompleteAsync(exception).ConfigureAwait(false);
        EndReading();
    }

    protected override ValueTask<ReadResult> ReadAtLeastAsyncCore(int minimumSize, CancellationToken cancellationToken)
    {
        var pending = _inner.ReadAtLeastAsync(minimumSize, cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Track(pending.Result)) : Await(pending);
    }

    /// <summary>Completes the caller's read through this object once the pipe's read completes: no state machine, no allocation.</summary>
    private ValueTask<ReadResult> Await(ValueTask<ReadResult> pending)
    {
        _completion.Reset();
        _pending = pending.ConfigureAwait(false).GetAwaiter();
        _pending.UnsafeOnCompleted(_onPendingCompleted);
        return new ValueTask<ReadResult>(this, _completion.Version);
    }

    private void OnPendingCompleted()
    {
        var pending = _pending;
        _pending = default;
        ReadResult result;
        try
        {
            result = pending.GetResult();
        }
        catch (Exception ex)
        {
            _completion.SetException(ex);
            return;
        }

        _completion.SetResult(Track(result));
    }

    private ReadResult Track(in ReadResult result)
    {
        _lastBuffer = result.Buffer;
        _hasBuffer = true;
        return result;
    }

    private void EndSide()
    {
        // The interlocked decrement orders each side's last counter update before the other side's final read.
        if (Interlocked.Decrement(ref _sidesRunning) == 0)
        {
            var held = Volatile.Read(ref _reserved) - Volatile.Read(ref _released);
            if (held != 0)
            {
                _budget.Release(held);
            }
        }
    }
}
