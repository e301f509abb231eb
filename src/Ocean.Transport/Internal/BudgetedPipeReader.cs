using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

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
/// allocation (awaits that do not complete at once use a pooled state machine).
/// </para>
/// </remarks>
internal sealed class BudgetedPipeReader(PipeReader inner, ReadBudget budget) : PipeReader
{
    private readonly PipeReader _inner = inner;
    private readonly ReadBudget _budget = budget;
    private ReadOnlySequence<byte> _lastBuffer;
    private bool _hasBuffer;
    private long _reserved;
    private long _released;
    private int _readerEnded;
    private int _sidesRunning = 2;

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
        return pending.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Track(pending.Result)) : AwaitReadAsync(pending);
    }

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
        return pending.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Track(pending.Result)) : AwaitReadAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitReadAsync(ValueTask<ReadResult> pending) => Track(await pending.ConfigureAwait(false));

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
