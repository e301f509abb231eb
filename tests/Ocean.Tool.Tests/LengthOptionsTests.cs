using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Tool.Tests;

/// <summary>--framing length with Netty's options: --length-offset, --length-adjustment, --strip.</summary>
public sealed class LengthOptionsTests
{
    // A 2-byte magic (CA FE), then a 4-byte big-endian length that counts itself and the payload: adjustment -4.
    private static readonly byte[] s_hiFrame = [0xCA, 0xFE, 0x00, 0x00, 0x00, 0x06, 0x68, 0x69];
    private static readonly byte[] s_helloFrame = [0xBA, 0xBE, 0x00, 0x00, 0x00, 0x09, 0x68, 0x65, 0x6C, 0x6C, 0x6F];

    [Theory]
    [InlineData(null, "68 69", "68 65 6c 6c 6f")]                                       // the whole header stripped
    [InlineData("0", "ca fe 00 00 00 06 68 69", "ba be 00 00 00 09 68 65 6c 6c 6f")]    // nothing stripped
    [InlineData("2", "00 00 00 06 68 69", "00 00 00 09 68 65 6c 6c 6f")]                  // the magic stripped, the length kept
    [InlineData("7", "69", "65 6c 6c 6f")]                                                // into the payload
    public async Task Listen_WithAHeaderBeforeTheLength_PrintsEachFrameStrippedAsAsked(string? strip, string first, string second)
    {
        string[] options = ["--framing", "length", "--length-offset", "2", "--length-adjustment", "-4", "--hex"];
        await using var listener = ToolProcess.Start(["listen", "--port", "0", .. options, .. strip is null ? Array.Empty<string>() : ["--strip", strip]]);
        var port = await listener.ListeningPortAsync();

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        byte[] both = [.. s_hiFrame, .. s_helloFrame];
        await stream.WriteAsync(both.AsMemory(0, 4)); // split inside the first length field
        await stream.FlushAsync();
        await stream.WriteAsync(both.AsMemory(4));

        (await listener.ReadLineAsync()).Should().Be(first);
        (await listener.ReadLineAsync()).Should().Be(second);
    }

    [Fact]
    public async Task Connect_WithALengthOffset_SendsWholeFramesAsGiven_AndPrintsTheReplyStripped()
    {
        using var peer = TcpPeer.Start(async stream =>
        {
            var request = new byte[s_hiFrame.Length];
            await stream.ReadExactlyAsync(request);
            await stream.WriteAsync(s_helloFrame);
            return request;
        });

        var (code, output, error) = await ToolProcess.RunAsync(
            "connect", $"127.0.0.1:{peer.Port}", "--timeout", "30", "--framing", "length", "--length-offset", "2", "--length-adjustment", "-4", "--hex", "--send", "ca:fe:00:00:00:06:68:69");

        (await peer.Served.WithTimeout()).Should().Equal(s_hiFrame);
        error.Should().BeEmpty();
        code.Should().Be(0);
        output.Should().Equal("68 65 6c 6c 6f");
    }

    [Fact]
    public async Task ListenEcho_WithStripZero_SendsEachFrameBackExactly()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--echo", "--hex", "--framing", "length", "--length-offset", "2", "--length-adjustment", "-4", "--strip", "0");
        var port = await listener.ListeningPortAsync();

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(s_helloFrame);
        var echoed = new byte[s_helloFrame.Length];
        await stream.ReadExactlyAsync(echoed).AsTask().WithTimeout();

        echoed.Should().Equal(s_helloFrame);
        (await listener.ReadLineAsync()).Should().Be("ba be 00 00 00 09 68 65 6c 6c 6f");
    }

    [Fact]
    public async Task ListenEcho_WithAnAdjustment_DecodesAndEncodesLikeOceanFraming()
    {
        // A 2-byte length that counts itself: what Ocean.Framing's codec writes for "hello" is 00 07 68 65 6c 6c 6f.
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.TwoBytes, LengthAdjustment = -2 });
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--echo", "--framing", "length", "--prefix", "2", "--length-adjustment", "-2");
        var port = await listener.ListeningPortAsync();

        await using var connection = await SocketConnector.ConnectAsync("127.0.0.1", port);
        await using var messages = MessageConnection.Create(connection, codec);
        await messages.SendAsync("hello"u8.ToArray());
        var reply = await messages.ReceiveAsync().WithTimeout();

        Encoding.UTF8.GetString(reply.Message.ToArray()).Should().Be("hello", "the tool wrote the length with the same adjustment");
        (await listener.ReadLineAsync()).Should().Be("hello");

        // Kept whole (--strip 0), the same frame prints with its length counting itself.
        await using var whole = ToolProcess.Start("listen", "--port", "0", "--hex", "--framing", "length", "--prefix", "2", "--length-adjustment", "-2", "--strip", "0");
        var wholePort = await whole.ListeningPortAsync();
        await using var second = await SocketConnector.ConnectAsync("127.0.0.1", wholePort);
        await using var secondMessages = MessageConnection.Create(second, codec);
        await secondMessages.SendAsync("hello"u8.ToArray());
        (await whole.ReadLineAsync()).Should().Be("00 07 68 65 6c 6c 6f");
    }

    [Theory]
    [InlineData("error: --length-offset -1: must not be negative", "--framing", "length", "--length-offset", "-1")]
    [InlineData("error: --strip -3: must not be negative", "--framing", "length", "--strip", "-3")]
    [InlineData("error: --length-adjustment must be a whole number, not 'two'", "--framing", "length", "--length-adjustment", "two")]
    [InlineData("error: --length-offset 16777215 leaves no room for the length field", "--framing", "length", "--length-offset", "16777215")]
    [InlineData("error: --strip 16777217 is more than the largest frame", "--framing", "length", "--strip", "16777217")]
    [InlineData("error: --length-offset, --length-adjustment and --strip apply only to --framing length", "--strip", "0")]
    [InlineData("error: --length-offset, --length-adjustment and --strip apply only to --framing length", "--udp", "--length-adjustment", "2")]
    [InlineData("error: --echo needs frames kept whole (--strip 0)", "--framing", "length", "--length-offset", "2", "--echo")]
    public async Task BadLengthOptions_ExitTwo_WhenListening(string expected, params string[] options)
    {
        var (code, output, error) = await ToolProcess.RunAsync(["listen", "--port", "0", .. options]);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Theory]
    [InlineData("error: 'ca fe 00 00 00 07 68 69' cannot be sent: 8 bytes are not a whole frame", "--length-offset", "2", "--length-adjustment", "-4", "--hex", "--send", "ca fe 00 00 00 07 68 69")]
    [InlineData("error: 'ca fe 00 00 00 05 68 69' cannot be sent: The length field announces a frame of 7 bytes, not 8", "--length-offset", "2", "--length-adjustment", "-4", "--hex", "--send", "ca fe 00 00 00 05 68 69")]
    [InlineData("error: 'hi' cannot be sent: A payload of 2 bytes cannot be announced", "--length-adjustment", "3", "--send", "hi")]
    [InlineData("error: 'ca fe 00 00 00 01 68 69' cannot be sent: The length 1 with adjustment -4 gives a frame of 3 bytes", "--length-offset", "2", "--length-adjustment", "-4", "--hex", "--send", "ca fe 00 00 00 01 68 69")]
    public async Task FramesThatCannotBeSent_ExitTwo(string expected, params string[] options)
    {
        var (code, output, error) = await ToolProcess.RunAsync(["connect", "127.0.0.1:7", "--framing", "length", .. options]);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }
}
