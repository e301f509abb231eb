using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Remoting.Internal.Leases;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.Leases;

public sealed class DistributedGcTests : IDisposable
{
    private const string Incarnation = "5f0c0000000000000000000000000001.1764460800000";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    private readonly ManualTimeProvider _time = new();
    private readonly List<ulong> _released = [];
    private readonly LeaseTable _table;
    private string? _connection = "connection:1";

    public DistributedGcTests() => _table = new LeaseTable(Duration, _time, _released.Add, NullLogger.Instance, maxHoldersPerObject: 2);

    public void Dispose() => _table.Dispose();

    private DistributedGc NewGc() => new(_table, Incarnation, () => _connection);

    [Fact]
    public async Task Dirty_grants_the_lease_in_milliseconds_and_ends_the_provisional_lease_of_the_calling_connection()
    {
        var gc = NewGc();
        _table.Grant(7, "connection:1");

        (await gc.DirtyAsync("holder-a", 1, Incarnation, [7])).Should().Be(10_000);

        _table.LeaseCount.Should().Be(1);
        await gc.CleanAsync("holder-a", 2, Incarnation, [7]);
        _released.Should().Equal(7UL);
    }

    [Fact]
    public async Task A_call_through_an_unknown_connection_ends_no_provisional_lease()
    {
        _connection = null;
        var gc = NewGc();
        _table.Grant(7, "connection:1");

        (await gc.DirtyAsync("holder-a", 1, Incarnation, [7])).Should().Be(10_000);

        _table.LeaseCount.Should().Be(2);
    }

    [Fact]
    public async Task Another_incarnation_is_granted_nothing_and_its_cleans_are_ignored()
    {
        var gc = NewGc();
        _table.Grant(7, "connection:1");
        await gc.DirtyAsync("holder-a", 1, Incarnation, [7]);

        (await gc.DirtyAsync("holder-b", 1, "5f0c0000000000000000000000000001.1764460799999", [7])).Should().Be(0);
        await gc.CleanAsync("holder-a", 2, "other", [7]);

        _table.LeaseCount.Should().Be(1);
        _released.Should().BeEmpty();
    }

    [Fact]
    public async Task Stale_numbers_are_granted_nothing()
    {
        var gc = NewGc();

        (await gc.DirtyAsync("holder-a", 1, Incarnation, [7, 8])).Should().Be(0);
    }

    [Fact]
    public async Task Malformed_calls_throw()
    {
        var gc = NewGc();

        await FluentActions.Awaiting(() => gc.DirtyAsync("holder-a", 1, Incarnation, null!)).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => gc.CleanAsync("holder-a", 1, Incarnation, null!)).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => gc.DirtyAsync(null!, 1, Incarnation, [1])).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => gc.DirtyAsync("holder-a", 1, Incarnation, new ulong[1025])).Should().ThrowAsync<ArgumentException>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_collector_works_as_a_remote_object_with_both_marshallers(bool graph)
    {
        _table.Grant(7, "connection:1");
        await using var loop = await Loopback.StartAsync(
            server => server.Export<IDistributedGc>(NewGc(), "test.dgc"),
            serverOptions: new RemotingServerOptions { Marshaller = graph ? Loopback.NewGraphMarshaller() : null },
            clientOptions: new RemotingClientOptions { Marshaller = graph ? Loopback.NewGraphMarshaller() : null });
        var dgc = loop.Proxy<IDistributedGc>("test.dgc");

        (await dgc.DirtyAsync("holder-a", 1, Incarnation, [7, ulong.MaxValue]).WithTimeout()).Should().Be(10_000);
        _table.LeaseCount.Should().Be(1);

        // A refusal (here: the object's holder limit of 2) reaches the caller as an error reply naming the exception.
        await dgc.DirtyAsync("holder-b", 1, Incarnation, [7]).WithTimeout();
        var refused = await FluentActions.Awaiting(() => dgc.DirtyAsync("holder-c", 1, Incarnation, [7]).WithTimeout()).Should().ThrowAsync<RemotingException>();
        refused.Which.Status.Should().Be(RemotingStatus.ApplicationException);
        refused.Which.RemoteTypeName.Should().Be(typeof(InvalidOperationException).FullName);
        refused.Which.RemoteMessage.Should().Contain("already has 2 holders");

        await dgc.CleanAsync("holder-a", 2, Incarnation, [7]).WithTimeout();
        await dgc.CleanAsync("holder-b", 2, Incarnation, [7]).WithTimeout();
        _released.Should().Equal(7UL);
        (await dgc.DirtyAsync("holder-a", 3, Incarnation, [7]).WithTimeout()).Should().Be(0, "a released object stays released");
    }
}

/// <summary>Holder ids are the peer's to choose: one connection may show only a few.</summary>
public sealed class DistributedGcHolderLimitTests : IDisposable
{
    private const string Incarnation = "00112233445566778899aabbccddeeff.1764460800000";
    private readonly ManualTimeProvider _time = new();
    private readonly LeaseTable _table;
    private string? _connection = "connection:1";

    public DistributedGcHolderLimitTests() => _table = new LeaseTable(TimeSpan.FromSeconds(10), _time, _ => { }, NullLogger.Instance);

    public void Dispose() => _table.Dispose();

    [Fact]
    public async Task A_connection_inventing_holder_ids_is_refused_past_the_limit_and_others_are_not()
    {
        var gc = new DistributedGc(_table, Incarnation, () => _connection);
        _table.Grant(7, "connection:1");
        for (var i = 0; i < DistributedGc.MaxHoldersPerConnection; i++)
        {
            (await gc.DirtyAsync($"holder-{i}", 1, Incarnation, [7])).Should().BeGreaterThan(0);
        }

        (await gc.DirtyAsync("holder-0", 2, Incarnation, [7])).Should().BeGreaterThan(0, "a holder already seen renews");
        await FluentActions.Awaiting(() => gc.DirtyAsync("one-too-many", 1, Incarnation, [7])).Should().ThrowAsync<InvalidOperationException>()
            .WithMessage($"*More than {DistributedGc.MaxHoldersPerConnection} lease holder ids on one connection*");

        _connection = "connection:2";
        (await gc.DirtyAsync("holder-elsewhere", 1, Incarnation, [7])).Should().BeGreaterThan(0, "another connection has its own allowance");

        _connection = "connection:1";
        gc.ConnectionClosed("connection:1");
        (await gc.DirtyAsync("one-too-many", 1, Incarnation, [7])).Should().BeGreaterThan(0, "a closed connection's holders no longer count");

        _connection = null;
        (await gc.DirtyAsync("in-process", 1, Incarnation, [7])).Should().BeGreaterThan(0, "a call without a connection is not limited");
    }
}
