using System.Net;
using System.Net.Sockets;

namespace Ocean.Framing.Tests.Hostile;

/// <summary>Peers that send a frame slowly, or stop half-way: cut off by <see cref="MessageConnectionOptions.FrameTimeout"/>.</summary>
[Trait("Category", "Hostile")]
public sealed class SlowDripTests
{
    [Fact]
    public async Task NotFailFast_HugeFrameAnnouncedThenDripped_CutOffByTheFrameDeadlineWhileBeingSkipped()
    {
        var clock = new ManualTimeProvider();
        var options = new MessageServerOptions { FrameTimeout = TimeSpan.FromSeconds(30), IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock };
        options.Stream.IdleTimeout = Timeout.InfiniteTimeSpan;
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = 1024, FailFast = false });
        var (server, firstReadFailure) = await FirstReadServer.StartAsync(codec, options);
        await using var serverScope = server;
        using var drip = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await drip.ConnectAsync(server.EndPoint);

        // A 100 MB frame announced whole, with its first bytes: skipped as it arrives, so nothing stays buffered.
        await drip.SendAsync(new byte[] { 0x05, 0xF5, 0xE1, 0x00, 1, 2, 3 });
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0, because: "the frame deadline should be armed while the frame is skipped");
        clock.Advance(TimeSpan.FromSeconds(30));

        (await firstReadFailure.WithTimeout()).Should().BeOfType<FramingException>().Which.Error.Should().Be(FramingError.FrameTimeout);
    }
}
