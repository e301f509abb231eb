using System.Net.Sockets;
using System.Net.Security;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests.Hostile;

/// <summary>
/// Peers that hold a connection open while saying nothing, or too little: a TLS client that never finishes its
/// handshake is dropped at TlsHandshakeTimeout (the idle timeout's own tests are in ServerLifecycleTests).
/// </summary>
[Trait("Category", "Hostile")]
public sealed class SlowDripTests
{
    [Theory]
    [InlineData(0)]   // connects and says nothing
    [InlineData(3)]   // the first bytes of a TLS record header, then silence
    public async Task TlsHandshake_ClientStallsIt_DroppedAtTlsHandshakeTimeout(int bytesSent)
    {
        var clock = new ManualTimeProvider();
        var logs = new CapturingLoggerFactory();
        var handlerRan = 0;
        var options = new SocketServerOptions
        {
            Tls = new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Shared.Server },
            TlsHandshakeTimeout = TimeSpan.FromSeconds(10),
            IdleTimeout = Timeout.InfiniteTimeSpan,
            TimeProvider = clock,
            LoggerFactory = logs,
        };
        await using var server = await TestServer.StartAsync((_, _) => { Interlocked.Increment(ref handlerRan); return ValueTask.CompletedTask; }, options);
        using var raw = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(server.EndPoint).WithTimeout();
        await raw.SendAsync(new byte[] { 0x16, 0x03, 0x01 }.AsMemory(0, bytesSent));
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0, because: "the handshake deadline should be armed");
        var read = raw.ReceiveAsync(new byte[1].AsMemory(), SocketFlags.None).AsTask();
        read.IsCompleted.Should().BeFalse("the deadline has not passed");

        clock.Advance(TimeSpan.FromSeconds(10));

        int received;
        try
        {
            received = await read.WithTimeout();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            received = 0; // dropped with a reset: just as closed
        }

        received.Should().Be(0, "the server dropped the stalled connection");
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 0);
        logs.Entries.Should().Contain(e => e.EventId.Id == 208);
        Volatile.Read(ref handlerRan).Should().Be(0);
    }
}
