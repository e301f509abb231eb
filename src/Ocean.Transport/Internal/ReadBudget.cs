namespace Ocean.Transport.Internal;

/// <summary>
/// A server's budget of received bytes that its connections hold unconsumed (<see cref="SocketServerOptions.MaxBufferedBytes"/>).
/// Receive loops reserve what they write into an input pipe; <see cref="BudgetedPipeReader"/> releases it as the reader consumes.
/// </summary>
internal sealed class ReadBudget(long limit)
{
    private long _used;

    /// <summary>The most bytes the server's connections may hold unconsumed at once.</summary>
    public long Limit { get; } = limit;

    /// <summary>Bytes reserved now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="count"/> bytes unless that would exceed <see cref="Limit"/>; then reserves nothing.</summary>
    /// <remarks>One compare-exchange when uncontended. The check and the add are one step, so a reservation that fails never
    /// makes another connection's reservation fail.</remarks>
    public bool TryReserve(long count)
    {
        var used = Volatile.Read(ref _used);
        while (true)
        {
            if (used + count > Limit)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _used, used + count, used);
            if (seen == used)
            {
                return true;
            }

            used = seen;
        }
    }

    /// <summary>Gives back bytes reserved earlier.</summary>
    public void Release(long count) => Interlocked.Add(ref _used, -count);
}
