using System.Net;
using System.Text;
using Ocean.Transport;

namespace Ocean.Tool.Tests;

/// <summary>
/// ocean multicast on the loopback interface (<c>--interface lo</c>, so nothing leaves the machine), against another
/// ocean multicast process and against Ocean's own multicast sockets. Each test has a group of its own and a port the
/// first member got with port 0, so tests run in parallel. IPv6 multicast is not delivered on <c>lo</c> (see
/// Ocean.Transport's README): for IPv6 only joining is tested here.
/// </summary>
public sealed class MulticastTests
{
    private static string NewGroup() => $"239.255.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";

    private static DatagramOptions OnLoopback() => new() { MulticastInterface = "lo", ReuseAddress = true };

    [Fact]
    public async Task OneToolSends_AnotherPrints()
    {
        var group = NewGroup();
        await using var member = ToolProcess.Start("multicast", $"{group}:0", "--interface", "lo");
        var port = await member.JoinedPortAsync();

        var (code, output, error) = await ToolProcess.RunAsync("multicast", $"{group}:{port}", "--interface", "lo", "--send", "hello", "--send", "wörld ✓");

        error.Should().BeEmpty();
        code.Should().Be(0);
        output.Should().BeEmpty("with --send it sends and ends, and prints no joined line");
        (await member.ReadLineAsync()).Should().Be("hello");
        (await member.ReadLineAsync()).Should().Be("wörld ✓");

        await member.InterruptAsync();
        (await member.WaitForExitAsync()).Should().Be(0);
        member.StandardError.Should().BeEmpty();
    }

    [Fact]
    public async Task TwoMembers_SendTheirStandardInput_EachPrintsTheOthersButNotItsOwn()
    {
        var group = NewGroup();
        await using var first = ToolProcess.Start("multicast", $"{group}:0", "--interface", "127.0.0.1"); // by address
        var port = await first.JoinedPortAsync();
        await using var second = ToolProcess.Start("multicast", $"{group}:{port}", "--interface", "lo");
        (await second.JoinedPortAsync()).Should().Be(port);

        await second.StandardInput.WriteLineAsync("from second");
        await second.StandardInput.FlushAsync();
        (await first.ReadLineAsync()).Should().Be("from second");

        await first.StandardInput.WriteLineAsync("from first");
        await first.StandardInput.FlushAsync();
        (await second.ReadLineAsync()).Should().Be("from first", "its own \"from second\", sent earlier, is not printed");

        first.StandardInput.Close(); // the end of input does not end a member
        await second.StandardInput.WriteLineAsync("after first's input ended");
        await second.StandardInput.FlushAsync();
        (await first.ReadLineAsync()).Should().Be("after first's input ended");

        foreach (var member in new[] { first, second })
        {
            await member.InterruptAsync();
            (await member.WaitForExitAsync()).Should().Be(0);
            member.StandardError.Should().BeEmpty();
        }
    }

    [Fact]
    public async Task ToolSends_AnOceanMemberReceivesTheExactBytes()
    {
        var group = IPAddress.Parse(NewGroup());
        await using var member = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), OnLoopback());
        member.JoinMulticastGroup(group);

        var (code, _, error) = await ToolProcess.RunAsync("multicast", $"{group}:{member.LocalEndPoint.Port}", "--interface", "lo", "--hex", "--send", "00 01 ff 0a", "--send", "", "--ttl", "0");

        error.Should().BeEmpty();
        code.Should().Be(0);
        using (var first = await member.ReceiveAsync().WithTimeout())
        {
            first.Payload.ToArray().Should().Equal(0x00, 0x01, 0xff, 0x0a);
        }

        using var second = await member.ReceiveAsync().WithTimeout();
        second.Length.Should().Be(0, "an empty --send is an empty datagram");
    }

    [Fact]
    public async Task AnOceanSenderSends_ToolPrintsWithTheSender()
    {
        var group = NewGroup();
        await using var tool = ToolProcess.Start("multicast", $"{group}:0", "--interface", "lo", "--from", "--both");
        var port = await tool.JoinedPortAsync();
        await using var sender = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), OnLoopback());

        await sender.SendAsync("hi\n"u8.ToArray(), new IPEndPoint(IPAddress.Parse(group), port));

        (await tool.ReadLineAsync()).Should().Be($"127.0.0.1:{sender.LocalEndPoint.Port} 68 69 0a | hi\\n");
    }

    [Fact]
    public async Task SendWithWait_PrintsTheRepliesSentBackToTheSender()
    {
        var group = IPAddress.Parse(NewGroup());
        await using var member = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), OnLoopback());
        member.JoinMulticastGroup(group);
        var answering = Task.Run(async () =>
        {
            using var request = await member.ReceiveAsync();
            await member.SendAsync(Encoding.UTF8.GetBytes("pong to " + Encoding.UTF8.GetString(request.Payload.Span)), (IPEndPoint)request.RemoteEndPoint);
        });

        var (code, output, error) = await ToolProcess.RunAsync("multicast", $"{group}:{member.LocalEndPoint.Port}", "--interface", "lo", "--send", "ping", "--wait", "5");

        await answering.WithTimeout();
        error.Should().BeEmpty();
        code.Should().Be(0);
        output.Should().Equal("pong to ping");
    }

    [Fact]
    public async Task AnIPv6Group_IsJoined_AndCtrlCEndsCleanly()
    {
        await using var member = ToolProcess.Start("multicast", $"[ff12::4f63:{Random.Shared.Next(1, 0xffff):x}]:0", "--interface", "lo");
        var port = await member.JoinedPortAsync();
        port.Should().BePositive();

        await member.InterruptAsync();
        (await member.WaitForExitAsync()).Should().Be(0);
        member.StandardError.Should().BeEmpty();
    }

    [Theory]
    [InlineData("error: '127.0.0.1' is not a multicast group address", "127.0.0.1:7000")]
    [InlineData("error: 'fe80::1' is not a multicast", "[fe80::1]:7000")]
    [InlineData("error: 'example.com' is not a multicast group address", "example.com:7000")]
    [InlineData("error: write an IPv6 group in brackets", "ff12::1:7000")]
    [InlineData("error: expected GROUP:PORT", "239.1.2.3")]
    [InlineData("error: multicast needs GROUP:PORT", null)]
    [InlineData("error: cannot send to port 0", "239.1.2.3:0", "--send", "x")]
    [InlineData("error: --wait applies to --send", "239.1.2.3:7000", "--wait", "1")]
    [InlineData("error: --ttl must be a number of hops from 0 to 255", "239.1.2.3:7000", "--ttl", "256")]
    [InlineData("error: --interface: no network interface is named or has the address 'no-such-nic0'", "239.1.2.3:7000", "--interface", "no-such-nic0")]
    [InlineData("error: --hex and --both cannot be used together", "239.1.2.3:7000", "--hex", "--both")]
    [InlineData("error: 'zz' is not hex bytes", "239.1.2.3:7000", "--hex", "--send", "zz")]
    public async Task BadArguments_ExitTwo(string expected, string? group, params string[] options)
    {
        var (code, output, error) = await ToolProcess.RunAsync(["multicast", .. group is null ? Array.Empty<string>() : [group], .. options]);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Fact]
    public async Task Help_ExitsZero_AndTheMainHelpListsTheCommand()
    {
        var (code, output, _) = await ToolProcess.RunAsync("multicast", "--help");
        code.Should().Be(0);
        output.Should().Contain(line => line.StartsWith("usage: ocean multicast GROUP:PORT", StringComparison.Ordinal));

        var main = await ToolProcess.RunAsync("--help");
        main.Output.Should().Contain(line => line.TrimStart().StartsWith("multicast ", StringComparison.Ordinal));
    }
}
