using System.Net;
using Ocean.Transport.Internal;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class ServerLifecycleTests
{
    [Fact]
    public async Task StopAsync_ClientsConnected_TheySeeCleanCloseAndStopReturns()
    {
        var server = await TestServer.StartAsync(TestServer.Echo);
        var clients = new List<Connection>();
        for (var i = 0; i < 5; i++)
        {
            var client = await server.ConnectAsync();
            await client.Transport.Output.WriteAsync(new byte[] { (byte)i });
            (await client.Transport.Input.ReadExactlyAsync(1).WithTimeout()).Should().Equal((byte)i);
            clients.Add(client);
        }

        var stop = server.StopAsync();
        foreach (var client in clients)
        {
            // A clean close: the input ends without an exception, and the client closes its side in turn.
            var rest = await client.Transport.Input.ReadToEndAsync().WithTimeout();
            rest.Should().BeEmpty();
            await client.DisposeAsync();
        }

        await stop.WithTimeout();

        server.ActiveConnections.Should().Be(0);
        await FluentActions.Awaiting(() => SocketConnector.ConnectAsync(server.EndPoint).AsTask().WithTimeout())
            .Should().ThrowAsync<ConnectException>("the listener is closed");
    }

    [Fact]
    public async Task StopAsync_HandlerIgnoresStopping_AbortedAtTheDeadline()
    {
        var clock = new ManualTimeProvider();
        var handlerSawStopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerFinished = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SocketServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(10), IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock };
        var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                stopping.Register(() => handlerSawStopping.TrySetResult());
                try
                {
                    // Stubborn: keeps reading and never looks at the stopping token.
                    await connection.Transport.Input.ReadToEndAsync();
                    handlerFinished.TrySetResult(null);
                }
                catch (Exception ex)
                {
                    handlerFinished.TrySetResult(ex);
                    throw;
                }
            },
            options);
        await using var client = await server.ConnectAsync();
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1);

        var stop = server.StopAsync();
        await handlerSawStopping.Task.WithTimeout();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0, because: "the shutdown deadline timer should be armed");
        stop.IsCompleted.Should().BeFalse("the handler is still running and the deadline has not passed");

        clock.Advance(TimeSpan.FromSeconds(10));
        await stop.WithTimeout();

        (await handlerFinished.Task.WithTimeout()).Should().BeOfType<ConnectionAbortedException>();
        (await client.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty();
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 0);
    }

    [Fact]
    public async Task MaxConnections_OverTheLimit_AcceptedClosedAndCounted()
    {
        var options = new SocketServerOptions { MaxConnections = 2 };
        await using var server = await TestServer.StartAsync(TestServer.Echo, options);
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 2);

        await using var third = await server.ConnectAsync();
        var thirdInput = await third.Transport.Input.ReadToEndAsync().WithTimeout();

        thirdInput.Should().BeEmpty("a connection over the limit is closed at once");
        server.RefusedConnections.Should().Be(1);
        server.AcceptedConnections.Should().Be(3);

        // The two admitted connections still work, and a slot freed is a slot reusable.
        await first.Transport.Output.WriteAsync("one"u8.ToArray());
        (await first.Transport.Input.ReadExactlyAsync(3).WithTimeout()).Should().Equal("one"u8.ToArray());
        await second.CloseAsync().WithTimeout();
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1);
        await using var fourth = await server.ConnectAsync();
        await fourth.Transport.Output.WriteAsync("four"u8.ToArray());
        (await fourth.Transport.Input.ReadExactlyAsync(4).WithTimeout()).Should().Equal("four"u8.ToArray());
        server.RefusedConnections.Should().Be(1);
    }

    [Fact]
    public async Task IdleTimeout_SilentConnectionAborted_ActiveOneKept()
    {
        var clock = new ManualTimeProvider();
        var options = new SocketServerOptions { IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock };
        await using var server = await TestServer.StartAsync(TestServer.Echo, options);
        await using var silent = await server.ConnectAsync();
        await using var chatty = await server.ConnectAsync();
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 2);

        clock.Advance(TimeSpan.FromSeconds(6));
        await chatty.Transport.Output.WriteAsync(new byte[] { 1 });
        (await chatty.Transport.Input.ReadExactlyAsync(1).WithTimeout()).Should().Equal(1);
        clock.Advance(TimeSpan.FromSeconds(6));

        (await silent.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty("the silent connection was idle for 12 s");
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1);
        await chatty.Transport.Output.WriteAsync(new byte[] { 2 });
        (await chatty.Transport.Input.ReadExactlyAsync(1).WithTimeout()).Should().Equal(2);
    }

    [Fact]
    public async Task Handler_Throws_OnlyItsConnectionCloses_NeighboursKeepWorking()
    {
        var logs = new CapturingLoggerFactory();
        ConnectionHandler handler = async (connection, stopping) =>
        {
            var first = await connection.Transport.Input.ReadExactlyAsync(1, stopping);
            if (first[0] == (byte)'X')
            {
                throw new InvalidOperationException("handler bug");
            }

            await connection.Transport.Output.WriteAsync(first, stopping);
            await connection.Transport.EchoAsync(stopping);
        };
        await using var server = await TestServer.StartAsync(handler, new SocketServerOptions { LoggerFactory = logs });
        var neighbours = new List<Connection>();
        for (var i = 0; i < 3; i++)
        {
            var neighbour = await server.ConnectAsync();
            await neighbour.Transport.Output.WriteAsync(new byte[] { (byte)('a' + i) });
            (await neighbour.Transport.Input.ReadExactlyAsync(1).WithTimeout()).Should().Equal((byte)('a' + i));
            neighbours.Add(neighbour);
        }

        await using var faulty = await server.ConnectAsync();
        await faulty.Transport.Output.WriteAsync("X"u8.ToArray());
        (await faulty.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty();

        foreach (var neighbour in neighbours)
        {
            await neighbour.Transport.Output.WriteAsync("still here"u8.ToArray());
            (await neighbour.Transport.Input.ReadExactlyAsync(10).WithTimeout()).Should().Equal("still here"u8.ToArray());
            await neighbour.DisposeAsync();
        }

        logs.Entries.Should().Contain(e => e.EventId.Id == 203 && e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task StartAsync_PortZero_ReportsTheBoundPort()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo);

        var endPoint = server.EndPoint.Should().BeOfType<IPEndPoint>().Subject;
        endPoint.Port.Should().BeGreaterThan(0);
        endPoint.Address.Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public async Task StartAsync_PortInUse_ThrowsSocketException()
    {
        await using var first = await TestServer.StartAsync(TestServer.Echo);
        var second = new SocketServer(first.EndPoint, TestServer.Echo);

        await FluentActions.Awaiting(() => second.StartAsync()).Should().ThrowAsync<System.Net.Sockets.SocketException>();
        await second.DisposeAsync();
    }

    [Fact]
    public async Task StopAsync_CalledTwice_IsIdempotent()
    {
        var server = await TestServer.StartAsync(TestServer.Echo);

        var first = server.StopAsync();
        var second = server.StopAsync();
        await Task.WhenAll(first, second).WithTimeout();

        second.Should().BeSameAs(first);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task StopAsync_IdleClientConnected_DoesNotWaitCloseTimeoutForItsFin()
    {
        // The clock never moves, so a stop that lingered CloseTimeout for the idle peer's FIN would never finish.
        var clock = new ManualTimeProvider();
        var options = new SocketServerOptions { CloseTimeout = TimeSpan.FromSeconds(60), IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock };
        var server = await TestServer.StartAsync(TestServer.Echo, options);
        await using var idle = await server.ConnectAsync();
        await idle.Transport.Output.WriteAsync("x"u8.ToArray());
        (await idle.Transport.Input.ReadExactlyAsync(1).WithTimeout()).Should().Equal("x"u8.ToArray());

        await server.StopAsync().WithTimeout();

        // Closed with a FIN after everything was sent, not reset: the idle client reads a clean end.
        (await idle.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty();
        server.ActiveConnections.Should().Be(0);
    }

    [Fact]
    public async Task StopAsync_PeerStillSending_LingersUntilItsFin()
    {
        // The linger is skipped only for idle peers: when bytes wait unread in the server's socket, closing it would
        // answer them with a reset, so the server reads and drops them until the client's FIN.
        var clock = new ManualTimeProvider();
        var accepted = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SocketServerOptions { CloseTimeout = TimeSpan.FromSeconds(60), IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock, MaxReadBufferSize = 4096 };
        var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                accepted.TrySetResult(connection);
                await Task.Delay(Timeout.Infinite, stopping); // reads nothing
            },
            options);
        await using var client = await server.ConnectAsync();
        var serverSide = (SocketConnection)await accepted.Task.WithTimeout();
        var send = client.Transport.Output.WriteAsync(new byte[1024 * 1024]).AsTask(); // far more than the server buffers
        await TestTimeouts.UntilAsync(() => serverSide.Socket.Available > 0, because: "the client's bytes should back up in the server's socket");

        var stop = server.StopAsync();
        (await client.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty("the server sent its FIN");
        await send.WithTimeout(); // the lingering server reads and drops what the client sends
        stop.IsCompleted.Should().BeFalse("the server lingers for the client's FIN");

        await client.Transport.Output.CompleteAsync();
        await stop.WithTimeout();
    }

    [Fact]
    public async Task StartAsync_StopRacesWithIt_HeartbeatTimerDoesNotOutliveTheServer()
    {
        var clock = new ManualTimeProvider();
        SocketServer? server = null;
        Task? racingStop = null;
        var hooked = 0;
        var time = new HookedTimeProvider(clock, () =>
        {
            if (Interlocked.Exchange(ref hooked, 1) != 0)
            {
                return; // only the first timer: the heartbeat
            }

            // StartAsync is creating the heartbeat now: a StopAsync on another thread must not slip in between.
            racingStop = Task.Run(() => server!.StopAsync());
            racingStop.Wait(TimeSpan.FromSeconds(1)); // enough for the old code's stop to finish in the gap
        });
        server = new SocketServer(new IPEndPoint(IPAddress.Loopback, 0), TestServer.Echo, new SocketServerOptions { IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = time });

        await server.StartAsync();
        await racingStop!.WithTimeout();

        clock.ArmedTimers.Should().Be(0, "the stop, however it interleaved with the start, disposed the heartbeat timer");
        await FluentActions.Awaiting(() => server.StartAsync()).Should().ThrowAsync<InvalidOperationException>();
    }
}
