namespace Ocean.Remoting.Internal.Leases;

/// <summary>
/// The distributed garbage collector's remote interface (Java RMI's <c>DGC</c>): every side exports one under the
/// built-in name <c>ocean.dgc</c>, and a side holding proxies for another side's objects calls it to lease them.
/// </summary>
/// <remarks>
/// Internal: <see cref="System.Reflection.DispatchProxy"/> proxies internal interfaces of this assembly, and both
/// marshallers carry its parameter types (<see cref="string"/>, <see cref="long"/>, arrays of <see cref="ulong"/>).
/// </remarks>
internal interface IDistributedGc
{
    /// <summary>Starts or renews <paramref name="holder"/>'s leases on <paramref name="objects"/>.</summary>
    /// <param name="holder">The calling side's <see cref="LeaseRenewer.HolderId"/>.</param>
    /// <param name="sequence">Increases with every dirty or clean call of <paramref name="holder"/>; an older call arriving late is ignored.</param>
    /// <param name="incarnation">The incarnation the caller believes the objects belong to (the printed <see cref="ServerIncarnation"/>).</param>
    /// <param name="objects">The object numbers, at most <see cref="LeaseTable.MaxNumbersPerCall"/>.</param>
    /// <returns>
    /// The lease granted, in milliseconds; 0 when nothing was granted: <paramref name="incarnation"/> is not the
    /// callee's, or none of the numbers names an object the callee still lends (the caller's proxies are stale).
    /// </returns>
    Task<long> DirtyAsync(string holder, long sequence, string incarnation, ulong[] objects);

    /// <summary>Ends <paramref name="holder"/>'s leases on <paramref name="objects"/> (its proxies were collected).</summary>
    /// <param name="holder">The calling side's <see cref="LeaseRenewer.HolderId"/>.</param>
    /// <param name="sequence">Increases with every dirty or clean call of <paramref name="holder"/>; an older call arriving late is ignored.</param>
    /// <param name="incarnation">The incarnation the caller believes the objects belong to; another one is ignored.</param>
    /// <param name="objects">The object numbers, at most <see cref="LeaseTable.MaxNumbersPerCall"/>.</param>
    /// <returns>A task completed when the leases are ended.</returns>
    Task CleanAsync(string holder, long sequence, string incarnation, ulong[] objects);
}
