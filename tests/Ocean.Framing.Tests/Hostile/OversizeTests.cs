using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ocean.Transport;

namespace Ocean.Framing.Tests.Hostile;

/// <summary>Messages and frames over the limits: refused with <see cref="FramingException"/> as soon as the limit is passed.</summary>
[Trait("Category", "Hostile")]
public sealed class OversizeTests
{
    private const int TooLargeForUdp = DatagramSocket.MaxIPv4DatagramSize + 1;

    [Fact]
    public async Task UdpMessageConnection_MessageLargerThanADatagram_ThrowsFrameTooLarge()
    {
        using var peer = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var connected = MessageConnection.Create(await DatagramSocket.ConnectAsync(peer.LocalEndPoint));
        await using var unconnected = MessageConnection.Create(DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), peer.LocalEndPoint);
        var message = new byte[TooLargeForUdp];

        foreach (var connection in new[] { connected, unconnected })
        {
            (await FluentActions.Awaiting(() => connection.SendAsync(message).AsTask()).Should().ThrowAsync<FramingException>())
                .Which.Error.Should().Be(FramingError.FrameTooLarge);
            (await FluentActions.Awaiting(() => connection.SendAsync(message, static (m, output) => output.Write(m)).AsTask()).Should().ThrowAsync<FramingException>())
                .Which.Error.Should().Be(FramingError.FrameTooLarge);

            // The largest datagram still goes.
            await connection.SendAsync(new byte[DatagramSocket.MaxIPv4DatagramSize]).WithTimeout();
        }
    }

    [Fact]
    public async Task UdpServerPeerConnection_ReplyLargerThanADatagram_ThrowsFrameTooLarge()
    {
        var seen = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            await connection.ReceiveAsync(stopping);
            try
            {
                await connection.SendAsync(new byte[TooLargeForUdp], stopping);
                seen.TrySetResult(null);
            }
            catch (Exception ex)
            {
                seen.TrySetResult(ex);
            }
        });
        await server.StartAsync();
        await using var client = MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));

        await client.SendAsync("hi"u8.ToArray());

        (await seen.Task.WithTimeout()).Should().BeOfType<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
    }

    [Fact]
    public void LenientLine_OneByteOverTheMaximumWithoutTerminator_RefusedAtThatByte()
    {
        const int Max = 16;
        var decoder = new LineCodec(new LineCodecOptions { MaxLineLength = Max }).CreateDecoder();
        var bytes = new byte[Max + 1];
        bytes.AsSpan().Fill((byte)'x');

        decoder.TryReadFrame(new ReadOnlySequence<byte>(bytes, 0, Max), out _, out _, out _).Should().BeFalse();
        var act = () => decoder.TryReadFrame(new ReadOnlySequence<byte>(bytes), out _, out _, out _);

        act.Should().Throw<FramingException>().Which.Error.Should().Be(FramingError.LineTooLong);
    }

    [Fact]
    public async Task NotFailFast_OversizedFrameEndsWithTheInput_FrameTooLargeWithoutWaitingForMoreBytes()
    {
        // A clock that never moves: only the skip's end can end the read, not a deadline.
        var options = new MessageServerOptions { TimeProvider = new ManualTimeProvider() };
        options.Stream.IdleTimeout = Timeout.InfiniteTimeSpan;
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = 16, FailFast = false });
        var (server, firstReadFailure) = await FirstReadServer.StartAsync(codec, options);
        await using var serverScope = server;
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(server.EndPoint);

        var frame = new byte[4 + 100];
        frame[3] = 100;
        await peer.SendAsync(frame); // the whole oversized frame, and nothing after it

        (await firstReadFailure.WithTimeout()).Should().BeOfType<FramingException>().Which.Error.Should().Be(FramingError.FrameTooLarge);
    }
}
