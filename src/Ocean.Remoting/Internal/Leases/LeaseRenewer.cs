using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Ocean.Remoting.Internal.Leases;

/// <summary>
/// The holder's side of the distributed garbage collector: leases the objects behind this side's proxies from their
/// lenders, renews the leases while the proxies live, and ends them (a clean) when the proxies are collected.
/// </summary>
/// <remarks>
/// <para>
/// <b>Entries.</b> One entry per (owner, incarnation, number), holding its proxies through
/// <see cref="WeakReference{T}"/> only: the renewer never keeps a proxy alive. Tracking the same key again adds the
/// new proxy to the entry (the same proxy object twice is one); the entry lives until all its proxies are collected.
/// Owners are told apart by reference.
/// </para>
/// <para>
/// <b>Calls.</b> Each owner's calls go out one at a time, off the caller's thread (a pump on the thread pool), in
/// batches of at most <see cref="LeaseTable.MaxNumbersPerCall"/> numbers of one incarnation, each with a new sequence
/// number of <see cref="HolderId"/> (increasing across all calls of this renewer). New entries get a dirty at once.
/// After a granted lease of G, all the owner's leased entries are renewed together at G/2 after the dirty was sent
/// (clamped to <see cref="MinimumRenewInterval"/> .. <see cref="MaximumRenewInterval"/>). Every
/// <see cref="SweepPeriod"/> the timer looks for entries whose proxies were all collected and sends the owner one
/// clean for them; a new proxy tracked for such an entry before its clean went out revives it instead. A grant of 0
/// (the lender has another incarnation, or no longer lends those objects) marks the batch's entries stale: they are no
/// longer renewed nor cleaned, and are dropped when their proxies are collected. An owner that
/// <see cref="ILeaseOwner.IsGone">is gone</see> is forgotten with all its entries, without any call.
/// </para>
/// <para>
/// <b>Failures</b> (the owner is unreachable, refuses, or does not answer within <see cref="CallTimeout"/>) are logged and retried: not before a quarter of the last
/// grant (clamped to <see cref="MinimumRenewInterval"/> .. <see cref="SweepPeriod"/>; <see cref="SweepPeriod"/> before
/// any grant), then with whatever else is due. A clean is given up after <see cref="MaxCleanAttempts"/> failures
/// (the lease then expires at the lender). Nothing is ever thrown to the code that tracks proxies.
/// </para>
/// <para>
/// <b>Time.</b> One timer on the <see cref="TimeProvider"/>, armed for the next sweep or renewal only while there are
/// entries. <see cref="DisposeAsync"/> stops it, then sends a best-effort clean for every entry still leased, bounded
/// by the dispose timeout (measured on the same <see cref="TimeProvider"/>).
/// </para>
/// </remarks>
internal sealed class LeaseRenewer : IAsyncDisposable
{
    /// <summary>The default <see cref="SweepPeriod"/>.</summary>
    public static readonly TimeSpan DefaultSweepPeriod = TimeSpan.FromSeconds(5);

    /// <summary>The default bound on one dirty or clean (<see cref="CallTimeout"/>).</summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default bound on the final cleans of <see cref="DisposeAsync"/>.</summary>
    public static readonly TimeSpan DefaultDisposeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The shortest interval between renewals or retries, whatever a lender grants.</summary>
    public static readonly TimeSpan MinimumRenewInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>The longest interval between renewals, whatever a lender grants.</summary>
    public static readonly TimeSpan MaximumRenewInterval = TimeSpan.FromHours(12);

    /// <summary>How many times a clean is sent before it is given up.</summary>
    public const int MaxCleanAttempts = 3;

    private readonly Lock _lock = new();
    private readonly Dictionary<ILeaseOwner, OwnerState> _owners = new(ReferenceEqualityComparer.Instance);
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeSpan _disposeTimeout;
    private long _sequence;
    private int _tracked;
    private int _pumps;
    private TimeSpan _nextSweep = TimeSpan.MaxValue;
    private TimeSpan _armedFor = TimeSpan.MaxValue;
    private bool _disposed;

    /// <summary>Creates a renewer with a new random <see cref="HolderId"/>; its timer is armed when the first proxy is tracked.</summary>
    /// <param name="time">The clock and timer source.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="sweepPeriod">How often to look for collected proxies (default <see cref="DefaultSweepPeriod"/>; at least <see cref="MinimumRenewInterval"/>).</param>
    /// <param name="disposeTimeout">The bound on <see cref="DisposeAsync"/>'s final cleans (default <see cref="DefaultDisposeTimeout"/>).</param>
    /// <param name="callTimeout">The bound on one dirty or clean (default <see cref="DefaultCallTimeout"/>; positive).</param>
    /// <exception cref="ArgumentOutOfRangeException">A period or timeout is too short.</exception>
    public LeaseRenewer(TimeProvider time, ILogger logger, TimeSpan? sweepPeriod = null, TimeSpan? disposeTimeout = null, TimeSpan? callTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        SweepPeriod = sweepPeriod ?? DefaultSweepPeriod;
        ArgumentOutOfRangeException.ThrowIfLessThan(SweepPeriod, MinimumRenewInterval, nameof(sweepPeriod));
        _disposeTimeout = disposeTimeout ?? DefaultDisposeTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThan(_disposeTimeout, TimeSpan.Zero, nameof(disposeTimeout));
        CallTimeout = callTimeout ?? DefaultCallTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CallTimeout, TimeSpan.Zero, nameof(callTimeout));
        _time = time;
        _origin = time.GetTimestamp();
        _logger = logger;
        Span<byte> id = stackalloc byte[16];
        RandomNumberGenerator.Fill(id);
        HolderId = Convert.ToHexStringLower(id);
        _timer = time.CreateTimer(static state => ((LeaseRenewer)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>This holder's id: 32 random lower-case hex digits, sent with every dirty and clean.</summary>
    public string HolderId { get; }

    /// <summary>How often the timer looks for entries whose proxies were collected.</summary>
    public TimeSpan SweepPeriod { get; }

    /// <summary>
    /// How long the renewer waits for one dirty or clean before counting it failed (measured on the
    /// <see cref="TimeProvider"/>), so a lender that never answers does not stall that lender's renewals.
    /// </summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>Entries tracked: leased, waiting for their first dirty, stale, or collected and waiting for their clean.</summary>
    public int TrackedCount
    {
        get
        {
            lock (_lock)
            {
                return _tracked;
            }
        }
    }

    /// <summary>Whether no owner's calls are running or about to run (for tests: the renewer has done what is due).</summary>
    internal bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _pumps == 0;
            }
        }
    }

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    /// <summary>
    /// A proxy for object <paramref name="number"/> of <paramref name="incarnation"/> at <paramref name="owner"/> was
    /// created: tracks it weakly and, for a new entry, sends a dirty soon (batched, on another thread). Never blocks on
    /// the network and never throws for the owner's failures; ignored once the renewer is disposed.
    /// </summary>
    /// <param name="proxy">The proxy (held weakly).</param>
    /// <param name="owner">How to reach the lender.</param>
    /// <param name="incarnation">The lender's incarnation, printed.</param>
    /// <param name="number">The object number.</param>
    public void Track(object proxy, ILeaseOwner owner, string incarnation, ulong number)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentException.ThrowIfNullOrEmpty(incarnation);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = Now;
            if (!_owners.TryGetValue(owner, out var state))
            {
                state = new OwnerState(owner, SweepPeriod);
                _owners.Add(owner, state);
            }

            if (state.Entries.TryGetValue((incarnation, number), out var entry))
            {
                entry.Add(proxy);
                if (entry.Phase == Phase.Collected)
                {
                    // Its proxies were collected but a new one came: keep the lease instead of cleaning it. If the clean
                    // is already on its way, a new dirty (with a later sequence) follows it.
                    state.SetPhase(entry, entry.InFlight || !entry.WasLeased ? Phase.New : Phase.Leased);
                    entry.CleanAttempts = 0;
                }
            }
            else
            {
                entry = new Entry(incarnation, number, proxy);
                state.Entries.Add((incarnation, number), entry);
                state.SetPhase(entry, Phase.New);
                _tracked++;
                if (_nextSweep == TimeSpan.MaxValue)
                {
                    _nextSweep = now + SweepPeriod;
                }
            }

            StartIfDue(state, now);
            ArmFor(state, now);
        }
    }

    /// <summary>
    /// Stops the timer and the owners' calls, then sends each owner that is not gone a clean for its entries still
    /// leased, waiting at most the dispose timeout (failures are logged). Later <see cref="Track"/> calls are ignored.
    /// </summary>
    /// <returns>A task completed when the cleans are sent or the timeout passed.</returns>
    public async ValueTask DisposeAsync()
    {
        List<Task> pumps = [];
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var state in _owners.Values)
            {
                if (state.Pump is { } pump)
                {
                    pumps.Add(pump);
                }
            }
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        using var deadline = new CancellationTokenSource(_disposeTimeout, _time);
        try
        {
            // The pumps catch everything; cancelled, they end promptly unless an owner ignores its token.
            await Task.WhenAll(pumps).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        List<Batch> cleans = [];
        lock (_lock)
        {
            foreach (var state in _owners.Values)
            {
                var entries = new List<Entry>();
                foreach (var entry in state.Entries.Values)
                {
                    if (entry.Phase != Phase.Stale)
                    {
                        entries.Add(entry);
                    }
                }

                AddBatches(cleans, state, entries, clean: true);
            }

            _owners.Clear();
            _tracked = 0;
        }

        var sends = new List<Task>(cleans.Count);
        foreach (var batch in cleans)
        {
            sends.Add(FinalCleanAsync(batch, deadline.Token));
        }

        try
        {
            await Task.WhenAll(sends).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task FinalCleanAsync(Batch batch, CancellationToken ct)
    {
        try
        {
            if (!batch.State.Owner.IsGone)
            {
                await batch.State.Owner.CleanAsync(HolderId, NextSequence(), batch.Incarnation, batch.Numbers, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            LeaseLog.FinalCleanFailed(_logger, batch.Numbers.Length, Describe(batch.State.Owner), e);
        }
    }

    private long NextSequence() => Interlocked.Increment(ref _sequence);

    private static string Describe(ILeaseOwner owner)
    {
        try
        {
            return owner.Describe();
        }
        catch (Exception e)
        {
            return $"(an owner whose Describe threw {e.GetType().Name})";
        }
    }

    /// <summary>Starts the owner's pump if it is idle and has work due. Under the lock.</summary>
    private bool StartIfDue(OwnerState state, TimeSpan now)
    {
        if (state.Busy || _disposed || state.NextDue > now)
        {
            return false;
        }

        state.Busy = true;
        _pumps++;
        state.Pump = Task.Run(() => PumpAsync(state));
        return true;
    }

    /// <summary>Arms the timer for <paramref name="due"/> if it is not armed for that or earlier. Under the lock.</summary>
    private void ArmAtMost(TimeSpan due, TimeSpan now)
    {
        if (due < _armedFor && !_disposed)
        {
            _armedFor = due;
            _timer.Change(due > now ? due - now : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Arms the timer, if needed, for the next sweep or <paramref name="state"/>'s next work. Under the lock.</summary>
    private void ArmFor(OwnerState? state, TimeSpan now)
    {
        var due = _tracked > 0 ? _nextSweep : TimeSpan.MaxValue;
        if (state is not null && state.NextDue < due)
        {
            due = state.NextDue;
        }

        if (due != TimeSpan.MaxValue)
        {
            ArmAtMost(due, now);
        }
    }

    /// <summary>Arms the timer for the earliest of the next sweep and the idle owners' next work, or disarms it. Under the lock.</summary>
    private void Rearm(TimeSpan now)
    {
        var due = _tracked > 0 ? _nextSweep : TimeSpan.MaxValue;
        foreach (var state in _owners.Values)
        {
            if (state.NextDue < due)
            {
                due = state.NextDue;
            }
        }

        _armedFor = TimeSpan.MaxValue;
        if (due == TimeSpan.MaxValue)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        else
        {
            ArmAtMost(due, now);
        }
    }

    /// <summary>The timer: forgets gone owners, sweeps for collected proxies when a sweep is due, starts the owners' due work.</summary>
    private void OnTimer()
    {
        List<OwnerState> owners;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            owners = [.. _owners.Values];
        }

        // IsGone is the owner's code: asked outside the lock.
        List<OwnerState>? gone = null;
        foreach (var state in owners)
        {
            if (IsGone(state.Owner))
            {
                (gone ??= []).Add(state);
            }
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (gone is not null)
            {
                foreach (var state in gone)
                {
                    Forget(state);
                }
            }

            var now = Now;
            if (now >= _nextSweep)
            {
                foreach (var state in _owners.Values)
                {
                    Sweep(state);
                }

                _nextSweep = _tracked > 0 ? now + SweepPeriod : TimeSpan.MaxValue;
            }

            foreach (var state in _owners.Values)
            {
                StartIfDue(state, now);
            }

            Rearm(now);
        }
    }

    private static bool IsGone(ILeaseOwner owner)
    {
        try
        {
            return owner.IsGone;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Drops a gone owner and its entries, without calls. Under the lock.</summary>
    private void Forget(OwnerState state)
    {
        if (_owners.Remove(state.Owner))
        {
            state.Removed = true;
            _tracked -= state.Entries.Count;
            LeaseLog.OwnerGone(_logger, Describe(state.Owner), state.Entries.Count);
            state.Entries.Clear();
        }
    }

    /// <summary>Marks entries whose proxies were all collected: stale ones are dropped, others wait for their clean. Under the lock.</summary>
    private void Sweep(OwnerState state)
    {
        foreach (var (key, entry) in state.Entries)
        {
            if (entry.Phase == Phase.Collected || entry.IsAlive())
            {
                continue;
            }

            if (entry.Phase == Phase.Stale)
            {
                state.Entries.Remove(key);
                state.SetPhase(entry, null);
                _tracked--;
            }
            else
            {
                entry.WasLeased = entry.Phase == Phase.Leased;
                state.SetPhase(entry, Phase.Collected);
            }
        }

        if (state.Entries.Count == 0 && !state.Busy)
        {
            _owners.Remove(state.Owner);
            state.Removed = true;
        }
    }

    /// <summary>One owner's calls, one at a time, until nothing is due (or a failure postpones the rest).</summary>
    private async Task PumpAsync(OwnerState state)
    {
        try
        {
            while (true)
            {
                List<Batch> cleans = [];
                List<Batch> dirties = [];
                bool renewal;
                lock (_lock)
                {
                    var now = Now;
                    if (_disposed || state.Removed || now < state.RetryAt)
                    {
                        Idle(state, now);
                        return;
                    }

                    renewal = state.RenewAt <= now;
                    List<Entry> toClean = [];
                    List<Entry> toDirty = [];
                    foreach (var entry in state.Entries.Values)
                    {
                        switch (entry.Phase)
                        {
                            case Phase.Collected:
                                toClean.Add(entry);
                                break;
                            case Phase.New:
                            case Phase.Leased when renewal:
                                toDirty.Add(entry);
                                break;
                        }
                    }

                    if (renewal && !state.MayRenew)
                    {
                        state.RenewAt = TimeSpan.MaxValue;
                    }

                    if (toClean.Count == 0 && toDirty.Count == 0)
                    {
                        Idle(state, now);
                        return;
                    }

                    AddBatches(cleans, state, toClean, clean: true);
                    AddBatches(dirties, state, toDirty, clean: false);
                }

                if (IsGone(state.Owner))
                {
                    lock (_lock)
                    {
                        Forget(state);
                        Idle(state, Now);
                        return;
                    }
                }

                // Cleans first: a proxy tracked again after its clean left gets a dirty with a later sequence.
                foreach (var batch in cleans)
                {
                    await SendAsync(batch).ConfigureAwait(false);
                }

                foreach (var batch in dirties)
                {
                    await SendAsync(batch).ConfigureAwait(false);
                }

                lock (_lock)
                {
                    if (_disposed || state.Removed)
                    {
                        Idle(state, Now);
                        return;
                    }

                    Apply(state, cleans, dirties, renewal);
                }
            }
        }
        catch (Exception e)
        {
            // Not expected (every call is caught in SendAsync): keep the renewer going, retry later.
            lock (_lock)
            {
                var now = Now;
                state.RetryAt = now + state.RetryDelay;
                LeaseLog.DirtyFailed(_logger, 0, Describe(state.Owner), state.RetryDelay, e);
                Idle(state, now);
            }
        }
    }

    /// <summary>The pump stops: the owner is idle, and the timer is armed for its next work. Under the lock.</summary>
    private void Idle(OwnerState state, TimeSpan now)
    {
        state.Busy = false;
        state.Pump = null;
        _pumps--;
        if (!state.Removed && state.Entries.Count == 0)
        {
            _owners.Remove(state.Owner);
            state.Removed = true;
        }

        ArmFor(state.Removed ? null : state, now);
    }

    private async Task SendAsync(Batch batch)
    {
        var owner = batch.State.Owner;
        try
        {
            var stopping = _stopping.Token;
            stopping.ThrowIfCancellationRequested();
            var sequence = NextSequence();
            batch.SentAt = Now;
            if (batch.Clean)
            {
                await owner.CleanAsync(HolderId, sequence, batch.Incarnation, batch.Numbers, stopping).WaitAsync(CallTimeout, _time, stopping).ConfigureAwait(false);
            }
            else
            {
                batch.Granted = await owner.DirtyAsync(HolderId, sequence, batch.Incarnation, batch.Numbers, stopping).WaitAsync(CallTimeout, _time, stopping).ConfigureAwait(false);
            }

            batch.Succeeded = true;
        }
        catch (Exception e)
        {
            batch.Failure = e;
        }
    }

    /// <summary>Applies a round's results to the entries. Under the lock.</summary>
    private void Apply(OwnerState state, List<Batch> cleans, List<Batch> dirties, bool renewal)
    {
        var now = Now;
        Exception? failure = null;
        var failedCount = 0;
        var failedClean = false;
        foreach (var batch in cleans)
        {
            var abandoned = 0;
            foreach (var entry in batch.Entries)
            {
                entry.InFlight = false;
                if (entry.Phase != Phase.Collected)
                {
                    continue; // tracked again meanwhile: a dirty follows
                }

                if (!batch.Succeeded && ++entry.CleanAttempts < MaxCleanAttempts)
                {
                    continue;
                }

                abandoned += batch.Succeeded ? 0 : 1;
                state.Entries.Remove((entry.Incarnation, entry.Number));
                state.SetPhase(entry, null);
                _tracked--;
            }

            if (!batch.Succeeded)
            {
                failedClean = true;
                failure ??= batch.Failure;
                failedCount += batch.Numbers.Length;
                if (abandoned > 0)
                {
                    LeaseLog.CleanAbandoned(_logger, abandoned, Describe(state.Owner), MaxCleanAttempts);
                }
            }
        }

        var renewAt = TimeSpan.MaxValue;
        var dirtyFailed = false;
        foreach (var batch in dirties)
        {
            var stale = batch.Succeeded && batch.Granted <= 0;
            if (batch.Succeeded && !stale)
            {
                var granted = TimeSpan.FromMilliseconds(Math.Min(batch.Granted, (long)(2 * MaximumRenewInterval.TotalMilliseconds)));
                var half = Clamp(granted / 2, MinimumRenewInterval, MaximumRenewInterval);
                renewAt = batch.SentAt + half < renewAt ? batch.SentAt + half : renewAt;
                state.RetryDelay = Clamp(granted / 4, MinimumRenewInterval, SweepPeriod);
            }
            else if (!batch.Succeeded)
            {
                dirtyFailed = true;
                failure ??= batch.Failure;
                failedCount += batch.Numbers.Length;
            }

            foreach (var entry in batch.Entries)
            {
                entry.InFlight = false;
                if (entry.Phase == Phase.Collected)
                {
                    if (stale)
                    {
                        state.Entries.Remove((entry.Incarnation, entry.Number));
                        state.SetPhase(entry, null);
                        _tracked--;
                    }
                    else
                    {
                        entry.WasLeased |= batch.Succeeded;
                    }
                }
                else if (batch.Succeeded && entry.Phase is Phase.New or Phase.Leased)
                {
                    state.SetPhase(entry, stale ? Phase.Stale : Phase.Leased);
                }
            }

            if (stale)
            {
                LeaseLog.Stale(_logger, Describe(state.Owner), batch.Numbers.Length, batch.Incarnation);
            }
        }

        if (renewAt != TimeSpan.MaxValue && ((renewal && !dirtyFailed) || renewAt < state.RenewAt))
        {
            state.RenewAt = renewAt;
        }

        if (!state.MayRenew && !dirtyFailed)
        {
            state.RenewAt = TimeSpan.MaxValue;
        }

        if (failure is not null)
        {
            state.RetryAt = now + state.RetryDelay;
            if (dirtyFailed)
            {
                LeaseLog.DirtyFailed(_logger, failedCount, Describe(state.Owner), state.RetryDelay, failure);
            }
            else if (failedClean)
            {
                LeaseLog.CleanFailed(_logger, failedCount, Describe(state.Owner), state.RetryDelay, failure);
            }
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    /// <summary>Groups entries by incarnation into batches of at most <see cref="LeaseTable.MaxNumbersPerCall"/>, marking them in flight. Under the lock.</summary>
    private static void AddBatches(List<Batch> batches, OwnerState state, List<Entry> entries, bool clean)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var byIncarnation = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            entry.InFlight = true;
            if (!byIncarnation.TryGetValue(entry.Incarnation, out var list))
            {
                byIncarnation.Add(entry.Incarnation, list = []);
            }

            list.Add(entry);
        }

        foreach (var (incarnation, list) in byIncarnation)
        {
            for (var start = 0; start < list.Count; start += LeaseTable.MaxNumbersPerCall)
            {
                var chunk = list.GetRange(start, Math.Min(LeaseTable.MaxNumbersPerCall, list.Count - start));
                var numbers = new ulong[chunk.Count];
                for (var i = 0; i < numbers.Length; i++)
                {
                    numbers[i] = chunk[i].Number;
                }

                batches.Add(new Batch(state, clean, incarnation, chunk, numbers));
            }
        }
    }

    private enum Phase
    {
        /// <summary>Needs its first dirty (or a new one: its clean was already sent when a proxy came back).</summary>
        New,

        /// <summary>Leased; renewed with the owner's other leased entries.</summary>
        Leased,

        /// <summary>The lender granted nothing: not renewed, not cleaned; dropped when its proxies are collected.</summary>
        Stale,

        /// <summary>Every proxy was collected: a clean is due.</summary>
        Collected,
    }

    /// <summary>One lender, as reached through one <see cref="ILeaseOwner"/>.</summary>
    private sealed class OwnerState(ILeaseOwner owner, TimeSpan sweepPeriod)
    {
        private readonly int[] _counts = new int[4];

        public ILeaseOwner Owner { get; } = owner;

        public Dictionary<(string Incarnation, ulong Number), Entry> Entries { get; } = [];

        /// <summary>A pump is running for this owner.</summary>
        public bool Busy { get; set; }

        public Task? Pump { get; set; }

        /// <summary>Removed from the renewer (gone, or left without entries): a running pump stops.</summary>
        public bool Removed { get; set; }

        /// <summary>When the leased entries are renewed next.</summary>
        public TimeSpan RenewAt { get; set; } = TimeSpan.MaxValue;

        /// <summary>No call before this (a failure postponed the owner's work).</summary>
        public TimeSpan RetryAt { get; set; }

        public TimeSpan RetryDelay { get; set; } = sweepPeriod;

        /// <summary>When this owner next has work to do, if its pump is idle.</summary>
        public TimeSpan NextDue
        {
            get
            {
                if (Busy)
                {
                    return TimeSpan.MaxValue;
                }

                if (Count(Phase.New) > 0 || Count(Phase.Collected) > 0)
                {
                    return RetryAt;
                }

                if (Count(Phase.Leased) > 0 && RenewAt != TimeSpan.MaxValue)
                {
                    return RenewAt > RetryAt ? RenewAt : RetryAt;
                }

                return TimeSpan.MaxValue;
            }
        }

        /// <summary>
        /// Whether some entry holds or may hold a lease again: leased, or collected but possibly revived by a new
        /// proxy before its clean (its lease then keeps <see cref="RenewAt"/>).
        /// </summary>
        public bool MayRenew => Count(Phase.Leased) > 0 || Count(Phase.Collected) > 0;

        public int Count(Phase phase) => _counts[(int)phase];

        /// <summary>Moves an entry to another phase (<see langword="null"/>: removed), keeping the counts.</summary>
        public void SetPhase(Entry entry, Phase? phase)
        {
            if (entry.Counted)
            {
                _counts[(int)entry.Phase]--;
            }

            entry.Counted = phase is not null;
            if (phase is { } p)
            {
                entry.Phase = p;
                _counts[(int)p]++;
            }
        }
    }

    /// <summary>One (owner, incarnation, number) and the proxies standing for it, held weakly.</summary>
    private sealed class Entry(string incarnation, ulong number, object proxy)
    {
        private WeakReference<object> _first = new(proxy);
        private List<WeakReference<object>>? _more;

        public string Incarnation { get; } = incarnation;

        public ulong Number { get; } = number;

        public Phase Phase { get; set; }

        /// <summary>Counted in its owner's phase counts.</summary>
        public bool Counted { get; set; }

        /// <summary>In a call on its way.</summary>
        public bool InFlight { get; set; }

        /// <summary>The lender granted it a lease at least once (so a revived entry needs no new dirty).</summary>
        public bool WasLeased { get; set; }

        public int CleanAttempts { get; set; }

        public bool IsAlive()
        {
            if (_first.TryGetTarget(out _))
            {
                return true;
            }

            if (_more is not null)
            {
                foreach (var reference in _more)
                {
                    if (reference.TryGetTarget(out _))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>Adds a proxy, unless it is already held; dead references make room first.</summary>
        public void Add(object proxy)
        {
            if (!_first.TryGetTarget(out var first))
            {
                _first = new WeakReference<object>(proxy);
                return;
            }

            if (ReferenceEquals(first, proxy))
            {
                return;
            }

            if (_more is not null)
            {
                foreach (var reference in _more)
                {
                    if (reference.TryGetTarget(out var other) && ReferenceEquals(other, proxy))
                    {
                        return;
                    }
                }

                _more.RemoveAll(static reference => !reference.TryGetTarget(out _));
            }

            (_more ??= []).Add(new WeakReference<object>(proxy));
        }
    }

    /// <summary>One call: a clean or a dirty of up to <see cref="LeaseTable.MaxNumbersPerCall"/> numbers of one incarnation, and its result.</summary>
    private sealed class Batch(OwnerState state, bool clean, string incarnation, List<Entry> entries, ulong[] numbers)
    {
        public OwnerState State { get; } = state;

        public bool Clean { get; } = clean;

        public string Incarnation { get; } = incarnation;

        public List<Entry> Entries { get; } = entries;

        public ulong[] Numbers { get; } = numbers;

        public TimeSpan SentAt { get; set; }

        public bool Succeeded { get; set; }

        public long Granted { get; set; }

        public Exception? Failure { get; set; }
    }
}
