using Ocean.Transport;

namespace Ocean.Framing.Internal;

/// <summary>Ids for message connections that have no transport connection under them: the shape of <see cref="Connection.Id"/>.</summary>
internal static class ConnectionIds
{
    private static long s_lastId;

    /// <summary>A new id: <paramref name="prefix"/> and 8 hex digits, unique within the process.</summary>
    public static string Next(char prefix) =>
        prefix + Interlocked.Increment(ref s_lastId).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Whether a message connection is open, closed or aborted (and why), and its
/// <see cref="MessageConnection.ConnectionClosed"/> token: one place, so every kind reports the same exceptions.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The token is handed out and may be observed after the connection is gone: never disposed.")]
internal sealed class ConnectionLifetime
{
    private const int Open = 0;
    private const int ClosedState = 1;
    private const int AbortedState = 2;

    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _closed = new();
    private int _state;
    private int _signalled;
    private Exception? _abortReason;

    public CancellationToken Token => _closed.Token;

    public bool IsClosed => Volatile.Read(ref _state) != Open;

    public bool IsAborted => Volatile.Read(ref _state) == AbortedState;

    /// <summary>Moves to closed (or aborted, with its reason) and fires the token; <see langword="false"/> if already closed.</summary>
    public bool TryClose(bool abort, Exception? reason = null)
    {
        lock (_lock)
        {
            if (_state != Open)
            {
                return false;
            }

            _abortReason = reason;
            Volatile.Write(ref _state, abort ? AbortedState : ClosedState);
        }

        Signal();
        return true;
    }

    /// <summary>Fires the token (once) without changing state: the peer's end was read, or the transport went away.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            // CancelAsync marks the token cancelled now (it is, once the closing call returns) and runs the callbacks,
            // user code, on the thread pool: never inside the closing call, nor under a lock of its caller.
            var callbacks = _closed.CancelAsync();
            if (!callbacks.IsCompletedSuccessfully)
            {
                // A callback that throws must not surface as an unobserved task exception.
                callbacks.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    /// <summary>What a read on an aborted connection raises: the reason as the inner exception.</summary>
    public ConnectionAbortedException Aborted() =>
        new("The message connection was aborted" + (_abortReason is null ? "." : ": " + _abortReason.Message), _abortReason);

    /// <summary>What a send on a closed connection raises.</summary>
    public ConnectionAbortedException SendFailure() =>
        IsAborted ? Aborted() : new ConnectionAbortedException("The message connection is closed; the message was not sent.");

    public void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw SendFailure();
        }
    }

    public void ThrowIfAborted()
    {
        if (IsAborted)
        {
            throw Aborted();
        }
    }
}

/// <summary>
/// <see cref="MessageConnection.CancelPendingReceive"/> for connections whose reads wait on a token: a request
/// cancels the current source (waking a pending read) or is remembered for the next read.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A read may still hold the token while the connection is released; a spent source is disposed when replaced.")]
internal sealed class ReceiveCancellation
{
    private readonly Lock _lock = new();
    private CancellationTokenSource _source = new();
    private bool _requested;

    /// <summary>The token a read waits on (besides the caller's).</summary>
    public CancellationToken Token
    {
        get
        {
            lock (_lock)
            {
                return _source.Token;
            }
        }
    }

    public void Cancel()
    {
        // Under the lock, so a read that consumes the request sees its source already cancelled (and replaces it).
        lock (_lock)
        {
            _requested = true;
            _source.Cancel();
        }
    }

    /// <summary>Takes a pending request, if any: the read then returns a cancelled result.</summary>
    public bool TryConsume()
    {
        lock (_lock)
        {
            if (!_requested)
            {
                return false;
            }

            _requested = false;
            if (_source.IsCancellationRequested)
            {
                _source.Dispose();
                _source = new CancellationTokenSource(); // a cancelled source cannot be reset
            }

            return true;
        }
    }
}
