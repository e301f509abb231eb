using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>A client outlives its server: calls fail fast during the backoff, then go to a new connection to the new server.</summary>
public sealed class ReconnectTests
{
    [Fact]
    public async Task NewServerOnTheSamePort_IsReachedByTheNextCallAfterTheBackoff()
    {
        var first = new Probe();
        var server = await Kit.StartServerAsync(first);
        var endPoint = (IPEndPoint)server.EndPoint;
        var reconnectDelay = TimeSpan.FromSeconds(2);
        var (client, proxy) = await Kit.ConnectAsync(endPoint, new RemotingClientOptions { ReconnectDelay = reconnectDelay, MaxReconnectDelay = reconnectDelay });
        await using var _ = client;
        var firstConnection = await proxy.ConnectionIdAsync().WithTimeout();

        await server.DisposeAsync().AsTask().WithTimeout();

        // Calls fail unavailable/no: first on the old connection (go-away, then closed), then a call tries to connect,
        // is refused, and starts the backoff, which the next call reports.
        var sinceFirstAttempt = Stopwatch.StartNew();
        await Kit.EventuallyAsync(
            async () =>
            {
                var failure = await Kit.FailsAsync(() => proxy.AddAsync(1, 2), RemotingStatus.Unavailable, CompletionStatus.No);
                return failure.Message.Contains("next connection attempt", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(10),
            "a connection attempt was refused and the backoff started");

        await using var second = await StartOnPortAsync(new Probe(), endPoint.Port);

        // During the backoff the client does not try, even though a server is there now: calls fail at once.
        var duringBackoff = await Kit.FailsAsync(() => proxy.AddAsync(1, 2), RemotingStatus.Unavailable, CompletionStatus.No);
        duringBackoff.Message.Should().Contain("next connection attempt");
        second.ActiveConnections.Should().Be(0);

        // After the delay, the next call connects to the new server.
        var sum = 0;
        await Kit.EventuallyAsync(
            async () =>
            {
                var failure = await Kit.TryAsync(async () => sum = await proxy.AddAsync(20, 22));
                if (failure is not null)
                {
                    (failure.Status, failure.Completion).Should().Be((RemotingStatus.Unavailable, CompletionStatus.No), failure.Message);
                }

                return failure is null;
            },
            TimeSpan.FromSeconds(15),
            "a call succeeds once the backoff has passed");
        sinceFirstAttempt.Elapsed.Should().BeGreaterThanOrEqualTo(reconnectDelay, "no attempt before the delay");
        sum.Should().Be(42);
        (await proxy.ConnectionIdAsync().WithTimeout()).Should().NotBe(firstConnection);
        second.ActiveConnections.Should().Be(1);
    }

    /// <summary>Binds a new server to the port the last one released, retrying a few times while the OS frees it.</summary>
    private static async Task<RemotingServer> StartOnPortAsync(IProbe probe, int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, port));
            server.Export(probe, Kit.Name);
            try
            {
                await server.StartAsync().WithTimeout();
                return server;
            }
            catch (Exception e) when (attempt < 20 && (e is SocketException || e.InnerException is SocketException || e is OceanException))
            {
                await server.DisposeAsync();
                await Task.Delay(50);
            }
        }
    }
}
