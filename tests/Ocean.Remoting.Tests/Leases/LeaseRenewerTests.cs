using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Remoting.Internal.Leases;

namespace Ocean.Remoting.Tests.Leases;

public sealed class LeaseRenewerTests
{
    private const string Incarnation = "5f0c0000000000000000000000000001.1764460800000";
    private const string OtherIncarnation = "5f0c0000000000000000000000000002.1764460800000";
    private static readonly TimeSpan Sweep = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private readonly ManualTimeProvider _time = new();

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);

    private LeaseRenewer NewRenewer(ILogger? logger = null) => new(_time, logger ?? NullLogger.Instance, Sweep, DisposeTimeout, CallTimeout);

    private static Task IdleAsync(LeaseRenewer renewer) => TestTimeouts.UntilAsync(() => renewer.IsIdle, because: "the renewer finishes its calls");

    /// <summary>Tracks a proxy that nothing references once this returns.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TrackDropped(LeaseRenewer renewer, ILeaseOwner owner, string incarnation, ulong number) =>
        renewer.Track(new object(), owner, incarnation, number);

    private static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Lets due work start, then asserts that the owner got no call.</summary>
    private static async Task NoCallAsync(LeaseRenewer renewer, FakeLeaseOwner owner)
    {
        await IdleAsync(renewer);
        owner.HasCall.Should().BeFalse();
    }

    [Fact]
    public async Task A_new_proxy_gets_a_dirty_at_once_without_the_clock_moving()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        var proxy = new object();

        renewer.Track(proxy, owner, Incarnation, 7);

        var dirty = await owner.NextAsync();
        dirty.Dirty.Should().BeTrue();
        dirty.Holder.Should().Be(renewer.HolderId).And.MatchRegex("^[0-9a-f]{32}$");
        dirty.Incarnation.Should().Be(Incarnation);
        dirty.Numbers.Should().Equal(7UL);
        renewer.TrackedCount.Should().Be(1);
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task A_live_proxy_is_renewed_at_half_the_granted_lease_across_many_periods_with_increasing_sequences()
    {
        var owner = new FakeLeaseOwner { Granted = 10_000 };
        await using var renewer = NewRenewer();
        var proxy = new object();
        renewer.Track(proxy, owner, Incarnation, 7);
        var last = (await owner.NextAsync()).Sequence;
        await IdleAsync(renewer);

        for (var period = 0; period < 20; period++)
        {
            _time.Advance(TimeSpan.FromSeconds(5) - Tick);
            await NoCallAsync(renewer, owner);

            _time.Advance(Tick);
            var renewal = await owner.NextAsync();
            renewal.Dirty.Should().BeTrue();
            renewal.Numbers.Should().Equal(7UL);
            renewal.Sequence.Should().BeGreaterThan(last);
            last = renewal.Sequence;
            await IdleAsync(renewer);
        }

        owner.History.Should().OnlyContain(c => c.Dirty);
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task New_proxies_tracked_while_a_call_is_out_go_in_one_dirty()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        object[] proxies = [new(), new(), new()];
        owner.Close();
        renewer.Track(proxies[0], owner, Incarnation, 1);
        (await owner.NextAsync()).Numbers.Should().Equal(1UL);

        renewer.Track(proxies[1], owner, Incarnation, 2);
        renewer.Track(proxies[2], owner, Incarnation, 3);
        owner.Open();

        (await owner.NextAsync()).Numbers.Should().BeEquivalentTo([2UL, 3UL]);
        await NoCallAsync(renewer, owner);
        GC.KeepAlive(proxies);
    }

    [Fact]
    public async Task Batches_carry_at_most_1024_numbers_and_one_incarnation_each()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        var proxies = new List<object>();
        owner.Close();
        proxies.Add(new object());
        renewer.Track(proxies[0], owner, Incarnation, 0);
        await owner.NextAsync();

        for (ulong n = 1; n <= 1500; n++)
        {
            proxies.Add(new object());
            renewer.Track(proxies[^1], owner, n <= 1400 ? Incarnation : OtherIncarnation, n);
        }

        owner.Open();
        var calls = new[] { await owner.NextAsync(), await owner.NextAsync(), await owner.NextAsync() };

        calls.Should().OnlyContain(c => c.Dirty && c.Numbers.Length <= LeaseTable.MaxNumbersPerCall);
        calls.Where(c => c.Incarnation == Incarnation).SelectMany(c => c.Numbers).Should().BeEquivalentTo(Enumerable.Range(1, 1400).Select(n => (ulong)n));
        calls.Where(c => c.Incarnation == OtherIncarnation).SelectMany(c => c.Numbers).Should().BeEquivalentTo(Enumerable.Range(1401, 100).Select(n => (ulong)n));
        calls.Select(c => c.Sequence).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        await NoCallAsync(renewer, owner);
        renewer.TrackedCount.Should().Be(1501);
        GC.KeepAlive(proxies);
    }

    [Fact]
    public async Task A_collected_proxy_is_cleaned_at_the_next_sweep_and_forgotten()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        var kept = new object();
        renewer.Track(kept, owner, Incarnation, 1);
        await owner.NextAsync();
        await IdleAsync(renewer);
        TrackDropped(renewer, owner, Incarnation, 7);
        var dirty = await owner.NextAsync();
        dirty.Numbers.Should().Equal(7UL);
        await IdleAsync(renewer);

        CollectGarbage();
        _time.Advance(Sweep);

        var clean = await owner.NextAsync();
        clean.Dirty.Should().BeFalse();
        clean.Numbers.Should().Equal(7UL);
        clean.Holder.Should().Be(renewer.HolderId);
        clean.Sequence.Should().BeGreaterThan(dirty.Sequence);
        await IdleAsync(renewer);
        renewer.TrackedCount.Should().Be(1);

        _time.Advance(TimeSpan.FromSeconds(5));
        (await owner.NextAsync()).Numbers.Should().Equal([1UL], "only the live proxy is renewed");
        GC.KeepAlive(kept);
    }

    [Fact]
    public async Task Tracking_the_same_proxy_again_keeps_one_entry_and_sends_no_new_dirty()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        var proxy = new object();
        renewer.Track(proxy, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);

        renewer.Track(proxy, owner, Incarnation, 7);
        renewer.Track(new object(), owner, Incarnation, 7);

        await NoCallAsync(renewer, owner);
        renewer.TrackedCount.Should().Be(1);
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task An_entry_lives_while_any_of_its_proxies_lives()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        TrackDropped(renewer, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);
        var second = new object();
        renewer.Track(second, owner, Incarnation, 7);

        CollectGarbage();
        _time.Advance(Sweep);

        await NoCallAsync(renewer, owner);
        renewer.TrackedCount.Should().Be(1);
        GC.KeepAlive(second);
    }

    [Fact]
    public async Task A_proxy_tracked_again_after_the_first_was_collected_but_before_the_sweep_keeps_the_lease()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        TrackDropped(renewer, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);
        CollectGarbage();

        var again = new object();
        renewer.Track(again, owner, Incarnation, 7);
        _time.Advance(Sweep);

        await NoCallAsync(renewer, owner);
        _time.Advance(TimeSpan.FromSeconds(4));
        (await owner.NextAsync()).Dirty.Should().BeTrue("the lease is renewed, never cleaned");
        GC.KeepAlive(again);
    }

    [Fact]
    public async Task A_gone_owner_is_forgotten_without_any_call()
    {
        var owner = new FakeLeaseOwner();
        var other = new FakeLeaseOwner("other lender");
        var logs = new CapturingLoggerFactory();
        await using var renewer = NewRenewer(logs.CreateLogger("leases"));
        var proxy = new object();
        var otherProxy = new object();
        renewer.Track(proxy, owner, Incarnation, 7);
        renewer.Track(otherProxy, other, Incarnation, 7);
        await owner.NextAsync();
        await other.NextAsync();
        await IdleAsync(renewer);

        owner.IsGone = true;
        _time.Advance(Sweep);

        await NoCallAsync(renewer, owner);
        renewer.TrackedCount.Should().Be(1);
        logs.Entries.Should().Contain(e => e.EventId.Id == 204 && e.Message.Contains("fake lender"));
        _time.Advance(TimeSpan.FromSeconds(20));
        await IdleAsync(renewer);
        owner.HasCall.Should().BeFalse("neither renewed nor cleaned");
        other.HasCall.Should().BeTrue("the other lender is still renewed");
        GC.KeepAlive(proxy);
        GC.KeepAlive(otherProxy);
    }

    [Fact]
    public async Task A_grant_of_zero_marks_the_entries_stale_they_are_neither_renewed_nor_cleaned()
    {
        var owner = new FakeLeaseOwner { Granted = 0 };
        var logs = new CapturingLoggerFactory();
        await using var renewer = NewRenewer(logs.CreateLogger("leases"));
        var proxy = new object();
        renewer.Track(proxy, owner, Incarnation, 7);
        TrackDropped(renewer, owner, Incarnation, 8);
        await IdleAsync(renewer);
        owner.History.Should().OnlyContain(c => c.Dirty);
        owner.History.SelectMany(c => c.Numbers).Should().BeEquivalentTo([7UL, 8UL], "one dirty, or two if 8 came after the first left");
        while (owner.HasCall)
        {
            await owner.NextAsync();
        }

        logs.Entries.Should().Contain(e => e.EventId.Id == 203);

        CollectGarbage();
        _time.Advance(TimeSpan.FromSeconds(30));

        await NoCallAsync(renewer, owner);
        renewer.TrackedCount.Should().Be(1, "the collected stale entry is dropped, the live one stays (without renewals)");
        renewer.Track(proxy, owner, Incarnation, 7);
        await NoCallAsync(renewer, owner);
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task A_failed_first_dirty_is_logged_and_retried_at_the_next_period()
    {
        var owner = new FakeLeaseOwner();
        var logs = new CapturingLoggerFactory();
        await using var renewer = NewRenewer(logs.CreateLogger("leases"));
        var proxy = new object();
        owner.FailNext(1);

        renewer.Track(proxy, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);
        logs.Entries.Should().Contain(e => e.EventId.Id == 200 && e.Level == LogLevel.Warning && e.Exception is IOException);

        _time.Advance(Sweep - Tick);
        await NoCallAsync(renewer, owner);
        _time.Advance(Tick);
        var retry = await owner.NextAsync();
        retry.Dirty.Should().BeTrue();
        retry.Numbers.Should().Equal(7UL);
        await IdleAsync(renewer);

        _time.Advance(TimeSpan.FromSeconds(5));
        (await owner.NextAsync()).Dirty.Should().BeTrue("renewals follow the successful retry");
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task A_failed_renewal_is_retried_a_quarter_lease_later_before_the_lease_ends()
    {
        var owner = new FakeLeaseOwner { Granted = 8_000 };
        await using var renewer = NewRenewer();
        var proxy = new object();
        renewer.Track(proxy, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);

        owner.FailNext(1);
        _time.Advance(TimeSpan.FromSeconds(4));
        await owner.NextAsync();
        await IdleAsync(renewer);

        _time.Advance(Sweep); // a quarter of 8 s is 2 s, bounded by the sweep period (1 s)
        var retry = await owner.NextAsync();
        retry.Dirty.Should().BeTrue();
        retry.Numbers.Should().Equal(7UL);
        await IdleAsync(renewer);

        _time.Advance(TimeSpan.FromSeconds(4) - Tick);
        await NoCallAsync(renewer, owner);
        _time.Advance(Tick);
        (await owner.NextAsync()).Dirty.Should().BeTrue("the next renewal is half a lease after the retry");
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task A_lender_that_does_not_answer_counts_as_failed_after_the_call_timeout()
    {
        var owner = new FakeLeaseOwner();
        var logs = new CapturingLoggerFactory();
        await using var renewer = NewRenewer(logs.CreateLogger("leases"));
        var proxy = new object();
        owner.Close();
        renewer.Track(proxy, owner, Incarnation, 7);
        await owner.NextAsync();

        // The fake lender records the call before it returns the pending task that the renewer then bounds with
        // WaitAsync(CallTimeout) on this clock: wait for that timer (next to the renewer's own) before moving the clock,
        // or the timeout would be armed after the Advance and never fall due.
        await TestTimeouts.UntilAsync(() => _time.ArmedTimers == 2, because: "the call's timeout is armed");
        _time.Advance(CallTimeout);
        await IdleAsync(renewer);
        logs.Entries.Should().Contain(e => e.EventId.Id == 200 && e.Exception is TimeoutException);

        _time.Advance(Sweep);
        var retry = await owner.NextAsync();
        retry.Numbers.Should().Equal(7UL);
        owner.Open();
        await IdleAsync(renewer);
        _time.Advance(TimeSpan.FromSeconds(5));
        (await owner.NextAsync()).Dirty.Should().BeTrue("the retry was granted and is renewed");
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task A_proxy_collected_while_its_first_dirty_is_out_is_cleaned_when_the_dirty_returns()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        owner.Close();
        TrackDropped(renewer, owner, Incarnation, 7);
        await owner.NextAsync();

        CollectGarbage();
        _time.Advance(Sweep);
        owner.HasCall.Should().BeFalse("one call at a time per lender");
        owner.Open();

        var clean = await owner.NextAsync();
        clean.Dirty.Should().BeFalse();
        clean.Numbers.Should().Equal(7UL);
        await IdleAsync(renewer);
        renewer.TrackedCount.Should().Be(0);
    }

    [Fact]
    public async Task A_proxy_tracked_again_while_its_clean_waits_for_a_retry_keeps_the_lease()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        TrackDropped(renewer, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);
        owner.FailNext(1);
        CollectGarbage();
        _time.Advance(Sweep);
        (await owner.NextAsync()).Dirty.Should().BeFalse();
        await IdleAsync(renewer);

        var again = new object();
        renewer.Track(again, owner, Incarnation, 7);
        _time.Advance(Sweep);
        await NoCallAsync(renewer, owner);

        _time.Advance(TimeSpan.FromSeconds(3));
        var renewal = await owner.NextAsync();
        renewal.Dirty.Should().BeTrue("the lease was never ended, so it is renewed on schedule");
        renewal.Numbers.Should().Equal(7UL);
        renewer.TrackedCount.Should().Be(1);
        GC.KeepAlive(again);
    }

    [Fact]
    public async Task A_clean_that_keeps_failing_is_given_up_after_three_attempts()
    {
        var owner = new FakeLeaseOwner();
        var logs = new CapturingLoggerFactory();
        await using var renewer = NewRenewer(logs.CreateLogger("leases"));
        TrackDropped(renewer, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);
        owner.FailNext(int.MaxValue);

        CollectGarbage();
        for (var attempt = 1; attempt <= LeaseRenewer.MaxCleanAttempts; attempt++)
        {
            _time.Advance(Sweep);
            var clean = await owner.NextAsync();
            clean.Dirty.Should().BeFalse();
            clean.Numbers.Should().Equal(7UL);
            await IdleAsync(renewer);
        }

        renewer.TrackedCount.Should().Be(0);
        logs.Entries.Should().Contain(e => e.EventId.Id == 202);
        _time.Advance(TimeSpan.FromSeconds(10));
        await NoCallAsync(renewer, owner);
    }

    [Fact]
    public async Task The_timer_is_armed_only_while_something_is_tracked()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();
        _time.ArmedTimers.Should().Be(0);

        TrackDropped(renewer, owner, Incarnation, 7);
        _time.ArmedTimers.Should().Be(1);
        await owner.NextAsync();
        await IdleAsync(renewer);

        CollectGarbage();
        _time.Advance(Sweep);
        await owner.NextAsync();
        await IdleAsync(renewer);
        _time.Advance(Sweep);

        renewer.TrackedCount.Should().Be(0);
        _time.ArmedTimers.Should().Be(0);
    }

    [Fact]
    public async Task Dispose_sends_a_clean_for_everything_still_leased_and_later_tracks_are_ignored()
    {
        var owner = new FakeLeaseOwner();
        var renewer = NewRenewer();
        var proxies = new object[] { new(), new() };
        renewer.Track(proxies[0], owner, Incarnation, 1);
        await owner.NextAsync();
        await IdleAsync(renewer);
        renewer.Track(proxies[1], owner, Incarnation, 2);
        await owner.NextAsync();
        await IdleAsync(renewer);

        await renewer.DisposeAsync().WithTimeout();

        var clean = await owner.NextAsync();
        clean.Dirty.Should().BeFalse();
        clean.Numbers.Should().BeEquivalentTo([1UL, 2UL]);
        renewer.TrackedCount.Should().Be(0);
        _time.ArmedTimers.Should().Be(0);

        renewer.Track(new object(), owner, Incarnation, 3);
        renewer.TrackedCount.Should().Be(0);
        owner.HasCall.Should().BeFalse();
        await renewer.DisposeAsync().WithTimeout();
        GC.KeepAlive(proxies);
    }

    [Fact]
    public async Task Dispose_gives_up_on_a_lender_that_does_not_answer_after_its_timeout()
    {
        var owner = new FakeLeaseOwner();
        var logs = new CapturingLoggerFactory();
        var renewer = NewRenewer(logs.CreateLogger("leases"));
        var proxy = new object();
        renewer.Track(proxy, owner, Incarnation, 7);
        await owner.NextAsync();
        await IdleAsync(renewer);

        // A renewal hangs; dispose cancels it, then its clean hangs until the dispose timeout.
        owner.Close();
        _time.Advance(TimeSpan.FromSeconds(5));
        (await owner.NextAsync()).Dirty.Should().BeTrue();
        var disposing = renewer.DisposeAsync().AsTask();
        (await owner.NextAsync()).Dirty.Should().BeFalse();
        disposing.IsCompleted.Should().BeFalse();

        _time.Advance(DisposeTimeout);

        await disposing.WithTimeout();
        await TestTimeouts.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 205), because: "the abandoned clean is logged");
        GC.KeepAlive(proxy);
    }

    [Fact]
    public async Task Dispose_sends_nothing_to_a_gone_owner_nor_for_stale_entries()
    {
        var gone = new FakeLeaseOwner();
        var stale = new FakeLeaseOwner { Granted = 0 };
        var renewer = NewRenewer();
        object[] proxies = [new(), new()];
        renewer.Track(proxies[0], gone, Incarnation, 1);
        renewer.Track(proxies[1], stale, Incarnation, 1);
        await gone.NextAsync();
        await stale.NextAsync();
        await IdleAsync(renewer);
        gone.IsGone = true;

        await renewer.DisposeAsync().WithTimeout();

        gone.HasCall.Should().BeFalse();
        stale.HasCall.Should().BeFalse();
        GC.KeepAlive(proxies);
    }

    [Fact]
    public async Task Each_owner_is_leased_separately()
    {
        var first = new FakeLeaseOwner("first");
        var second = new FakeLeaseOwner("second");
        await using var renewer = NewRenewer();
        object[] proxies = [new(), new()];

        renewer.Track(proxies[0], first, Incarnation, 1);
        renewer.Track(proxies[1], second, Incarnation, 1);

        (await first.NextAsync()).Numbers.Should().Equal(1UL);
        (await second.NextAsync()).Numbers.Should().Equal(1UL);
        renewer.TrackedCount.Should().Be(2);
        GC.KeepAlive(proxies);
    }

    [Fact]
    public async Task Track_refuses_null_arguments_and_an_empty_incarnation()
    {
        var owner = new FakeLeaseOwner();
        await using var renewer = NewRenewer();

        FluentActions.Invoking(() => renewer.Track(null!, owner, Incarnation, 1)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => renewer.Track(new object(), null!, Incarnation, 1)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => renewer.Track(new object(), owner, "", 1)).Should().Throw<ArgumentException>();
        renewer.TrackedCount.Should().Be(0);
    }

    [Fact]
    public void Constructor_refuses_a_sweep_period_too_short()
    {
        FluentActions.Invoking(() => new LeaseRenewer(_time, NullLogger.Instance, TimeSpan.FromMilliseconds(1))).Should().Throw<ArgumentOutOfRangeException>();
        new LeaseRenewer(_time, NullLogger.Instance).HolderId.Should().NotBe(new LeaseRenewer(_time, NullLogger.Instance).HolderId);
    }
}
