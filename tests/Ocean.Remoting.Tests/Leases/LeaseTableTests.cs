using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Remoting.Internal.Leases;

namespace Ocean.Remoting.Tests.Leases;

public sealed class LeaseTableTests : IDisposable
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private readonly ManualTimeProvider _time = new();
    private readonly List<ulong> _released = [];
    private readonly LeaseTable _table;

    public LeaseTableTests() => _table = NewTable();

    public void Dispose() => _table.Dispose();

    private LeaseTable NewTable(int maxHoldersPerObject = LeaseTable.DefaultMaxHoldersPerObject, int maxEntries = LeaseTable.DefaultMaxEntries, ILogger? logger = null) =>
        new(Duration, _time, n =>
        {
            lock (_released)
            {
                _released.Add(n);
            }
        }, logger ?? NullLogger.Instance, maxHoldersPerObject, maxEntries);

    /// <summary>Past the latest moment a lease of <see cref="Duration"/> can end (the timer looks every Period).</summary>
    private TimeSpan PastExpiry => Duration + _table.Period + Tick;

    [Fact]
    public void Expiry_checks_run_every_quarter_lease_on_a_timer_armed_only_while_something_is_leased()
    {
        _table.Period.Should().Be(Duration / 4);
        _time.ArmedTimers.Should().Be(0);

        _table.Grant(7, "connection:1");
        _time.ArmedTimers.Should().Be(1);

        _time.Advance(PastExpiry);
        _released.Should().Equal(7UL);
        _time.ArmedTimers.Should().Be(0, "the table is empty again");

        _table.Dispose();
        _time.ArmedTimers.Should().Be(0);
    }

    [Fact]
    public void A_provisional_lease_ends_after_the_lease_duration_when_no_dirty_comes()
    {
        _table.Grant(7, "connection:1");
        _table.LeaseCount.Should().Be(1);

        _time.Advance(Duration - Tick);
        _released.Should().BeEmpty();
        _table.Contains(7).Should().BeTrue();

        _time.Advance(_table.Period + Tick + Tick);
        _released.Should().Equal(7UL);
        _table.Contains(7).Should().BeFalse();
        _table.LeaseCount.Should().Be(0);
        _table.EntryCount.Should().Be(0);
        _table.ObjectCount.Should().Be(0);
    }

    [Fact]
    public void A_holder_that_stops_renewing_loses_its_lease_after_the_duration()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], "connection:1").Should().Be(Duration);
        _time.Advance(Duration / 2);
        _table.Dirty("holder-a", 2, [7], null).Should().Be(Duration);

        _time.Advance(Duration - Tick);
        _released.Should().BeEmpty("the renewal restarted the lease");

        _time.Advance(_table.Period + Tick + Tick);
        _released.Should().Equal(7UL);
        _table.LeaseCount.Should().Be(0);
    }

    [Fact]
    public void Renewing_at_half_the_lease_keeps_an_object_alive_across_many_periods()
    {
        _table.Grant(7, "connection:1");
        var sequence = 0L;
        _table.Dirty("holder-a", ++sequence, [7], "connection:1");
        for (var i = 0; i < 50; i++)
        {
            _time.Advance(Duration / 2);
            _table.Dirty("holder-a", ++sequence, [7], null).Should().Be(Duration);
        }

        _released.Should().BeEmpty();
        _table.LeaseCount.Should().Be(1);

        _time.Advance(PastExpiry);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_clean_from_the_last_holder_releases_the_object_at_once_and_only_once()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], "connection:1");

        _table.Clean("holder-a", 2, [7, 7], "connection:1");

        _released.Should().Equal(7UL);
        _table.LeaseCount.Should().Be(0);
        _table.EntryCount.Should().Be(0, "the tombstone goes with the object");
        _time.Advance(PastExpiry * 3);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void An_object_lives_while_any_holder_holds_it()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], "connection:1");
        _table.Dirty("holder-b", 1, [7], null);
        _table.LeaseCount.Should().Be(2);

        _table.Clean("holder-a", 2, [7], null);
        _released.Should().BeEmpty();
        _table.LeaseCount.Should().Be(1);

        _table.Clean("holder-b", 2, [7], null);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_clean_that_crosses_a_later_dirty_does_not_release_the_object()
    {
        // Sent in this order: dirty 1, clean 2, dirty 3 (a proxy came back); applied: dirty 1, dirty 3, clean 2.
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], "connection:1");
        _table.Dirty("holder-a", 3, [7], null);

        _table.Clean("holder-a", 2, [7], null);

        _released.Should().BeEmpty();
        _table.LeaseCount.Should().Be(1);
        _time.Advance(Duration / 2);
        _released.Should().BeEmpty();
    }

    [Fact]
    public void A_dirty_older_than_an_applied_clean_does_not_revive_the_lease()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-b", 1, [7], "connection:1"); // b keeps the object alive meanwhile
        _table.Dirty("holder-a", 1, [7], null);
        _table.Clean("holder-a", 3, [7], null);

        _table.Dirty("holder-a", 2, [7], null).Should().Be(Duration, "the object is still lent (to b)");

        _table.LeaseCount.Should().Be(1, "only b's lease");
        _table.Clean("holder-b", 2, [7], null);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_clean_arriving_before_its_dirty_leaves_a_tombstone_that_makes_the_dirty_stale()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-b", 1, [7], "connection:1");

        _table.Clean("holder-a", 2, [7], null);
        _table.EntryCount.Should().Be(2, "b's lease and a's tombstone");
        _table.Dirty("holder-a", 1, [7], null);

        _table.LeaseCount.Should().Be(1);
        _table.Clean("holder-b", 2, [7], null);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_newer_dirty_after_a_clean_leases_again_and_a_repeated_sequence_is_ignored()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-b", 1, [7], "connection:1");
        _table.Dirty("holder-a", 1, [7], null);
        _table.Clean("holder-a", 2, [7], null);
        _table.LeaseCount.Should().Be(1);

        _table.Dirty("holder-a", 3, [7], null);
        _table.LeaseCount.Should().Be(2);

        _table.Clean("holder-a", 3, [7], null);
        _table.LeaseCount.Should().Be(2, "sequence 3 was already applied");
    }

    [Fact]
    public void Tombstones_are_purged_after_one_lease_duration()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-b", 1, [7], "connection:1");
        _table.Dirty("holder-a", 1, [7], null);
        _table.Clean("holder-a", 2, [7], null);
        _table.EntryCount.Should().Be(2);

        _time.Advance(Duration / 2);
        _table.Dirty("holder-b", 2, [7], null);
        _time.Advance(Duration / 2 + _table.Period + Tick);

        _table.EntryCount.Should().Be(1, "a's tombstone is gone, b's lease stays");
        _table.LeaseCount.Should().Be(1);
        _released.Should().BeEmpty();
    }

    [Fact]
    public void A_dirty_through_the_connection_the_reference_was_sent_on_ends_its_provisional_lease()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], "connection:1");
        _table.LeaseCount.Should().Be(1, "the provisional lease gave way to the holder's");

        _table.Clean("holder-a", 2, [7], "connection:1");

        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_dirty_through_another_connection_leaves_the_provisional_lease_to_expire()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], "connection:2");
        _table.LeaseCount.Should().Be(2);

        _table.Clean("holder-a", 2, [7], "connection:2");
        _released.Should().BeEmpty("connection:1 may still carry a message with the reference");

        _time.Advance(PastExpiry);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_clean_never_ends_a_provisional_lease()
    {
        // The clean may have crossed a second message carrying the reference on connection:1.
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], "connection:1");
        _table.Grant(7, "connection:1");

        _table.Clean("holder-a", 2, [7], "connection:1");

        _released.Should().BeEmpty();
        _table.LeaseCount.Should().Be(1);
        _table.Dirty("holder-a", 3, [7], "connection:1").Should().Be(Duration, "the second message's receiver leases it in time");
        _table.LeaseCount.Should().Be(1);
    }

    [Fact]
    public void Granting_again_restarts_the_provisional_lease()
    {
        _table.Grant(7, "connection:1");
        _time.Advance(Duration / 2);
        _table.Grant(7, "connection:1");
        _table.LeaseCount.Should().Be(1);

        _time.Advance(Duration - Tick);
        _released.Should().BeEmpty();
        _time.Advance(_table.Period + Tick + Tick);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_dirty_for_unknown_numbers_grants_nothing_and_does_not_resurrect_a_released_object()
    {
        _table.Dirty("holder-a", 1, [99], null).Should().Be(TimeSpan.Zero, "99 was never granted");
        _table.ObjectCount.Should().Be(0);

        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 2, [7], "connection:1");
        _table.Clean("holder-a", 3, [7], null);
        _released.Should().Equal(7UL);

        _table.Dirty("holder-a", 4, [7], null).Should().Be(TimeSpan.Zero);
        _table.Dirty("holder-b", 1, [7], null).Should().Be(TimeSpan.Zero);
        _table.Contains(7).Should().BeFalse();
        _table.LeaseCount.Should().Be(0);
        _table.Clean("holder-b", 2, [7, 99], null);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public void A_dirty_with_known_and_unknown_numbers_leases_the_known_ones()
    {
        _table.Grant(7, "connection:1");

        _table.Dirty("holder-a", 1, [99, 7, 98], "connection:1").Should().Be(Duration);

        _table.ObjectCount.Should().Be(1);
        _table.LeaseCount.Should().Be(1);
    }

    [Fact]
    public void A_number_granted_again_after_its_release_starts_a_new_lifetime()
    {
        _table.Grant(7, "connection:1");
        _time.Advance(PastExpiry);
        _released.Should().Equal(7UL);

        _table.Grant(7, "connection:2");
        _table.Contains(7).Should().BeTrue();
        _time.Advance(PastExpiry);

        _released.Should().Equal(7UL, 7UL);
    }

    [Fact]
    public void In_the_release_callback_the_number_is_already_forgotten_and_a_racing_grant_shows_in_Contains()
    {
        LeaseTable? table = null;
        var seen = new List<bool>();
        table = new LeaseTable(Duration, _time, n =>
        {
            seen.Add(table!.Contains(n));
            table.Grant(n, "connection:2"); // the owner wrote the object again before handling the release
            seen.Add(table.Contains(n));
        }, NullLogger.Instance);
        using var scope = table;
        table.Grant(7, "connection:1");
        table.Dirty("holder-a", 1, [7], "connection:1");

        table.Clean("holder-a", 2, [7], null);

        seen.Should().Equal(false, true);
        table.LeaseCount.Should().Be(1, "the new provisional lease");
    }

    [Fact]
    public void Forget_drops_the_leases_without_a_release_callback()
    {
        _table.Grant(7, "connection:1");
        _table.Dirty("holder-a", 1, [7], null);
        _table.LeaseCount.Should().Be(2);

        _table.Forget(7);
        _table.Forget(8);

        _table.LeaseCount.Should().Be(0);
        _table.EntryCount.Should().Be(0);
        _table.Dirty("holder-a", 2, [7], null).Should().Be(TimeSpan.Zero);
        _time.Advance(PastExpiry);
        _released.Should().BeEmpty();
    }

    [Fact]
    public void Objects_expire_independently()
    {
        _table.Grant(1, "connection:1");
        _table.Grant(2, "connection:1");
        _table.Dirty("holder-a", 1, [1, 2], "connection:1");
        var sequence = 1L;
        for (var i = 0; i < 4; i++)
        {
            _time.Advance(Duration / 2);
            _table.Dirty("holder-a", ++sequence, [2], null);
        }

        _released.Should().Equal(1UL);
        _table.Contains(2).Should().BeTrue();
    }

    [Fact]
    public void An_object_at_its_holder_limit_refuses_a_new_holder_but_renews_the_others()
    {
        using var table = NewTable(maxHoldersPerObject: 2);
        table.Grant(7, "connection:1");
        table.Dirty("holder-a", 1, [7], null);
        table.Dirty("holder-b", 1, [7], null);

        var refused = () => table.Dirty("holder-c", 1, [7], null);

        refused.Should().Throw<InvalidOperationException>().WithMessage("*object 7 already has 2 holders*");
        table.LeaseCount.Should().Be(3);
        table.Dirty("holder-a", 2, [7], null).Should().Be(Duration);
    }

    [Fact]
    public void A_dirty_that_would_pass_the_table_limit_is_refused_whole()
    {
        var logs = new CapturingLoggerFactory();
        using var table = NewTable(maxEntries: 5, logger: logs.CreateLogger("leases"));
        table.Grant(1, "connection:1");
        table.Grant(2, "connection:1");
        table.Dirty("holder-a", 1, [1, 2], null);
        table.EntryCount.Should().Be(4);

        var refused = () => table.Dirty("holder-b", 1, [1, 2], "connection:1");

        refused.Should().Throw<InvalidOperationException>().WithMessage("*at most 5 entries*");
        table.LeaseCount.Should().Be(4, "nothing applied, not even the end of the provisional leases");
        table.EntryCount.Should().Be(4);
        logs.Entries.Should().Contain(e => e.EventId.Id == 212);
        table.Dirty("holder-b", 2, [1], null).Should().Be(Duration, "one more entry fits");
        table.Dirty("holder-a", 2, [1, 2], null).Should().Be(Duration, "renewals need no new entry");
    }

    [Fact]
    public void Grants_are_never_refused_and_a_clean_past_the_limit_just_leaves_no_tombstone()
    {
        using var table = NewTable(maxEntries: 2);
        table.Grant(1, "connection:1");
        table.Grant(2, "connection:1");
        table.Grant(3, "connection:1");
        table.LeaseCount.Should().Be(3);

        table.Clean("holder-a", 5, [1], null);

        table.EntryCount.Should().Be(3);
        table.Contains(1).Should().BeTrue();
    }

    [Fact]
    public void Calls_carry_at_most_1024_numbers_and_a_holder_id_of_at_most_128_characters()
    {
        _table.Grant(1, "connection:1");
        var most = new ulong[LeaseTable.MaxNumbersPerCall];
        most[0] = 1;
        _table.Dirty("holder-a", 1, most, null).Should().Be(Duration);

        var tooMany = new ulong[LeaseTable.MaxNumbersPerCall + 1];
        FluentActions.Invoking(() => _table.Dirty("holder-a", 2, tooMany, null)).Should().Throw<ArgumentException>().WithMessage("*at most 1024*");
        FluentActions.Invoking(() => _table.Clean("holder-a", 2, tooMany, null)).Should().Throw<ArgumentException>().WithMessage("*at most 1024*");
        FluentActions.Invoking(() => _table.Dirty(new string('h', 129), 1, [1], null)).Should().Throw<ArgumentException>().WithMessage("*at most 128*");
        FluentActions.Invoking(() => _table.Dirty("", 1, [1], null)).Should().Throw<ArgumentException>();
        _table.Dirty(new string('h', 128), 1, [1], null).Should().Be(Duration);
    }

    [Fact]
    public void A_release_callback_that_throws_is_logged_and_the_others_still_run()
    {
        var logs = new CapturingLoggerFactory();
        var released = new List<ulong>();
        using var table = new LeaseTable(Duration, _time, n =>
        {
            released.Add(n);
            if (n == 1)
            {
                throw new InvalidOperationException("boom");
            }
        }, logs.CreateLogger("leases"));
        table.Grant(1, "connection:1");
        table.Grant(2, "connection:1");

        _time.Advance(Duration + table.Period + Tick);

        released.Should().BeEquivalentTo([1UL, 2UL]);
        logs.Entries.Should().Contain(e => e.EventId.Id == 211 && e.Exception is InvalidOperationException);
        table.Grant(3, "connection:1");
        _time.Advance(Duration + table.Period + Tick);
        released.Should().Contain(3UL);
    }

    [Fact]
    public void The_release_callback_runs_outside_the_table_lock()
    {
        var seenFromAnotherThread = -1;
        LeaseTable? table = null;
        table = new LeaseTable(Duration, _time, _ =>
        {
            // Would wait forever if the callback ran under the table's lock (bounded here).
            seenFromAnotherThread = Task.Run(() => table!.LeaseCount).WaitAsync(TestTimeouts.Operation).GetAwaiter().GetResult();
        }, NullLogger.Instance);
        using var scope = table;
        table.Grant(1, "connection:1");
        table.Dirty("holder-a", 1, [1], "connection:1");

        table.Clean("holder-a", 2, [1], null);

        seenFromAnotherThread.Should().Be(0);
    }

    [Fact]
    public void After_dispose_dirties_and_cleans_throw_and_grants_are_ignored()
    {
        _table.Grant(1, "connection:1");
        _table.Dispose();

        _table.LeaseCount.Should().Be(0);
        FluentActions.Invoking(() => _table.Dirty("holder-a", 1, [1], null)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => _table.Clean("holder-a", 1, [1], null)).Should().Throw<ObjectDisposedException>();
        _table.Grant(2, "connection:1");
        _table.LeaseCount.Should().Be(0);
        _time.Advance(PastExpiry);
        _released.Should().BeEmpty();
    }

    [Fact]
    public void Constructor_refuses_durations_and_limits_out_of_range()
    {
        FluentActions.Invoking(() => new LeaseTable(TimeSpan.FromMilliseconds(99), _time, _ => { }, NullLogger.Instance)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new LeaseTable(TimeSpan.FromDays(2), _time, _ => { }, NullLogger.Instance)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new LeaseTable(Duration, _time, _ => { }, NullLogger.Instance, maxHoldersPerObject: 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new LeaseTable(Duration, _time, _ => { }, NullLogger.Instance, maxEntries: 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void The_leases_meter_follows_the_lease_count()
    {
        // Measurements from this thread only: other tests' tables report on the same instrument concurrently.
        var thread = Environment.CurrentManagedThreadId;
        long leases = 0;
        long exported = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Ocean.Remoting" && instrument.Name is "ocean.remoting.leases" or "ocean.remoting.objects.exported")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                if (instrument.Name == "ocean.remoting.leases")
                {
                    leases += value;
                }
                else
                {
                    exported += value;
                }
            }
        });
        listener.Start();

        LeaseTelemetry.ObjectExported();
        LeaseTelemetry.ObjectExported();
        _table.Grant(1, "connection:1");
        _table.Grant(2, "connection:1");
        _table.Dirty("holder-a", 1, [1, 2], "connection:1");
        _table.Dirty("holder-b", 1, [1], null);
        leases.Should().Be(3).And.Be(_table.LeaseCount);

        _table.Clean("holder-a", 2, [1], null);
        leases.Should().Be(2);
        _time.Advance(PastExpiry);
        leases.Should().Be(0);
        LeaseTelemetry.ObjectUnexported();
        exported.Should().Be(1);

        _table.Grant(3, "connection:1");
        _table.Dispose();
        leases.Should().Be(0, "a disposed table gives its leases back");
        LeaseTelemetry.ObjectsExported(-1);
        exported.Should().Be(0);
    }

    [Fact]
    public async Task Concurrent_dirties_and_cleans_keep_the_counts_consistent()
    {
        const int objects = 64;
        for (ulong n = 0; n < objects; n++)
        {
            _table.Grant(n, "connection:1");
        }

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            var holder = "holder-" + w;
            for (var round = 1; round <= 200; round++)
            {
                var number = (ulong)((w * 7 + round) % objects);
                _table.Dirty(holder, round * 2, [number], null);
                _table.Clean(holder, (round * 2) + 1, [number], null);
            }
        }));
        await Task.WhenAll(workers).WithTimeout();

        _table.LeaseCount.Should().Be(objects, "only the provisional leases remain");
        _released.Should().BeEmpty();
        _time.Advance(PastExpiry);
        _released.Should().HaveCount(objects);
        _table.EntryCount.Should().Be(0);
    }
}
