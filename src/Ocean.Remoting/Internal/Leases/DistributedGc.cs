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
    /// <summary>How many distinct holder ids may lease through one connection (a side has one; a renewer reconnecting may show a few).</summary>
    public const int MaxHoldersPerConnection = 8;

    private readonly LeaseTable _table;
    private readonly string _incarnation;
    private readonly Func<string?> _provisionalHolder;
    private readonly Dictionary<string, HashSet<string>> _holdersByConnection = new(StringComparer.Ordinal);

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

        var connection = _provisionalHolder();
        if (connection is not null)
        {
            AdmitHolder(connection, holder);
        }

        var granted = _table.Dirty(holder, sequence, objects, connection);
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

    /// <summary>A connection closed: the holder ids seen on it no longer count against its limit.</summary>
    /// <param name="connection">The connection's provisional holder name.</param>
    public void ConnectionClosed(string connection)
    {
        lock (_holdersByConnection)
        {
            _holdersByConnection.Remove(connection);
        }
    }

    // A holder id is the peer's to choose: without this, one connection could invent ids until the table's entry limit
    // refuses everyone's leases. Each connection may show only a few.
    private void AdmitHolder(string connection, string holder)
    {
        lock (_holdersByConnection)
        {
            if (!_holdersByConnection.TryGetValue(connection, out var holders))
            {
                _holdersByConnection.Add(connection, holders = new HashSet<string>(StringComparer.Ordinal));
            }

            if (!holders.Contains(holder))
            {
                if (holders.Count >= MaxHoldersPerConnection)
                {
                    throw new InvalidOperationException($"More than {MaxHoldersPerConnection} lease holder ids on one connection; the dirty call is refused.");
                }

                holders.Add(holder);
            }
        }
    }
}
