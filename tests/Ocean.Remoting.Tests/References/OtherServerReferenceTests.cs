using System.Net;
using FluentAssertions;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

/// <summary>A reference to a third server's object, arriving at a server in a client's request.</summary>
public sealed class OtherServerReferenceTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    [Fact]
    public async Task Is_refused_by_default_before_the_method_runs_and_accepted_when_allowed()
    {
        await using var owner = await StartAsync(new RemotingServerOptions());
        await using var strict = await StartAsync(new RemotingServerOptions());
        await using var open = await StartAsync(new RemotingServerOptions { AcceptReferencesToOtherServers = true });
        await using var toOwner = await RemotingClient.ConnectAsync(owner.EndPoint).WaitAsync(Timeout);
        await using var toStrict = await RemotingClient.ConnectAsync(strict.EndPoint).WaitAsync(Timeout);
        await using var toOpen = await RemotingClient.ConnectAsync(open.EndPoint).WaitAsync(Timeout);
        var counter = await toOwner.GetProxy<IHub>("hub").NewCounterAsync(100).WaitAsync(Timeout);

        var refused = await FluentActions.Awaiting(() => toStrict.GetProxy<IHub>("hub").ReadAsync(counter).WaitAsync(Timeout))
            .Should().ThrowAsync<RemotingException>();
        refused.Which.Status.Should().Be(RemotingStatus.BadArguments);
        refused.Which.Completion.Should().Be(CompletionStatus.No);
        refused.Which.Message.Should().Contain("AcceptReferencesToOtherServers");

        (await toOpen.GetProxy<IHub>("hub").ReadAsync(counter).WaitAsync(Timeout)).Should().Be(101, "the open server called the owner's counter");
        (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(102, "one counter, on its owner");
    }

    [Fact]
    public async Task A_side_keeps_clients_for_at_most_64_other_servers()
    {
        await using var server = await StartAsync(new RemotingServerOptions());
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var stale = ServerIncarnation.New();
        RemoteReference At(int port) => new("127.0.0.1", port, stale, 5, typeof(ICounter).FullName!);

        // Ports nothing listens on (a proxy's lease tries to connect, is refused, and retries later): only the cap matters here.
        for (var port = 1; port <= 64; port++)
        {
            client.GetProxy<ICounter>(At(port)).Should().NotBeNull();
        }

        client.GetProxy<ICounter>(At(1)).Should().NotBeNull("a server already known takes no new client");
        FluentActions.Invoking(() => client.GetProxy<ICounter>(At(65))).Should().Throw<InvalidOperationException>().WithMessage("*more than 64 other servers*");
    }

    private static async Task<RemotingServer> StartAsync(RemotingServerOptions options)
    {
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), options);
        server.Export<IHub>(new Hub(), "hub");
        await server.StartAsync().WaitAsync(Timeout);
        return server;
    }
}
