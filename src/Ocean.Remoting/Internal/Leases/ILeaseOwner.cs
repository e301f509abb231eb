namespace Ocean.Remoting.Internal.Leases;

/// <summary>
/// How a holder reaches the <c>ocean.dgc</c> of the side that lends some of its proxies' objects: an endpoint (through
/// the side's client pool) or one bound connection (a peer's callbacks). <see cref="LeaseRenewer"/> keys its state by
/// the owner's reference, so one owner object must stand for one lender.
/// </summary>
internal interface ILeaseOwner
{
    /// <summary>Names the lender for log messages (an endpoint, a connection id).</summary>
    /// <returns>The text.</returns>
    string Describe();

    /// <summary>
    /// Whether the lender can never be reached again (a bound connection closed): its proxies are dead and the
    /// renewer forgets them without a clean. Read often; must be cheap and must not block.
    /// </summary>
    bool IsGone { get; }

    /// <summary>Calls the lender's <see cref="IDistributedGc.DirtyAsync"/>.</summary>
    /// <param name="holder">The renewer's holder id.</param>
    /// <param name="sequence">The renewer's sequence number for this call.</param>
    /// <param name="incarnation">The lender's incarnation the numbers belong to.</param>
    /// <param name="numbers">The object numbers (at most <see cref="LeaseTable.MaxNumbersPerCall"/>).</param>
    /// <param name="ct">Cancelled when the renewer stops.</param>
    /// <returns>The lease granted in milliseconds; 0 when the references are stale.</returns>
    Task<long> DirtyAsync(string holder, long sequence, string incarnation, ulong[] numbers, CancellationToken ct);

    /// <summary>Calls the lender's <see cref="IDistributedGc.CleanAsync"/>.</summary>
    /// <param name="holder">The renewer's holder id.</param>
    /// <param name="sequence">The renewer's sequence number for this call.</param>
    /// <param name="incarnation">The lender's incarnation the numbers belong to.</param>
    /// <param name="numbers">The object numbers (at most <see cref="LeaseTable.MaxNumbersPerCall"/>).</param>
    /// <param name="ct">Cancelled when the renewer stops, or when its final cleans pass their time limit.</param>
    /// <returns>A task completed when the lender has ended the leases.</returns>
    Task CleanAsync(string holder, long sequence, string incarnation, ulong[] numbers, CancellationToken ct);
}
