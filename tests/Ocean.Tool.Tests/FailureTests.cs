using System.Net;
using System.Net.Sockets;

namespace Ocean.Tool.Tests;

/// <summary>Exit codes and the one-line errors: 2 for usage, 1 for a failed exchange, 0 for help.</summary>
public sealed class FailureTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("listen", "--help")]
    [InlineData("connect", "--help")]
    public async Task Help_ExitsZero(params string[] args)
    {
        var (code, output, error) = await ToolProcess.RunAsync(args);

        code.Should().Be(0);
        error.Should().BeEmpty();
        output.Should().Contain(line => line.StartsWith("usage: ocean", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("error: no command given")]
    [InlineData("error: unknown command 'frobnicate'", "frobnicate")]
    [InlineData("error: unknown option '--bogus'", "listen", "--port", "0", "--bogus")]
    [InlineData("error: --port must be a port number", "listen", "--port", "70000")]
    [InlineData("error: --port must be a port number", "listen", "--port", "http")]
    [InlineData("error: --port is required", "listen")]
    [InlineData("error: --framing must be raw, line, crlf, length or utf", "listen", "--port", "0", "--framing", "xml")]
    [InlineData("error: --prefix must be 1, 2, 4, 8 or varint", "connect", "127.0.0.1:7", "--framing", "length", "--prefix", "3")]
    [InlineData("error: --prefix and --little-endian apply only to --framing length", "connect", "127.0.0.1:7", "--prefix", "2")]
    [InlineData("error: the port must be a port number", "connect", "127.0.0.1:99999", "--send", "x")]
    [InlineData("error: expected HOST:PORT", "connect", "localhost", "--send", "x")]
    [InlineData("error: connect needs HOST:PORT", "connect")]
    [InlineData("error: --send needs a value", "connect", "127.0.0.1:7", "--send")]
    [InlineData("error: 'zz' is not hex bytes", "connect", "127.0.0.1:7", "--hex", "--send", "zz")]
    public async Task BadArguments_ExitTwo_WithOneErrorLine(string expected, params string[] args)
    {
        var (code, output, error) = await ToolProcess.RunAsync(args);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Fact]
    public async Task Connect_ToAClosedPort_ExitsOne()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--send", "hello");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith("error: ");
    }

    [Fact]
    public async Task Connect_ToAPeerThatClosesBeforeAnswering_ExitsOne()
    {
        using var peer = TcpPeer.Start(async stream =>
        {
            var buffer = new byte[16];
            _ = await stream.ReadAsync(buffer); // the request arrives; the peer closes without a reply
        });

        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{peer.Port}", "--timeout", "30", "--send", "hello");

        await peer.Served.WithTimeout();
        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Equal("error: the peer closed the connection before replying");
    }

    [Fact]
    public async Task Connect_WhenNoReplyComesInTime_ExitsOne()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--udp"); // no --echo: nothing comes back
        var port = await listener.ListeningPortAsync();

        // --timeout also bounds opening the socket, which a cold tool process on a loaded machine did not do within 0.5 s
        // ("could not connect" instead, and nothing sent).
        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--udp", "--send", "hello", "--timeout", "3");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Equal("error: no reply within 3 s");
        (await listener.ReadLineAsync()).Should().Be("hello");
    }

    [Fact]
    public async Task Listen_OnAPortInUse_ExitsOne()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (code, output, error) = await ToolProcess.RunAsync("listen", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith("error: ");
    }
}
