using System.Net;
using System.Net.Sockets;
using Ocean.Testing;

namespace Ocean.Framing.Tests;

/// <summary>Starting and stopping a UDP message server: a stop, however it interleaves with a start, leaves nothing running.</summary>
public sealed class DatagramServerLifecycleTests
{
    private static readonly MessageConnectionHandler s_drain = async (connection, stopping) =>
    {
        while (!(await connection.ReadAsync(stopping)).IsCompleted)
        {
        }
    };

    [Fact]
    public async Task StartAsync_AfterStop_Throws()
    {
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_drain);
        await server.StopAsync().WithTimeout();

        // Before, this bound a socket that no later StopAsync or DisposeAsync would ever close.
        await FluentActions.Awaiting(() => server.StartAsync().AsTask()).Should().ThrowAsync<InvalidOperationException>();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task StartAsync_StopRacesWithIt_HeartbeatTimerAndSocketDoNotOutliveTheServer()
    {
        var clock = new ManualTimeProvider();
        MessageServer? server = null;
        Task? racingStop = null;
        var hooked = 0;
        var port = 0;
        var time = new HookedTimeProvider(clock, () =>
        {
            if (Interlocked.Exchange(ref hooked, 1) != 0)
            {
                return; // only the first timer: the heartbeat
            }

            port = ((IPEndPoint)server!.EndPoint).Port;

            // StartAsync is creating the heartbeat now: a StopAsync on another thread must not slip in between.
            racingStop = Task.Run(() => server!.StopAsync());
            racingStop.Wait(TimeSpan.FromSeconds(1)); // enough for an unguarded stop to finish in the gap
        });
        server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_drain, new MessageServerOptions { PeerIdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = time });

        await server.StartAsync();
        await racingStop!.WithTimeout();

        clock.ArmedTimers.Should().Be(0, "the stop, however it interleaved with the start, disposed the heartbeat timer");
        using var rebind = new UdpClient(new IPEndPoint(IPAddress.Loopback, port)); // the stop closed the socket
        await server.DisposeAsync();
    }
}
