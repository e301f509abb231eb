namespace Ocean.Tool.Tests;

/// <summary><c>ocean connect</c> reading standard input: a line that cannot be sent is skipped with a warning.</summary>
public sealed class ConnectInteractiveTests
{
    [Fact]
    public async Task Connect_ALineTooLongForThePrefix_IsSkippedWithAWarning_AndTheSessionGoesOn()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--echo", "--framing", "length", "--prefix", "1");
        var port = await listener.ListeningPortAsync();

        await using var client = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--framing", "length", "--prefix", "1", "--timeout", "1");
        await client.StandardInput.WriteAsync("hello\n" + new string('x', 300) + "\nworld\n");
        await client.StandardInput.FlushAsync();
        (await client.ReadLineAsync()).Should().Be("hello");
        (await client.ReadLineAsync()).Should().Be("world", "the line after the bad one is still sent");
        client.StandardInput.Close();

        (await client.WaitForExitAsync()).Should().Be(0, "one bad line does not end the session: " + string.Join(" / ", client.StandardError));
        client.StandardOutput.Should().Equal("hello", "world");
        client.StandardError.Should().ContainSingle().Which.Should().StartWith("warning: not sent: '" + new string('x', 300) + "' cannot be sent: ");
    }

    [Fact]
    public async Task Connect_BadHexLine_IsSkippedWithAWarning_AndTheSessionGoesOn()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--echo", "--hex", "--framing", "raw");
        var port = await listener.ListeningPortAsync();

        await using var client = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--hex", "--framing", "raw", "--timeout", "1");
        await client.StandardInput.WriteAsync("01 02\nzz\n");
        await client.StandardInput.FlushAsync();
        (await client.ReadLineAsync()).Should().Be("01 02");
        await client.StandardInput.WriteAsync("03\n");
        client.StandardInput.Close();

        (await client.WaitForExitAsync()).Should().Be(0, string.Join(" / ", client.StandardError));
        string.Concat(client.StandardOutput).Replace(" ", string.Empty, StringComparison.Ordinal).Should().Be("010203");
        client.StandardError.Should().ContainSingle().Which.Should().StartWith("warning: not sent: ");
    }
}
