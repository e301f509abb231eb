namespace Ocean.Remoting.Tests.References;

/// <summary>
/// Servers passing their objects to each other: a server's object travels with the server's endpoint, whichever
/// connection carries it, and comes home as itself.
/// </summary>
public sealed class ServerToServerTests
{
    private static readonly TimeSpan Timeout = RefKit.Timeout;

    private static async Task<(Rig Rig, RemotingServer HolderServer, RemotingServer DepotServer, Depot Depot)> StartAsync(string marshaller)
    {
        var rig = new Rig();
        var depot = new Depot();
        var holderServer = await rig.ServerAsync(s => s.Export<IHolder>(new Holder(), "holder"), RefKit.ServerOptions(marshaller));
        var depotServer = await rig.ServerAsync(s => s.Export<IDepot>(depot, "depot"), RefKit.ServerOptions(marshaller));
        return (rig, holderServer, depotServer, depot);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_servers_object_handed_to_its_client_and_put_into_another_servers_holder_is_called_from_there(string marshaller)
    {
        var (rig, holderServer, depotServer, depot) = await StartAsync(marshaller);
        await using var _ = rig;
        var client = await rig.ClientAsync(depotServer, marshaller);
        var holder = client.GetProxy<IHolder>(holderServer.GetReference("holder"));

        var mine = await client.GetProxy<IDepot>("depot").MineAsync().WaitAsync(Timeout);
        await holder.PutAsync(mine).WaitAsync(Timeout);

        // A client of the holder's server is given the depot's counter (an endpoint reference) and calls it.
        var other = await rig.ClientAsync(holderServer, marshaller);
        var kept = await other.GetProxy<IHolder>("holder").GetAsync().WaitAsync(Timeout);
        (await kept!.IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
        depot.Mine.Calls.Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_servers_own_object_read_back_from_another_server_arrives_as_itself(string marshaller)
    {
        var (rig, holderServer, depotServer, _) = await StartAsync(marshaller);
        await using var __ = rig;
        var client = await rig.ClientAsync(depotServer, marshaller);
        var holder = client.GetProxy<IHolder>(holderServer.GetReference("holder"));
        var depot = client.GetProxy<IDepot>("depot");
        await holder.PutAsync(await depot.MineAsync().WaitAsync(Timeout)).WaitAsync(Timeout);

        // The depot server asks the holder's server (over its own outbound connection) for what it keeps.
        (await depot.HolderKeepsMineAsync(holder).WaitAsync(Timeout)).Should().BeTrue("written back to its owner, a reference arrives there as the owner's own object");
        // The depot server's connections: the client's, and the holder server's (it leases the depot's counter it keeps).
        // One from the depot server to itself would make three.
        await TestTimeouts.UntilAsync(() => depotServer.ActiveConnections == 2, Timeout, "the client's and the holder server's connections");
        depotServer.ActiveConnections.Should().Be(2, "no connection from the depot server to itself");
    }

    [Theory]
    [MemberData(nameof(RefKit.Marshallers), MemberType = typeof(RefKit))]
    public async Task A_servers_object_it_passes_to_another_server_carries_its_endpoint_and_can_be_passed_on(string marshaller)
    {
        var (rig, holderServer, depotServer, depot) = await StartAsync(marshaller);
        await using var _ = rig;
        var client = await rig.ClientAsync(depotServer, marshaller);
        var holder = client.GetProxy<IHolder>(holderServer.GetReference("holder"));

        // The depot server puts its own counter into the holder (a call it makes, over a connection it opened).
        await client.GetProxy<IDepot>("depot").DepositAsync(holder).WaitAsync(Timeout);

        var other = await rig.ClientAsync(holderServer, marshaller);
        var kept = await other.GetProxy<IHolder>("holder").GetAsync().WaitAsync(Timeout);
        (await kept!.IncrementAsync().WaitAsync(Timeout)).Should().Be(1);
        depot.Mine.Calls.Should().Be(1);
    }
}
