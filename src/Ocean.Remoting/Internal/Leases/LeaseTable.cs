using Microsoft.Extensions.Logging;

namespace Ocean.Remoting.Internal.Leases;

/// <summary>
/// The lender's side of the distributed garbage collector (Java RMI's DGC): which holders lease which of this side's
/// implicitly exported objects, until when. When an object's last lease ends (it expires, or its holder cleans it),
/// the table forgets the object and calls <c>released(number)</c>, once, outside its lock; the owner then un-exports it.
/// </summary>
/// <remarks>
/// <para>
/// <b>Known numbers.</b> Only a number the table was told about by <see cref="Grant"/> (the object was written into a
/// message) can be leased. <see cref="Dirty"/> and <see cref="Clean"/> ignore any other number: a dirty for an object
/// already released, never exported, or exported by name does not bring it back. An object is known from its first
/// grant until it is released or <see cref="Forget">forgotten</see>; a later grant of the same number starts a new
/// lifetime (and a later release). A <c>released</c> callback racing with such a grant can tell by
/// <see cref="Contains"/> (see there). Numbers must never be reused within one incarnation.
/// </para>
/// <para>
/// <b>Provisional leases.</b> <see cref="Grant"/> gives the object a lease held by the connection the reference was
/// written to (for example <c>"connection:42"</c>), lasting <see cref="Duration"/> from the last grant, so the object
/// lives until the receiver's first dirty. A dirty arriving through that connection (<c>viaProvisionalHolder</c>)
/// ends it. A clean does not: it may have crossed another message carrying the same reference on that connection,
/// still unread by its receiver, and that receiver's dirty will need the object; the provisional lease then simply
/// expires. Provisional holders and holder ids live in separate maps and cannot collide.
/// </para>
/// <para>
/// <b>Ordering.</b> The server runs calls concurrently, so a holder's dirty and clean can be applied in another order
/// than they were sent. Each (object, holder) keeps the highest sequence number applied; a dirty or clean whose
/// sequence is not higher is ignored. A clean leaves a tombstone carrying its sequence for one <see cref="Duration"/>,
/// so a late, older dirty does not resurrect the lease (nor does one arriving after the object was released: it is
/// unknown by then).
/// </para>
/// <para>
/// <b>Limits</b> (a holder id is chosen by the peer; a hostile one can invent many). A dirty or clean carries at most
/// <see cref="MaxNumbersPerCall"/> numbers, and a holder id at most <see cref="MaxHolderLength"/> characters
/// (otherwise <see cref="ArgumentException"/>). An object has at most <see cref="MaxHoldersPerObject"/> holder
/// entries and the table at most <see cref="MaxEntries"/> entries (leases, tombstones and provisional leases); a
/// dirty that would pass either limit is refused whole, nothing applied, with <see cref="InvalidOperationException"/>
/// (the dispatcher returns it to the caller as an error reply; the caller's renewer logs it and retries later).
/// A clean never fails for a limit: it then just leaves no tombstone. <see cref="Grant"/> is the side's own
/// doing and is never refused.
/// </para>
/// <para>
/// <b>Time.</b> Everything is measured on the <see cref="TimeProvider"/>; one timer checks expiry every
/// <see cref="Period"/> (a quarter of <see cref="Duration"/>, at least 25 ms), armed only while the table holds
/// something. A lease therefore ends between <see cref="Duration"/> and <see cref="Duration"/> + <see cref="Period"/>
/// after its last renewal.
/// </para>
/// </remarks>
internal sealed class LeaseTable : IDisposable
{
    /// <summary>The most numbers one dirty or clean may carry.</summary>
    public const int MaxNumbersPerCall = 1024;

    /// <summary>The longest holder id accepted, in characters.</summary>
    public const int MaxHolderLength = 128;

    /// <summary>The default of <see cref="MaxHoldersPerObject"/>.</summary>
    public const int DefaultMaxHoldersPerObject = 1024;

    /// <summary>The default of <see cref="MaxEntries"/>.</summary>
    public const int DefaultMaxEntries = 262_144;

    /// <summary>The shortest lease duration accepted.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest lease duration accepted.</summary>
    public static readonly TimeSpan MaximumDuration = TimeSpan.FromDays(1);

    private static readonly TimeSpan MinimumPeriod = TimeSpan.FromMilliseconds(25);

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, ObjectLeases> _objects = [];
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly Action<ulong> _released;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private int _leaseCount;
    private int _entryCount;
    private bool _armed;
    private bool _disposed;

    /// <summary>Creates an empty table; its timer is armed when the first object is granted.</summary>
    /// <param name="duration">How long a lease lasts without renewal (<see cref="MinimumDuration"/> to <see cref="MaximumDuration"/>).</param>
    /// <param name="time">The clock and timer source.</param>
    /// <param name="released">Called, outside the table's lock, when an object's last lease ended; exceptions it throws are logged.</param>
    /// <param name="logger">Where the table logs.</param>
    /// <param name="maxHoldersPerObject">The most holder entries (leases and tombstones) one object may have.</param>
    /// <param name="maxEntries">The most entries (leases, tombstones, provisional leases) in the whole table.</param>
    /// <exception cref="ArgumentOutOfRangeException">A duration or limit is out of range.</exception>
    public LeaseTable(
        TimeSpan duration,
        TimeProvider time,
        Action<ulong> released,
        ILogger logger,
        int maxHoldersPerObject = DefaultMaxHoldersPerObject,
        int maxEntries = DefaultMaxEntries)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(released);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, MinimumDuration);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, MaximumDuration);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHoldersPerObject, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        Duration = duration;
        Period = duration / 4 > MinimumPeriod ? duration / 4 : MinimumPeriod;
        MaxHoldersPerObject = maxHoldersPerObject;
        MaxEntries = maxEntries;
        _time = time;
        _origin = time.GetTimestamp();
        _released = released;
        _logger = logger;
        _timer = time.CreateTimer(static state => ((LeaseTable)state!).Expire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How long a lease lasts from its last dirty (or a provisional lease from its last grant).</summary>
    public TimeSpan Duration { get; }

    /// <summary>How often the timer looks for expired leases.</summary>
    public TimeSpan Period { get; }

    /// <summary>The most holder entries (leases and tombstones) one object may have.</summary>
    public int MaxHoldersPerObject { get; }

    /// <summary>The most entries (leases, tombstones, provisional leases) the table holds.</summary>
    public int MaxEntries { get; }

    /// <summary>The (object, holder) pairs with a lease alive now, provisional leases included.</summary>
    public int LeaseCount
    {
        get
        {
            lock (_lock)
            {
                return _leaseCount;
            }
        }
    }

    /// <summary>Entries held: <see cref="LeaseCount"/> plus the tombstones of recent cleans.</summary>
    public int EntryCount
    {
        get
        {
            lock (_lock)
            {
                return _entryCount;
            }
        }
    }

    /// <summary>The objects the table knows (each has at least one lease).</summary>
    public int ObjectCount
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="number"/> is known (it has a lease). The <c>released</c> callback runs outside the lock,
    /// so a <see cref="Grant"/> of the same number can come between the release and the callback; an owner that
    /// serialises its grants and its release handling under one lock of its own checks this in the callback and keeps
    /// the object exported when it is true again.
    /// </summary>
    /// <param name="number">The object number.</param>
    /// <returns><see langword="true"/> while the object has a lease.</returns>
    public bool Contains(ulong number)
    {
        lock (_lock)
        {
            return _objects.ContainsKey(number);
        }
    }

    /// <summary>
    /// Object <paramref name="number"/> was just written into a message on a connection: it gets (or renews) a
    /// provisional lease held by <paramref name="provisionalHolder"/> for <see cref="Duration"/>, and is known to the
    /// table from now on. Never refused; ignored once the table is disposed.
    /// </summary>
    /// <param name="number">The object number.</param>
    /// <param name="provisionalHolder">Names the connection, for example <c>"connection:42"</c>.</param>
    public void Grant(ulong number, string provisionalHolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(provisionalHolder);
        var added = false;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (!_objects.TryGetValue(number, out var leases))
            {
                leases = new ObjectLeases();
                _objects.Add(number, leases);
            }

            leases.Provisional ??= new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
            added = leases.Provisional.TryAdd(provisionalHolder, default);
            leases.Provisional[provisionalHolder] = Now + Duration;
            if (added)
            {
                leases.Live++;
                _leaseCount++;
                _entryCount++;
            }

            Arm();
        }

        if (added)
        {
            LeaseTelemetry.LeasesChanged(1);
        }
    }

    /// <summary>
    /// Starts or renews <paramref name="holder"/>'s leases on the known objects among <paramref name="numbers"/>
    /// (unknown numbers are ignored), and ends the provisional leases of <paramref name="viaProvisionalHolder"/> (the
    /// connection the dirty came through) on them. A number whose (object, holder) already saw a sequence at least
    /// <paramref name="sequence"/> is left alone.
    /// </summary>
    /// <param name="holder">The holder id (1 to <see cref="MaxHolderLength"/> characters).</param>
    /// <param name="sequence">The holder's sequence number for this call.</param>
    /// <param name="numbers">The object numbers (at most <see cref="MaxNumbersPerCall"/>).</param>
    /// <param name="viaProvisionalHolder">The provisional holder naming the connection the dirty came through, if any.</param>
    /// <returns>
    /// <see cref="Duration"/> if at least one number is known; <see cref="TimeSpan.Zero"/> if none is (the holder's
    /// references are stale: released, or never exported by reference).
    /// </returns>
    /// <exception cref="ArgumentException">The holder id is empty or too long, or there are too many numbers.</exception>
    /// <exception cref="InvalidOperationException">The dirty would pass <see cref="MaxHoldersPerObject"/> or <see cref="MaxEntries"/>; nothing was applied.</exception>
    /// <exception cref="ObjectDisposedException">The table is disposed.</exception>
    public TimeSpan Dirty(string holder, long sequence, ReadOnlySpan<ulong> numbers, string? viaProvisionalHolder)
    {
        CheckArguments(holder, numbers);
        var delta = 0;
        string? refusal = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var known = false;
            var added = 0;
            foreach (var number in numbers)
            {
                if (_objects.TryGetValue(number, out var leases))
                {
                    known = true;
                    var holders = leases.Holders?.Count ?? 0;
                    if (holders == 0 || !leases.Holders!.ContainsKey(holder))
                    {
                        if (holders >= MaxHoldersPerObject)
                        {
                            refusal = $"object {number} already has {MaxHoldersPerObject} holders, the limit";
                            break;
                        }

                        added++;
                    }
                }
            }

            if (refusal is null && added > 0 && _entryCount + added > MaxEntries)
            {
                refusal = $"the lease table holds {_entryCount} of at most {MaxEntries} entries and this dirty needs {added} more";
            }

            if (refusal is null)
            {
                if (!known)
                {
                    return TimeSpan.Zero;
                }

                var until = Now + Duration;
                foreach (var number in numbers)
                {
                    if (!_objects.TryGetValue(number, out var leases))
                    {
                        continue;
                    }

                    leases.Holders ??= new Dictionary<string, HolderLease>(StringComparer.Ordinal);
                    if (leases.Holders.TryGetValue(holder, out var lease))
                    {
                        if (sequence <= lease.Sequence)
                        {
                            continue;
                        }

                        if (lease.Cleaned)
                        {
                            lease.Cleaned = false;
                            leases.Live++;
                            delta++;
                        }
                    }
                    else
                    {
                        lease = new HolderLease();
                        leases.Holders.Add(holder, lease);
                        leases.Live++;
                        _entryCount++;
                        delta++;
                    }

                    lease.Sequence = sequence;
                    lease.Until = until;
                    if (viaProvisionalHolder is not null && leases.Provisional is { } provisional && provisional.Remove(viaProvisionalHolder))
                    {
                        leases.Live--;
                        _entryCount--;
                        delta--;
                    }
                }

                _leaseCount += delta;
            }
        }

        if (refusal is not null)
        {
            LeaseLog.DirtyRefused(_logger, holder, refusal);
            throw new InvalidOperationException("Lease refused: " + refusal + ".");
        }

        LeaseTelemetry.LeasesChanged(delta);
        return Duration;
    }

    /// <summary>
    /// Ends <paramref name="holder"/>'s leases on the known objects among <paramref name="numbers"/> (unknown numbers
    /// are ignored), leaving a tombstone with <paramref name="sequence"/> for one <see cref="Duration"/>. A number whose
    /// (object, holder) already saw a sequence at least <paramref name="sequence"/> is left alone. Objects left without
    /// a lease are released (the callback runs before this returns, on this thread).
    /// </summary>
    /// <param name="holder">The holder id (1 to <see cref="MaxHolderLength"/> characters).</param>
    /// <param name="sequence">The holder's sequence number for this call.</param>
    /// <param name="numbers">The object numbers (at most <see cref="MaxNumbersPerCall"/>).</param>
    /// <param name="viaProvisionalHolder">
    /// The connection the clean came through. Accepted for symmetry with <see cref="Dirty"/> but not used: a clean
    /// never ends a provisional lease (see the remarks on the class).
    /// </param>
    /// <exception cref="ArgumentException">The holder id is empty or too long, or there are too many numbers.</exception>
    /// <exception cref="ObjectDisposedException">The table is disposed.</exception>
    public void Clean(string holder, long sequence, ReadOnlySpan<ulong> numbers, string? viaProvisionalHolder)
    {
        CheckArguments(holder, numbers);
        var delta = 0;
        List<ulong>? released = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var purgeAt = Now + Duration;
            foreach (var number in numbers)
            {
                if (!_objects.TryGetValue(number, out var leases))
                {
                    continue;
                }

                leases.Holders ??= new Dictionary<string, HolderLease>(StringComparer.Ordinal);
                if (leases.Holders.TryGetValue(holder, out var lease))
                {
                    if (sequence <= lease.Sequence)
                    {
                        continue;
                    }

                    if (!lease.Cleaned)
                    {
                        lease.Cleaned = true;
                        leases.Live--;
                        delta--;
                    }

                    lease.Sequence = sequence;
                    lease.Until = purgeAt;
                }
                else if (leases.Holders.Count < MaxHoldersPerObject && _entryCount < MaxEntries)
                {
                    // A clean ahead of its dirty: the tombstone makes the dirty, arriving later, stale.
                    leases.Holders.Add(holder, new HolderLease { Sequence = sequence, Until = purgeAt, Cleaned = true });
                    _entryCount++;
                }

                if (leases.Live == 0)
                {
                    Remove(number, leases);
                    (released ??= []).Add(number);
                }
            }

            _leaseCount += delta;
        }

        LeaseTelemetry.LeasesChanged(delta);
        if (released is not null)
        {
            Release(released);
        }
    }

    /// <summary>The object was un-exported by other means: drops its leases and tombstones, without calling <c>released</c>.</summary>
    /// <param name="number">The object number; unknown numbers are ignored.</param>
    public void Forget(ulong number)
    {
        var live = 0;
        lock (_lock)
        {
            if (_disposed || !_objects.TryGetValue(number, out var leases))
            {
                return;
            }

            live = leases.Live;
            _leaseCount -= live;
            Remove(number, leases);
        }

        LeaseTelemetry.LeasesChanged(-live);
    }

    /// <summary>Stops the timer and drops every lease, without calling <c>released</c>. Later dirties and cleans throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        int live;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            live = _leaseCount;
            _leaseCount = 0;
            _entryCount = 0;
            _objects.Clear();
        }

        _timer.Dispose();
        LeaseTelemetry.LeasesChanged(-live);
    }

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    private static void CheckArguments(string holder, ReadOnlySpan<ulong> numbers)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        if (holder.Length > MaxHolderLength)
        {
            throw new ArgumentException($"A holder id has at most {MaxHolderLength} characters; this one has {holder.Length}.", nameof(holder));
        }

        if (numbers.Length > MaxNumbersPerCall)
        {
            throw new ArgumentException($"A dirty or clean carries at most {MaxNumbersPerCall} object numbers; this one has {numbers.Length}.", nameof(numbers));
        }
    }

    /// <summary>Removes a known object and its entries (the caller adjusts <see cref="_leaseCount"/>). Under the lock.</summary>
    private void Remove(ulong number, ObjectLeases leases)
    {
        _objects.Remove(number);
        _entryCount -= (leases.Holders?.Count ?? 0) + (leases.Provisional?.Count ?? 0);
    }

    /// <summary>Arms the expiry timer if it is not. Under the lock.</summary>
    private void Arm()
    {
        if (!_armed)
        {
            _armed = true;
            _timer.Change(Period, Period);
        }
    }

    /// <summary>The timer: ends expired leases, purges old tombstones, releases objects left without a lease.</summary>
    private void Expire()
    {
        var delta = 0;
        List<ulong>? released = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = Now;
            foreach (var (number, leases) in _objects)
            {
                if (leases.Holders is { } holders)
                {
                    foreach (var (holder, lease) in holders)
                    {
                        if (lease.Until <= now)
                        {
                            // Removing while enumerating a Dictionary is allowed (it does not invalidate the enumerator).
                            holders.Remove(holder);
                            _entryCount--;
                            if (!lease.Cleaned)
                            {
                                leases.Live--;
                                delta--;
                            }
                        }
                    }
                }

                if (leases.Provisional is { } provisional)
                {
                    foreach (var (holder, until) in provisional)
                    {
                        if (until <= now)
                        {
                            provisional.Remove(holder);
                            _entryCount--;
                            leases.Live--;
                            delta--;
                        }
                    }
                }

                if (leases.Live == 0)
                {
                    Remove(number, leases);
                    (released ??= []).Add(number);
                }
            }

            _leaseCount += delta;
            if (_objects.Count == 0 && _armed)
            {
                _armed = false;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        LeaseTelemetry.LeasesChanged(delta);
        if (released is not null)
        {
            Release(released);
        }
    }

    private void Release(List<ulong> numbers)
    {
        foreach (var number in numbers)
        {
            LeaseLog.Released(_logger, number);
            try
            {
                _released(number);
            }
            catch (Exception e)
            {
                LeaseLog.ReleaseCallbackFailed(_logger, number, e);
            }
        }
    }

    /// <summary>One object's leases. An object in the table always has <see cref="Live"/> &gt; 0.</summary>
    private sealed class ObjectLeases
    {
        /// <summary>Holder leases and tombstones, by holder id.</summary>
        public Dictionary<string, HolderLease>? Holders;

        /// <summary>Provisional leases: expiry by connection name.</summary>
        public Dictionary<string, TimeSpan>? Provisional;

        /// <summary>Live holder leases plus provisional leases.</summary>
        public int Live;
    }

    /// <summary>One holder's lease on one object, or its tombstone (<see cref="Cleaned"/>).</summary>
    private sealed class HolderLease
    {
        /// <summary>The highest sequence applied.</summary>
        public long Sequence;

        /// <summary>When the lease expires, or (a tombstone) when it is purged.</summary>
        public TimeSpan Until;

        /// <summary>A clean was applied last: a tombstone, not a lease.</summary>
        public bool Cleaned;
    }
}
