namespace Ocean.Tool.Tests;

/// <summary><c>ocean connect</c> reading standard input: a line that cannot be sent is skipped with a warning.</summary>
/// <remarks>
/// --timeout 5, not 1: it also bounds the connection, which a cold tool process on a loaded 2-core machine did not make
/// within 1 s; it costs the tests the quiet time they wait once their input has ended.
/// </remarks>
public sealed class ConnectInteractiveTests
{
    [Fact]
    public async Task Connect_ALineTooLongForThePrefix_IsSkippedWithAWarning_AndTheSessionGoesOn()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--echo", "--framing", "length", "--prefix", "1");
        var port = await listener.ListeningPortAsync();

        await using var client = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--framing", "length", "--prefix", "1", "--timeout", "5");
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

        await using var client = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--hex", "--framing", "raw", "--timeout", "5");
        await client.StandardInput.WriteAsync("01 02\nzz\n");
        await client.StandardInput.FlushAsync();
        (await client.ReadLineAsync()).Should().Be("01 02");
        await client.StandardInput.WriteAsync("03\n");
        await client.StandardInput.FlushAsync();

        // The echo of 03 is awaited before input ends: after that, the tool waits only --timeout for more, which a loaded
        // machine (two tool processes) can exceed, and would then exit 0 without it.
        await TestTimeouts.UntilAsync(() => Hex(client.StandardOutput) == "010203", because: "the echo of 03");
        client.StandardInput.Close();

        (await client.WaitForExitAsync()).Should().Be(0, string.Join(" / ", client.StandardError));
        Hex(client.StandardOutput).Should().Be("010203");
        client.StandardError.Should().ContainSingle().Which.Should().StartWith("warning: not sent: ");
    }

    private static string Hex(IReadOnlyList<string> lines) => string.Concat(lines).Replace(" ", string.Empty, StringComparison.Ordinal);
}
