using System.Net;
using System.Net.Sockets;

namespace Ocean.Tool.Tests;

/// <summary>ocean listen --echo answered by ocean connect --send, each run as a process.</summary>
public sealed class ListenConnectTests
{
    [Theory]
    [InlineData("")]
    [InlineData("--framing crlf")]
    [InlineData("--framing length")]
    [InlineData("--framing length --prefix 2 --little-endian")]
    [InlineData("--framing length --prefix varint")]
    [InlineData("--framing utf")]
    [InlineData("--framing raw")]
    [InlineData("--udp")]
    public async Task ListenEcho_AnswersConnectSend(string options)
    {
        var framing = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await using var listener = ToolProcess.Start(["listen", "--port", "0", "--echo", .. framing]);
        var port = await listener.ListeningPortAsync();

        var (code, output, error) = await ToolProcess.RunAsync(["connect", $"127.0.0.1:{port}", "--timeout", "30", "--send", "hello", "--send", "wörld ✓", .. framing]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        output.Should().Equal("hello", "wörld ✓");
        (await listener.ReadLineAsync()).Should().Be("hello");
        (await listener.ReadLineAsync()).Should().Be("wörld ✓");
    }

    [Theory]
    [InlineData("--framing length")]
    [InlineData("--udp")]
    public async Task HexMode_SendsAndPrintsTheExactBytes(string options)
    {
        var framing = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await using var listener = ToolProcess.Start(["listen", "--port", "0", "--echo", "--both", .. framing]);
        var port = await listener.ListeningPortAsync();

        var (code, output, error) = await ToolProcess.RunAsync(["connect", $"127.0.0.1:{port}", "--timeout", "30", "--hex", "--send", "00 01 ff 0a 41", "--send", "", .. framing]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        output.Should().Equal("00 01 ff 0a 41", string.Empty);
        (await listener.ReadLineAsync()).Should().Be("00 01 ff 0a 41 | \\x00\\x01\uFFFD\\nA");
    }

    [Fact]
    public async Task Connect_WritesTheLengthPrefixOnTheWire_AndDecodesTheReply()
    {
        using var peer = TcpPeer.Start(async stream =>
        {
            var request = new byte[4];
            await stream.ReadExactlyAsync(request);
            await stream.WriteAsync(new byte[] { 0x00, 0x02, 0x4f, 0x4b });
            return request;
        });

        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{peer.Port}", "--timeout", "30", "--framing", "length", "--prefix", "2", "--send", "hi");

        (await peer.Served.WithTimeout()).Should().Equal(0x00, 0x02, 0x68, 0x69);
        error.Should().BeEmpty();
        code.Should().Be(0);
        output.Should().Equal("OK");
    }

    [Fact]
    public async Task Connect_WithoutSend_SendsStandardInputLineByLine()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--echo");
        var port = await listener.ListeningPortAsync();

        // --timeout also bounds the connection: 1 s was short for a cold tool process on a loaded machine.
        await using var client = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--timeout", "5");
        await client.StandardInput.WriteAsync("one\ntwo\n");
        await client.StandardInput.FlushAsync();
        (await client.ReadLineAsync()).Should().Be("one");
        (await client.ReadLineAsync()).Should().Be("two");
        client.StandardInput.Close();

        (await client.WaitForExitAsync()).Should().Be(0, "the input ended and nothing more came within --timeout");
        client.StandardError.Should().BeEmpty();
    }

    [Fact]
    public async Task Connect_WithoutSend_EndsWhenThePeerCloses_EvenWithInputOpen()
    {
        using var peer = TcpPeer.Start(stream => stream.WriteAsync("bye\n"u8.ToArray()).AsTask());

        await using var tool = ToolProcess.Start("connect", $"127.0.0.1:{peer.Port}", "--timeout", "30");
        await peer.Served.WithTimeout();

        (await tool.ReadLineAsync()).Should().Be("bye");
        (await tool.WaitForExitAsync(TimeSpan.FromSeconds(15))).Should().Be(0, "the peer closed; standard input is still open");
        tool.StandardError.Should().BeEmpty();
    }

    [Fact]
    public async Task Listen_EndsCleanlyOnCtrlC()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0");
        await listener.ListeningPortAsync();

        await listener.InterruptAsync();

        (await listener.WaitForExitAsync()).Should().Be(0);
        listener.StandardError.Should().BeEmpty();
    }

    [Fact]
    public async Task Connect_EndsOnCtrlC_ZeroWhenReadingInput_130WhileSendWaits()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0"); // no --echo: nothing comes back
        var port = await listener.ListeningPortAsync();

        await using var interactive = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--timeout", "30");
        await interactive.StandardInput.WriteLineAsync("typed");
        await interactive.StandardInput.FlushAsync();
        (await listener.ReadLineAsync()).Should().Be("typed");
        await interactive.InterruptAsync();
        (await interactive.WaitForExitAsync()).Should().Be(0);

        await using var sending = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--timeout", "30", "--send", "waiting");
        (await listener.ReadLineAsync()).Should().Be("waiting");
        await sending.InterruptAsync();
        (await sending.WaitForExitAsync()).Should().Be(130);
        sending.StandardError.Should().BeEmpty();
    }
}
