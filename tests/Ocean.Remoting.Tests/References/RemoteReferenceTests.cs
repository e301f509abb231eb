using System.Net;

namespace Ocean.Remoting.Tests.References;

/// <summary>The printed form of a remote reference: written, read back, and every malformed variant refused.</summary>
public sealed class RemoteReferenceTests
{
    private static readonly ServerIncarnation Incarnation = new(Guid.ParseExact("5f0c1d2e3f405162738495a6b7c8d9e1", "N"), DateTimeOffset.FromUnixTimeMilliseconds(1_764_460_800_123));

    private const string Printed = "ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator";

    [Fact]
    public void A_reference_prints_in_the_documented_form_and_parses_back()
    {
        var reference = new RemoteReference("127.0.0.1", 7000, Incarnation, 42, "Demo.ICalculator");

        reference.ToString().Should().Be(Printed);
        var parsed = RemoteReference.Parse(Printed);
        parsed.Should().Be(reference);
        parsed.Host.Should().Be("127.0.0.1");
        parsed.Port.Should().Be(7000);
        parsed.Incarnation.Should().Be(Incarnation);
        parsed.ObjectNumber.Should().Be(42);
        parsed.InterfaceName.Should().Be("Demo.ICalculator");
        parsed.EndPoint.Should().Be(new IPEndPoint(IPAddress.Loopback, 7000));
    }

    [Theory]
    [InlineData("::1", "[::1]:7000", true)]
    [InlineData("fe80::1%3", "[fe80::1%3]:7000", true)]
    [InlineData("calc.example.org", "calc.example.org:7000", false)]
    public void Hosts_round_trip(string host, string authority, bool isAddress)
    {
        var reference = new RemoteReference(host, 7000, Incarnation, ulong.MaxValue, "Demo.Outer+INested<System.Int32,System.String[]>");

        var printed = reference.ToString();
        printed.Should().StartWith($"ocean://{authority}/").And.EndWith("?interface=Demo.Outer%2BINested%3CSystem.Int32%2CSystem.String%5B%5D%3E");
        var parsed = RemoteReference.Parse(printed);
        parsed.Should().Be(reference);
        parsed.InterfaceName.Should().Be("Demo.Outer+INested<System.Int32,System.String[]>");
        if (isAddress)
        {
            parsed.EndPoint.Should().BeOfType<IPEndPoint>();
        }
        else
        {
            parsed.EndPoint.Should().Be(new DnsEndPoint("calc.example.org", 7000));
        }
    }

    [Theory]
    [InlineData("", "ocean://")]
    [InlineData("http://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "ocean://")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42", "interface is missing")]
    [InlineData("ocean://127.0.0.1:7000?interface=Demo.ICalculator", "incarnation and object number are missing")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123?interface=Demo.ICalculator", "object number is missing")]
    [InlineData("ocean://127.0.0.1/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "port is missing")]
    [InlineData("ocean://127.0.0.1:0/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "port must be 1 to 65535")]
    [InlineData("ocean://127.0.0.1:65536/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "port must be 1 to 65535")]
    [InlineData("ocean://127.0.0.1:+70/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "port must be 1 to 65535")]
    [InlineData("ocean://::1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "IPv6 host must be in brackets")]
    [InlineData("ocean://[127.0.0.1]:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "not an IPv6 address")]
    [InlineData("ocean://[::1]7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "in brackets and followed by :PORT")]
    [InlineData("ocean://ho_st:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator", "neither an IP address nor a DNS name")]
    [InlineData("ocean://127.0.0.1:7000/5F0C1D2E3F405162738495A6B7C8D9E1.1764460800123/42?interface=Demo.ICalculator", "lower-case hex")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9.1764460800123/42?interface=Demo.ICalculator", "incarnation is wrong")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.-1/42?interface=Demo.ICalculator", "Unix milliseconds")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/-1?interface=Demo.ICalculator", "object number")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/042?interface=Demo.ICalculator", "leading zeros")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/18446744073709551616?interface=Demo.ICalculator", "object number")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42/7?interface=Demo.ICalculator", "object number")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=", "1 to 1,024 characters")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.I%20Calc", "cannot have")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=Demo.ICalculator&x=1", "only the interface parameter")]
    [InlineData("ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?other=Demo.ICalculator", "interface is missing")]
    public void Malformed_text_is_refused_with_a_message_naming_the_part(string text, string expected)
    {
        var parse = () => RemoteReference.Parse(text);

        parse.Should().Throw<FormatException>().WithMessage($"*{expected}*");
        RemoteReference.TryParse(text, out var reference).Should().BeFalse();
        reference.Should().BeNull();
    }

    [Fact]
    public void Oversized_and_null_input_are_refused()
    {
        var huge = "ocean://127.0.0.1:7000/5f0c1d2e3f405162738495a6b7c8d9e1.1764460800123/42?interface=" + new string('A', RemoteReference.MaxLength);

        FluentActions.Invoking(() => RemoteReference.Parse(huge)).Should().Throw<FormatException>().WithMessage("*longer than 2048 characters*");
        FluentActions.Invoking(() => RemoteReference.Parse(null!)).Should().Throw<ArgumentNullException>();
        RemoteReference.TryParse(null, out _).Should().BeFalse();
    }

    [Fact]
    public void The_constructor_refuses_what_the_printed_form_could_not_carry()
    {
        FluentActions.Invoking(() => new RemoteReference("", 7000, Incarnation, 1, "Demo.I")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new RemoteReference("h o", 7000, Incarnation, 1, "Demo.I")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new RemoteReference("host", 0, Incarnation, 1, "Demo.I")).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new RemoteReference("host", 65536, Incarnation, 1, "Demo.I")).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new RemoteReference("host", 1, Incarnation, 1, "")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new RemoteReference("host", 1, Incarnation, 1, "Demo.I?x")).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Incarnations_are_random_print_as_documented_and_parse_back()
    {
        var clock = new ManualTimeProvider();
        var first = ServerIncarnation.New(clock);
        var second = ServerIncarnation.New(clock);

        first.Should().NotBe(second, "two runs at the same instant still differ by their random id");
        first.StartedAt.Should().Be(DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        first.ToString().Should().MatchRegex("^[0-9a-f]{32}\\.[0-9]+$");
        ServerIncarnation.Parse(first.ToString()).Should().Be(first);
        FluentActions.Invoking(() => ServerIncarnation.Parse("nope")).Should().Throw<FormatException>();
    }
}
