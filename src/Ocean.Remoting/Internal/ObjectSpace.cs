using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Ocean.Marshalling;
using Ocean.Remoting.Internal.Leases;

namespace Ocean.Remoting.Internal;

/// <summary>
/// The objects of one side (a <see cref="RemotingServer"/> or a <see cref="RemotingClient"/>): its incarnation, its
/// exports by name and by number, the references it writes and the proxies it makes from the references it reads.
/// </summary>
/// <remarks>
/// <para>Every export has a number. A named export is reached by its name or by <c>~INCARNATION/NUMBER</c>; an object
/// exported implicitly (passed by reference) only by the latter, so a reference kept from an earlier run of the side
/// is recognised as stale. A side with an endpoint (a listening server) writes endpoint references, reachable from
/// anywhere; a side without one writes references bound to the connection they travel on, and its objects exported
/// that way are dropped with the connection.</para>
/// </remarks>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class ObjectSpace : IAsyncDisposable
{
    /// <summary>The built-in object every side exports for leases (dirty and clean calls).</summary>
    public const string DgcName = "ocean.dgc";

    /// <summary>How many other servers one side keeps clients for (references read from peers can name any endpoint).</summary>
    public const int MaxOtherServers = 64;

    private readonly Lock _lock = new();
    private readonly ExportTable _named = new();
    private readonly Dictionary<ulong, ExportedObject> _byNumber = [];
    private readonly Dictionary<(object Target, Type Interface, RemotingConnection? BoundTo), ExportedObject> _implicit = new(IdentityKeyComparer.Instance);
    private readonly Dictionary<(object Target, Type Interface, RemotingConnection? BoundTo), ExportedObject> _namedByTarget = new(IdentityKeyComparer.Instance);
    private readonly Dictionary<EndPoint, RemotingClient> _outbound = [];
    private readonly byte[] _keyPrefix;
    private readonly Func<RemotingConnection?, EndPoint?> _advertise;
    private readonly Func<EndPoint, RemotingClient> _connectTo;
    private readonly bool _acceptOtherServers;
    private readonly DistributedGc _dgc;
    private readonly Dictionary<RemotingConnection, List<ulong>> _boundByConnection = [];
    private readonly Dictionary<(IRemoteCaller Caller, string Key), WeakReference<LeaseAnchor>> _anchors = [];
    private int _anchorSweepAt = 64;
    private ulong _lastNumber;
    private bool _disposed;

    /// <param name="incarnation">This run of the side.</param>
    /// <param name="marshaller">The side's marshaller, references installed.</param>
    /// <param name="logger">Where lease and reference events go.</param>
    /// <param name="time">The clock of leases.</param>
    /// <param name="advertise">The endpoint written into references sent on a connection (<see langword="null"/>: none, references are bound to the connection).</param>
    /// <param name="connectTo">Makes a client (not yet connected) for an endpoint reference to another server.</param>
    /// <param name="acceptOtherServers">Whether references read from peers may name other servers (a server's choice; see <see cref="RemotingServerOptions.AcceptReferencesToOtherServers"/>).</param>
    /// <param name="leaseDuration">The lease this side grants on its implicit exports.</param>
    public ObjectSpace(ServerIncarnation incarnation, IMarshaller marshaller, ILogger logger, TimeProvider time, TimeSpan leaseDuration, Func<RemotingConnection?, EndPoint?> advertise, Func<EndPoint, RemotingClient> connectTo, bool acceptOtherServers = true)
    {
        _acceptOtherServers = acceptOtherServers;
        Incarnation = incarnation;
        IncarnationText = incarnation.ToString();
        Marshaller = marshaller;
        Logger = logger;
        _advertise = advertise;
        _connectTo = connectTo;
        _keyPrefix = Encoding.UTF8.GetBytes($"~{IncarnationText}/");
        Leases = new LeaseTable(leaseDuration, time, number => UnexportImplicit(number), logger);
        Renewer = new LeaseRenewer(time, logger);
        _dgc = new DistributedGc(Leases, IncarnationText, static () => RemoteCallContext.CurrentProvisionalHolder);
        ExportNamed(DgcName, RemoteInterface.Get(typeof(IDistributedGc), marshaller), _dgc);
    }

    /// <summary>The built-in lease service exported as <see cref="DgcName"/> (its calls have their own allowance on a connection).</summary>
    public object LeaseService => _dgc;

    /// <summary>The leases others hold on this side's implicit exports.</summary>
    public LeaseTable Leases { get; }

    /// <summary>Renews the leases of this side's proxies on others' objects.</summary>
    public LeaseRenewer Renewer { get; }

    public ServerIncarnation Incarnation { get; }

    public string IncarnationText { get; }

    public IMarshaller Marshaller { get; }

    public ILogger Logger { get; }

    /// <summary>The side's own client and its server's endpoint: references to that endpoint are called through it.</summary>
    public (RemotingClient Client, EndPoint EndPoint)? Self { get; set; }

    /// <summary>The number of objects exported now, named and implicit.</summary>
    public int ExportedCount
    {
        get
        {
            lock (_lock)
            {
                return _byNumber.Count;
            }
        }
    }

    // ---------------------------------------------------------------- exports

    public ExportedObject ExportNamed(string name, RemoteInterface description, object target)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ulong number;
            do
            {
                number = ++_lastNumber;
            }
            while (_byNumber.ContainsKey(number));

            var exported = new ExportedObject(name, description, target, number);
            _named.Add(exported);
            _byNumber.Add(exported.Number, exported);
            _namedByTarget.TryAdd((target, description.InterfaceType, null), exported); // passed by reference, it keeps this number
            LeaseTelemetry.ObjectExported();
            return exported;
        }
    }

    /// <summary>The objects exported by name now (the lease service included).</summary>
    public ExportedObject[] NamedExports() => _named.Snapshot();

    public bool UnexportNamed(string name)
    {
        lock (_lock)
        {
            if (_named.Remove(name) is not { } removed)
            {
                return false;
            }

            _byNumber.Remove(removed.Number);
            if (_namedByTarget.TryGetValue((removed.Target, removed.Interface.InterfaceType, null), out var byTarget) && ReferenceEquals(byTarget, removed))
            {
                _namedByTarget.Remove((removed.Target, removed.Interface.InterfaceType, null));
            }

            LeaseTelemetry.ObjectUnexported();
            return true;
        }
    }

    /// <summary>The reference of the object exported under <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">Nothing is exported under the name.</exception>
    /// <exception cref="InvalidOperationException">The side has no endpoint to put in a reference.</exception>
    public RemoteReference GetReference(string name)
    {
        if (!_named.TryGet(name, out var exported))
        {
            throw new KeyNotFoundException($"No object is exported under the name '{name}'.");
        }

        return EndPointReference(exported, _advertise(null))
            ?? throw new InvalidOperationException("This side has no IP endpoint to put in a reference: it listens on no TCP endpoint (set RemotingServerOptions.AdvertisedEndPoint).");
    }

    /// <summary>
    /// Exports <paramref name="value"/> implicitly (once per object, interface and binding) for a message on
    /// <paramref name="connection"/>, and returns the reference text to write.
    /// </summary>
    public string ExportImplicitly(object value, Type declaredType, RemotingConnection connection)
    {
        var endPoint = _advertise(connection);
        var boundTo = endPoint is null ? connection : null;
        ExportedObject exported;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (boundTo is not null && boundTo.IsClosedForExports)
            {
                throw new InvalidOperationException($"Connection {connection.Id} is closed; nothing more can be exported on it.");
            }

            if (_namedByTarget.TryGetValue((value, declaredType, null), out var named))
            {
                exported = named; // exported by name already: its number, never leased
            }
            else if (!_implicit.TryGetValue((value, declaredType, boundTo), out exported!))
            {
                var description = RemoteInterface.Get(declaredType, Marshaller);
                foreach (var method in description.Methods)
                {
                    method.PrepareInvoker();
                }

                var number = NewImplicitNumber();
                exported = new ExportedObject(KeyOf(IncarnationText, number), description, value, number, Leased: true, boundTo);
                _implicit.Add((value, declaredType, boundTo), exported);
                _byNumber.Add(number, exported);
                if (boundTo is not null)
                {
                    if (!_boundByConnection.TryGetValue(boundTo, out var numbers))
                    {
                        _boundByConnection.Add(boundTo, numbers = []);
                    }

                    numbers.Add(number);
                }

                LeaseTelemetry.ObjectExported();
                Log.ExportedImplicitly(Logger, exported.Name, declaredType.Name, connection.Id);
            }

            // Under the lock: a release of this number racing with this write sees the new grant and keeps the object.
            OnWritten(exported, connection);
        }

        return endPoint is null
            ? ReferenceSurrogates.FormatBound(IncarnationText, exported.Number, declaredType)
            : EndPointReference(exported, endPoint)!.ToString();
    }

    // An implicit export's number is 64 random bits (under the lock): its reference is a capability, which a peer that
    // was not handed it cannot guess by counting. Named exports, whose numbers GetReference gives away, count from 1.
    private ulong NewImplicitNumber()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong number;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
            number = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }
        while (number <= uint.MaxValue || _byNumber.ContainsKey(number)); // never a named export's small number

        return number;
    }

    /// <summary>Removes an implicit export (its last lease ended): later calls on it get unknown object.</summary>
    public bool UnexportImplicit(ulong number)
    {
        lock (_lock)
        {
            if (!_byNumber.TryGetValue(number, out var exported) || !exported.Leased || Leases.Contains(number))
            {
                return false; // not leased, or written again (a new provisional lease) since the table released it
            }

            _byNumber.Remove(number);
            _implicit.Remove((exported.Target, exported.Interface.InterfaceType, exported.BoundTo));
            if (exported.BoundTo is { } bound && _boundByConnection.TryGetValue(bound, out var numbers))
            {
                numbers.Remove(number);
            }

            LeaseTelemetry.ObjectUnexported();
            Log.Unexported(Logger, exported.Name);
            return true;
        }
    }

    /// <summary>A connection closed: the objects bound to it can no longer be reached.</summary>
    public void ConnectionClosed(RemotingConnection connection)
    {
        _dgc.ConnectionClosed(connection.ProvisionalHolder);
        List<ExportedObject>? dropped = null;
        lock (_lock)
        {
            if (_boundByConnection.Remove(connection, out var numbers))
            {
                foreach (var number in numbers)
                {
                    if (_byNumber.Remove(number, out var exported))
                    {
                        _implicit.Remove((exported.Target, exported.Interface.InterfaceType, exported.BoundTo));
                        (dropped ??= []).Add(exported);
                    }
                }
            }
        }

        if (dropped is not null)
        {
            OnDropped(dropped);
        }
    }

    /// <summary>Finds the object a request's key names, for a request on <paramref name="connection"/>.</summary>
    public bool TryFind(ReadOnlySpan<byte> key, RemotingConnection? connection, [NotNullWhen(true)] out ExportedObject? exported, out string? error)
    {
        error = null;
        if (key.IsEmpty || key[0] != (byte)'~')
        {
            if (_named.TryGet(key, out exported))
            {
                return true;
            }

            error = $"No object is exported under the name '{Encoding.UTF8.GetString(key)}'.";
            return false;
        }

        exported = null;
        if (!key.StartsWith(_keyPrefix))
        {
            var slash = key.LastIndexOf((byte)'/');
            var incarnation = Encoding.UTF8.GetString(slash > 1 ? key[1..slash] : key[1..]);
            error = $"The reference is stale: it names an object of incarnation {incarnation}, and this side is incarnation {IncarnationText} (restarted since the reference was made). The call was not run.";
            return false;
        }

        if (!Utf8Parser.TryParse(key[_keyPrefix.Length..], out ulong number, out var consumed) || consumed != key.Length - _keyPrefix.Length)
        {
            error = $"'{Encoding.UTF8.GetString(key)}' is not an object key (~INCARNATION/NUMBER).";
            return false;
        }

        lock (_lock)
        {
            if (_byNumber.TryGetValue(number, out exported) && (exported.BoundTo is null || ReferenceEquals(exported.BoundTo, connection)))
            {
                return true;
            }
        }

        exported = null;
        error = $"Object {number} of this side is not exported (its lease ended, it was unexported, or it is bound to another connection). The call was not run.";
        return false;
    }

    // ---------------------------------------------------------------- proxies from references

    /// <summary>A proxy (or this side's own object) for a bound reference read from <paramref name="connection"/>.</summary>
    public object ResolveBound(Type declaredType, string incarnation, ulong number, RemotingConnection connection)
    {
        if (incarnation == IncarnationText)
        {
            return Local(declaredType, number, connection);
        }

        return MakeProxy(declaredType, connection, incarnation, number, reference: null, boundTo: connection);
    }

    /// <summary>A proxy (or this side's own object) for an endpoint reference, read from <paramref name="connection"/> or given by the user.</summary>
    public object ResolveEndPoint(Type declaredType, RemoteReference reference, RemotingConnection? connection)
    {
        if (reference.Incarnation == Incarnation)
        {
            return Local(declaredType, reference.ObjectNumber, connection);
        }

        if (connection is not null && !_acceptOtherServers && !(Self is { } self && self.EndPoint.Equals(reference.EndPoint)))
        {
            throw new InvalidOperationException(
                $"A reference to an object of another server ({reference.EndPoint}) arrived from {connection.RemoteEndPoint}; this server does not call other servers on a peer's say-so " +
                "(RemotingServerOptions.AcceptReferencesToOtherServers is off).");
        }

        return MakeProxy(declaredType, CallerFor(reference.EndPoint), reference.Incarnation.ToString(), reference.ObjectNumber, reference, boundTo: null);
    }

    private object Local(Type declaredType, ulong number, RemotingConnection? connection)
    {
        ExportedObject? exported;
        lock (_lock)
        {
            _byNumber.TryGetValue(number, out exported);
        }

        if (exported is null || (exported.BoundTo is not null && !ReferenceEquals(exported.BoundTo, connection)))
        {
            throw new InvalidOperationException($"The reference names object {number} of this side, which is no longer exported.");
        }

        if (!declaredType.IsInstanceOfType(exported.Target))
        {
            throw new InvalidOperationException($"The reference names object {number} of this side, which is a {exported.Interface.InterfaceType.Name}, not a {declaredType.Name}.");
        }

        return exported.Target;
    }

    private object MakeProxy(Type declaredType, IRemoteCaller caller, string incarnation, ulong number, RemoteReference? reference, RemotingConnection? boundTo)
    {
        var description = RemoteInterface.Get(declaredType, Marshaller);
        var anchor = OnProxy(caller, incarnation, number, boundTo);
        return RemotingProxy.Create(description, caller, KeyOf(incarnation, number), new ProxyTarget(incarnation, number, reference, boundTo, anchor));
    }

    private RemotingClient CallerFor(EndPoint endPoint)
    {
        if (Self is { } self && self.EndPoint.Equals(endPoint))
        {
            return self.Client;
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_outbound.TryGetValue(endPoint, out var client))
            {
                if (_outbound.Count >= MaxOtherServers)
                {
                    throw new InvalidOperationException($"References name more than {MaxOtherServers} other servers; this side keeps clients for at most that many.");
                }

                client = _connectTo(endPoint);
                _outbound.Add(endPoint, client);
            }

            return client;
        }
    }

    private RemoteReference? EndPointReference(ExportedObject exported, EndPoint? endPoint)
    {
        var (host, port) = endPoint switch
        {
            IPEndPoint ip => (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4().ToString() : ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => (dns.Host, dns.Port),
            _ => (null, 0),
        };

        return host is null ? null : new RemoteReference(host, port, Incarnation, exported.Number, Protocol.MethodSignature.TypeName(exported.Interface.InterfaceType));
    }

    public static string KeyOf(string incarnation, ulong number) => string.Create(CultureInfo.InvariantCulture, $"~{incarnation}/{number}");

    // ---------------------------------------------------------------- leases (hooks)

    // Written into a message: leased provisionally to the connection until the receiver's first dirty (or clean) over
    // it, so it cannot be collected while the message is on its way. Granted before the reference leaves.
    private void OnWritten(ExportedObject exported, RemotingConnection connection)
    {
        if (exported.Leased)
        {
            Leases.Grant(exported.Number, connection.ProvisionalHolder);
        }
    }

    private void OnDropped(List<ExportedObject> dropped)
    {
        foreach (var exported in dropped)
        {
            Leases.Forget(exported.Number);
            LeaseTelemetry.ObjectUnexported();
        }
    }

    // Every proxy for one object (through one caller) holds the same anchor; the lease renewer tracks the anchor
    // weakly, so the lease lives exactly while some proxy for the object does.
    private LeaseAnchor OnProxy(IRemoteCaller caller, string incarnation, ulong number, RemotingConnection? boundTo)
    {
        var key = (caller, KeyOf(incarnation, number));
        lock (_anchors)
        {
            if (_anchors.TryGetValue(key, out var weak) && weak.TryGetTarget(out var alive))
            {
                return alive;
            }

            var anchor = new LeaseAnchor(incarnation, number);
            _anchors[key] = new WeakReference<LeaseAnchor>(anchor);
            ILeaseOwner owner = boundTo is not null ? boundTo.LeaseOwner : ((RemotingClient)caller).LeaseOwner;
            Renewer.Track(anchor, owner, incarnation, number);
            if (_anchors.Count > _anchorSweepAt)
            {
                foreach (var (k, w) in _anchors.ToArray())
                {
                    if (!w.TryGetTarget(out _))
                    {
                        _anchors.Remove(k);
                    }
                }

                _anchorSweepAt = Math.Max(64, _anchors.Count * 2);
            }

            return anchor;
        }
    }

    // ---------------------------------------------------------------- closing

    /// <summary>Stops renewing: a best-effort clean for every proxy still held (bounded), while connections are still open.</summary>
    public ValueTask StopRenewingAsync() => Renewer.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await Renewer.DisposeAsync().ConfigureAwait(false);
        Leases.Dispose();
        RemotingClient[] outbound;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            // A side that stopped exports nothing any more: its objects leave the exported-objects meter.
            _disposed = true;
            LeaseTelemetry.ObjectsExported(-_byNumber.Count);
            _byNumber.Clear();
            _implicit.Clear();
            _namedByTarget.Clear();
            _boundByConnection.Clear();
            outbound = [.. _outbound.Values];
            _outbound.Clear();
        }

        foreach (var client in outbound)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>What the proxies of one remote object share; collected when the last of them is.</summary>
    private sealed record LeaseAnchor(string Incarnation, ulong Number);

    /// <summary>Compares implicit-export keys by the target's identity, not its equality.</summary>
    private sealed class IdentityKeyComparer : IEqualityComparer<(object Target, Type Interface, RemotingConnection? BoundTo)>
    {
        public static readonly IdentityKeyComparer Instance = new();

        public bool Equals((object Target, Type Interface, RemotingConnection? BoundTo) x, (object Target, Type Interface, RemotingConnection? BoundTo) y) =>
            ReferenceEquals(x.Target, y.Target) && x.Interface == y.Interface && ReferenceEquals(x.BoundTo, y.BoundTo);

        public int GetHashCode((object Target, Type Interface, RemotingConnection? BoundTo) key) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key.Target), key.Interface, key.BoundTo is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key.BoundTo));
    }
}
