using System.Net;
using System.Runtime.CompilerServices;
using FluentAssertions;
using Ocean.Remoting.Tests.References;
using Ocean.Testing;

namespace Ocean.Remoting.Tests.Lifetime;

/// <summary>A server keeping a client's callback holds a lease on it, over the connection, like any holder.</summary>
public interface IKeeper
{
    Task KeepAsync(IListener listener);

    Task<string> CallKeptAsync(string text);

    Task DropAsync();
}

public sealed class Keeper : IKeeper
{
    private IListener? _kept;

    public Task KeepAsync(IListener listener)
    {
        _kept = listener;
        return Task.CompletedTask;
    }

    public Task<string> CallKeptAsync(string text) => _kept!.HearAsync(text);

    public Task DropAsync()
    {
        _kept = null;
        return Task.CompletedTask;
    }
}

public sealed class CallbackLeaseTests
{
    [Fact]
    public async Task A_callback_the_server_keeps_stays_exported_and_goes_when_the_server_drops_its_proxy()
    {
        var time = new ManualTimeProvider();
        var lease = TimeSpan.FromSeconds(10);
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { TimeProvider = time, LeaseDuration = lease });
        server.Export<IKeeper>(new Keeper(), "keeper");
        await server.StartAsync().WithTimeout();
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint, new RemotingClientOptions { TimeProvider = time, LeaseDuration = lease, PingInterval = Timeout.InfiniteTimeSpan }).WithTimeout();
        var keeper = client.GetProxy<IKeeper>("keeper");
        var exportedBefore = client.Space.ExportedCount; // the built-in lease service

        await KeepAListenerAsync(keeper);
        client.Space.ExportedCount.Should().Be(exportedBefore + 1);

        // The server's first dirty (sent at once when it made its proxy) has come back before the clock moves: until it
        // lands, only the provisional lease of the connection holds the callback.
        await TestTimeouts.UntilAsync(() => server.Space.Renewer.TrackedCount == 1 && server.Space.Renewer.IsIdle, because: "the server's first dirty answered");

        // Leases renewed by the server over the connection: the callback outlives many of the client's lease periods.
        for (var step = 0; step < 8; step++)
        {
            time.Advance(lease / 2);

            // The renewal this step fired must land before the clock moves again (on a loaded machine it may not have
            // by the time the call below returns, and the next step would then pass the lease).
            await TestTimeouts.UntilAsync(() => server.Space.Renewer.IsIdle, because: "the server's renewal answered");
            (await keeper.CallKeptAsync($"ping {step}").WithTimeout()).Should().Be($"kept:ping {step}");
        }

        await keeper.DropAsync().WithTimeout();
        await TestTimeouts.UntilAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                time.Advance(TimeSpan.FromSeconds(5)); // the server's sweep finds its proxy collected and sends clean
                return client.Space.ExportedCount == exportedBefore;
            },
            because: "the server's clean releases the client's callback");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task KeepAListenerAsync(IKeeper keeper) => keeper.KeepAsync(new Listener("kept")).WithTimeout();
}
