using System.Diagnostics.CodeAnalysis;
using Ocean.Marshalling;

namespace Ocean.Remoting.Internal.Leases;

/// <summary>
/// A lender reached through a caller (a client, for a server's objects; a connection, for a peer's callbacks): dirty and
/// clean calls on its <c>ocean.dgc</c>.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class DgcLeaseOwner : ILeaseOwner
{
    private readonly IDistributedGc _dgc;
    private readonly object _caller;
    private readonly string _description;
    private readonly Func<object, bool> _isGone;

    public DgcLeaseOwner(IRemoteCaller caller, IMarshaller marshaller, string description, Func<object, bool> isGone)
    {
        _dgc = RemotingProxy.Create<IDistributedGc>(RemoteInterface.Get(typeof(IDistributedGc), marshaller), caller, ObjectSpace.DgcName);
        _caller = caller;
        _description = description;
        _isGone = isGone;
    }

    public bool IsGone => _isGone(_caller);

    public string Describe() => _description;

    public Task<long> DirtyAsync(string holder, long sequence, string incarnation, ulong[] numbers, CancellationToken ct) =>
        _dgc.DirtyAsync(holder, sequence, incarnation, numbers).WaitAsync(ct);

    public Task CleanAsync(string holder, long sequence, string incarnation, ulong[] numbers, CancellationToken ct) =>
        _dgc.CleanAsync(holder, sequence, incarnation, numbers).WaitAsync(ct);
}
