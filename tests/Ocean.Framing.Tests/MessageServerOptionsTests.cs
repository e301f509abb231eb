using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Ocean.Testing;

namespace Ocean.Framing.Tests;

/// <summary>
/// One place for a message server's logging, clock and deadline: set on <see cref="MessageServerOptions"/>, they
/// reach every layer beneath; set on the nested transport options, they are refused rather than ignored.
/// </summary>
public sealed class MessageServerOptionsTests
{
    private static readonly IPEndPoint s_anyLoopback = new(IPAddress.Loopback, 0);

    private static readonly MessageConnectionHandler s_drain = async (connection, stopping) =>
    {
        while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
        {
        }
    };

    [Fact]
    public void ForStream_LoggerFactoryOnTheStreamOptions_Throws()
    {
        var options = new MessageServerOptions();
        options.Stream.LoggerFactory = new CapturingLoggerFactory();

        FluentActions.Invoking(() => MessageServer.ForStream(s_anyLoopback, new LineCodec(), s_drain, options))
            .Should().Throw<ArgumentException>().WithMessage("*LoggerFactory on the MessageServerOptions*");
    }

    [Fact]
    public void ForStream_ClockOnTheStreamOptions_Throws()
    {
        var options = new MessageServerOptions();
        options.Stream.TimeProvider = new ManualTimeProvider();

        FluentActions.Invoking(() => MessageServer.ForStream(s_anyLoopback, new LineCodec(), s_drain, options))
            .Should().Throw<ArgumentException>().WithMessage("*TimeProvider on the MessageServerOptions*");
    }

    [Fact]
    public void ForStream_ShutdownTimeoutOnTheStreamOptions_Throws()
    {
        var options = new MessageServerOptions();
        options.Stream.ShutdownTimeout = TimeSpan.FromSeconds(1);

        FluentActions.Invoking(() => MessageServer.ForStream(s_anyLoopback, new LineCodec(), s_drain, options))
            .Should().Throw<ArgumentException>().WithMessage("*ShutdownTimeout on the MessageServerOptions*");
    }

    [Fact]
    public void ForDatagrams_LoggerFactoryOrClockOnTheDatagramOptions_Throws()
    {
        var withLogger = new MessageServerOptions();
        withLogger.Datagram.LoggerFactory = new CapturingLoggerFactory();
        var withClock = new MessageServerOptions();
        withClock.Datagram.TimeProvider = new ManualTimeProvider();

        FluentActions.Invoking(() => MessageServer.ForDatagrams(s_anyLoopback, s_drain, withLogger))
            .Should().Throw<ArgumentException>().WithMessage("*LoggerFactory on the MessageServerOptions*");
        FluentActions.Invoking(() => MessageServer.ForDatagrams(s_anyLoopback, s_drain, withClock))
            .Should().Throw<ArgumentException>().WithMessage("*TimeProvider on the MessageServerOptions*");
    }

    [Fact]
    public async Task NestedOptions_SameLoggerAndClockAsTheServer_Accepted()
    {
        var logs = new CapturingLoggerFactory();
        var clock = new ManualTimeProvider();
        var options = new MessageServerOptions { LoggerFactory = logs, TimeProvider = clock };
        options.Stream.LoggerFactory = logs;
        options.Stream.TimeProvider = clock;
        options.Datagram.LoggerFactory = logs;

        await using var stream = MessageServer.ForStream(s_anyLoopback, new LineCodec(), s_drain, options);
        await using var datagrams = MessageServer.ForDatagrams(s_anyLoopback, s_drain, options);
    }

    [Fact]
    public void Nested_SetToNull_Refused()
    {
        var options = new MessageServerOptions();

        FluentActions.Invoking(() => options.Stream = null!).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => options.Datagram = null!).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Defaults_NoMessageIdleTimeout_ShutdownThirtySeconds_NegativeShutdownRefused()
    {
        var options = new MessageServerOptions();

        options.IdleTimeout.Should().Be(Timeout.InfiniteTimeSpan, "stream connections of a server do not idle out unless asked (UDP peers: see the datagram lifecycle tests)");
        new MessageConnectionOptions().IdleTimeout.Should().Be(Timeout.InfiniteTimeSpan, "a connection of your own waits as long as you like");
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(30));
        FluentActions.Invoking(() => options.ShutdownTimeout = TimeSpan.FromSeconds(-1)).Should().Throw<ArgumentOutOfRangeException>();
        options.ShutdownTimeout = Timeout.InfiniteTimeSpan;
        options.ShutdownTimeout.Should().Be(Timeout.InfiniteTimeSpan);
    }

    [Fact]
    public async Task ForStream_OneLoggerFactory_ReachesTheTransport_AndTheCallersStreamOptionsStayUntouched()
    {
        var logs = new CapturingLoggerFactory();
        var options = new MessageServerOptions { LoggerFactory = logs, ShutdownTimeout = TimeSpan.FromSeconds(3) };
        var stream = options.Stream;
        await using var server = MessageServer.ForStream(s_anyLoopback, new LineCodec(), s_drain, options);
        await server.StartAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(server.EndPoint);

        // 201 (listening) and 101 (connection opened) are the transport's own events.
        await TestTimeouts.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 101), because: "the transport's connection logs go to the server's logger factory");
        logs.Entries.Should().Contain(e => e.EventId.Id == 201 && e.Level == LogLevel.Information);
        options.Stream.Should().BeSameAs(stream);
        stream.LoggerFactory.Should().BeNull("the server copies the stream options, it does not fill in the caller's");
        stream.TimeProvider.Should().BeSameAs(TimeProvider.System);
        stream.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ForStream_ShutdownTimeout_IsTheStopDeadline_OnTheServersClock()
    {
        var clock = new ManualTimeProvider();
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MessageServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(7), IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock };
        options.Stream.IdleTimeout = Timeout.InfiniteTimeSpan;
        var server = MessageServer.ForStream(s_anyLoopback, new LineCodec(), async (connection, _) =>
        {
            handlerStarted.TrySetResult();
            while (!(await connection.ReceiveAsync()).IsCompleted) // ignores the stopping token
            {
            }
        }, options);
        await server.StartAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(server.EndPoint);
        await handlerStarted.Task.WithTimeout();

        var stop = server.StopAsync();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0, because: "the deadline should be armed on the server's clock");
        clock.Advance(TimeSpan.FromSeconds(6));
        stop.IsCompleted.Should().BeFalse("6 of the 7 seconds have passed");
        clock.Advance(TimeSpan.FromSeconds(1));

        await stop.WithTimeout();
    }
}
