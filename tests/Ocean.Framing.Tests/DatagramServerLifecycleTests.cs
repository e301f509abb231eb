using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ocean.Framing.Internal;
using Ocean.Testing;

namespace Ocean.Framing.Tests;

/// <summary>Starting and stopping a UDP message server: a stop, however it interleaves with a start, leaves nothing running.</summary>
public sealed class DatagramServerLifecycleTests
{
    private static readonly MessageConnectionHandler s_drain = async (connection, stopping) =>
    {
        while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
        {
        }
    };

    private static readonly MessageConnectionHandler s_echo = async (connection, stopping) =>
    {
        MessageReceiveResult read;
        while (!(read = await connection.ReceiveAsync(stopping)).IsCompleted)
        {
            await connection.SendAsync(read.Message, stopping);
        }
    };

    [Fact]
    public async Task StartAsync_AfterStop_Throws()
    {
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_drain);
        await server.StopAsync().WithTimeout();

        // Before, this bound a socket that no later StopAsync or DisposeAsync would ever close.
        await FluentActions.Awaiting(() => server.StartAsync()).Should().ThrowAsync<InvalidOperationException>();
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
        server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_drain, new MessageServerOptions { IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = time });

        await server.StartAsync();
        await racingStop!.WithTimeout();

        clock.ArmedTimers.Should().Be(0, "the stop, however it interleaved with the start, disposed the heartbeat timer");
        using var rebind = new UdpClient(new IPEndPoint(IPAddress.Loopback, port)); // the stop closed the socket
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ReceiveLoop_LastingSocketError_PausesInsteadOfSpinning_ThenServesAgain()
    {
        var clock = new ManualTimeProvider();
        var failing = 1;
        var calls = 0;
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_echo, new MessageServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock });
        server.DatagramListener!.ReceiveHook = (socket, buffer, cancellationToken) =>
        {
            Interlocked.Increment(ref calls);
            return Volatile.Read(ref failing) == 1
                ? ValueTask.FromException<Ocean.Transport.DatagramReceiveResult>(new SocketException((int)SocketError.NoBufferSpaceAvailable))
                : socket.ReceiveAsync(buffer, cancellationToken);
        };
        await server.StartAsync();
        try
        {
            // Before, the loop retried at once, forever: thousands of failing receives a second, each one logged.
            await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1, because: "the loop waits on the clock after a failure");
            Volatile.Read(ref calls).Should().Be(1);
            clock.Advance(DatagramMessageListener.MinReceiveBackoff);
            await TestTimeouts.UntilAsync(() => Volatile.Read(ref calls) == 2 && clock.ArmedTimers == 1, because: "one more try, then a longer pause");

            Volatile.Write(ref failing, 0);
            clock.Advance(DatagramMessageListener.MaxReceiveBackoff);
            await using var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
            await client.SendAsync(new byte[] { 4, 2 });
            (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(4, 2);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReceiveLoop_ErrorAboutOneDatagram_RetriedAtOnce()
    {
        var clock = new ManualTimeProvider();
        var calls = 0;
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), s_echo, new MessageServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock });
        server.DatagramListener!.ReceiveHook = (socket, buffer, cancellationToken) =>
            Interlocked.Increment(ref calls) == 1
                ? ValueTask.FromException<Ocean.Transport.DatagramReceiveResult>(new SocketException((int)SocketError.ConnectionReset)) // an ICMP port unreachable
                : socket.ReceiveAsync(buffer, cancellationToken);
        await server.StartAsync();
        try
        {
            // The clock never moves: the datagram is served only if that error caused no pause.
            await using var client = MessageConnection.Create(await Ocean.Transport.DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
            await client.SendAsync(new byte[] { 9 });
            (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(9);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
