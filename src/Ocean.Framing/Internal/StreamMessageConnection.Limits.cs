namespace Ocean.Framing.Internal;

/// <summary>The read side's bounds: the server's buffer budget for partial frames, and the frame and idle deadlines.</summary>
internal sealed partial class StreamMessageConnection
{
    /// <summary>
    /// Keeps this connection's reservation from the server's budget equal to what it holds beyond its
    /// allowance; <see langword="false"/> when the budget cannot cover it. Takes the lock only when the
    /// reservation changes, so connections within their allowance never touch it.
    /// </summary>
    private bool TryReserveFor(long held)
    {
        var needed = Math.Max(0, held - _budgetAllowance);
        if (needed == Volatile.Read(ref _reserved))
        {
            return true;
        }

        lock (_budgetLock)
        {
            if (_budgetReleased)
            {
                return true; // closed meanwhile: nothing is reserved any more
            }

            var change = needed - _reserved;
            if (change > 0 && !_budget!.TryReserve(change))
            {
                return false;
            }

            if (change < 0)
            {
                _budget!.Release(-change);
            }

            Volatile.Write(ref _reserved, needed);
            return true;
        }
    }

    /// <summary>Gives back whatever this connection reserved from the server's budget; it reserves nothing after.</summary>
    private void ReleaseBudget()
    {
        if (_budget is null)
        {
            return;
        }

        lock (_budgetLock)
        {
            _budgetReleased = true;
            _budget.Release(_reserved);
            Volatile.Write(ref _reserved, 0);
        }
    }

    /// <summary>Arms the one timer for whichever deadline applies while waiting: the frame's, or the idle one.</summary>
    private void ArmDeadline()
    {
        var partial = _frameStart != 0;
        var limit = partial ? _frameTimeout : _idleTimeout;
        if (limit == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        var elapsed = _time.GetElapsedTime(partial ? _frameStart : _lastFrameEnd);
        var due = limit - elapsed;
        _deadline ??= _time.CreateTimer(s_onDeadline, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _deadline.Change(due > TimeSpan.Zero ? due : TimeSpan.FromTicks(1), Timeout.InfiniteTimeSpan);
    }

    /// <summary>After a cancelled read: throws if a deadline really passed (the cancel may also be stale).</summary>
    private void CheckDeadlines()
    {
        if (_frameStart == 0 && !_buffer.IsEmpty)
        {
            _frameStart = _time.GetTimestamp();
        }

        if (_frameStart != 0)
        {
            if (_frameTimeout != Timeout.InfiniteTimeSpan && _time.GetElapsedTime(_frameStart) >= _frameTimeout)
            {
                Release(_buffer.Start, _buffer.End);
                throw Fail(new FramingException(FramingError.FrameTimeout, $"A frame did not complete within {_frameTimeout} of its first byte."), nameof(FramingError.FrameTimeout));
            }
        }
        else if (_idleTimeout != Timeout.InfiniteTimeSpan && _time.GetElapsedTime(_lastFrameEnd) >= _idleTimeout)
        {
            Release(_buffer.Start, _buffer.End);
            throw Fail(new TimeoutException($"No message arrived for {_idleTimeout}."), "IdleTimeout");
        }
    }
}
