namespace Ocean.Remoting.Internal.Leases;

/// <summary>
/// The object every side exports as <c>ocean.dgc</c>: <see cref="IDistributedGc"/> over the side's
/// <see cref="LeaseTable"/>, for the side's one incarnation.
/// </summary>
/// <remarks>
/// A call naming another incarnation is answered 0 (dirty) or ignored (clean): the caller's references come from an
/// earlier run. The connection a call came through (its provisional holder name) is read from the function given to
/// the constructor, on the calling thread, as the call starts. Argument errors and refusals throw (see
/// <see cref="LeaseTable.Dirty"/>), which the dispatcher turns into an error reply.
/// </remarks>
internal sealed class DistributedGc : IDistributedGc
{
    private readonly LeaseTable _table;
    private readonly string _incarnation;
    private readonly Func<string?> _provisionalHolder;

    /// <summary>Creates the collector of one side.</summary>
    /// <param name="table">The side's lease table.</param>
    /// <param name="incarnation">The side's incarnation, printed (<see cref="ServerIncarnation.ToString"/>).</param>
    /// <param name="provisionalHolder">
    /// Names the connection the current call came through, as <see cref="LeaseTable.Grant"/> was given it for objects
    /// written to that connection; <see langword="null"/> when unknown (no provisional lease is ended then).
    /// </param>
    public DistributedGc(LeaseTable table, string incarnation, Func<string?> provisionalHolder)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrEmpty(incarnation);
        ArgumentNullException.ThrowIfNull(provisionalHolder);
        _table = table;
        _incarnation = incarnation;
        _provisionalHolder = provisionalHolder;
    }

    /// <inheritdoc/>
    public Task<long> DirtyAsync(string holder, long sequence, string incarnation, ulong[] objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        if (!string.Equals(incarnation, _incarnation, StringComparison.Ordinal))
        {
            return Task.FromResult(0L);
        }

        var granted = _table.Dirty(holder, sequence, objects, _provisionalHolder());
        return Task.FromResult(granted <= TimeSpan.Zero ? 0L : Math.Max(1L, (long)granted.TotalMilliseconds));
    }

    /// <inheritdoc/>
    public Task CleanAsync(string holder, long sequence, string incarnation, ulong[] objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        if (string.Equals(incarnation, _incarnation, StringComparison.Ordinal))
        {
            _table.Clean(holder, sequence, objects, _provisionalHolder());
        }

        return Task.CompletedTask;
    }
}
