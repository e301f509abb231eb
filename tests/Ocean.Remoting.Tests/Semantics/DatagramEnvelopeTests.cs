using System.Buffers;
using System.Net;
using Ocean.Remoting.Protocol;
using static Ocean.Remoting.Tests.Infrastructure.Sequences;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>The 64-byte UDP envelope: its bytes, round trips over any segmentation, and every refusal.</summary>
public sealed class DatagramEnvelopeTests
{
    private static readonly ClientKey s_key = new(0x0102030405060708, 0x1112131415161718, 0x2122232425262728);
    private static readonly TokenBytes s_token = new(0x5152535455565758, 0x595A5B5C);

    // magic, version, kind, flags, marshaller | client id (16) | incarnation (8) | request id | acknowledged below |
    // token (12) | body length (4) | body
    private const string Golden =
        "ce4f4355 01 01 03 07" +
        "0102030405060708 1112131415161718" +
        "2122232425262728" +
        "3132333435363738" +
        "4142434445464748" +
        "5152535455565758595a5b5c" +
        "00000004" +
        "deadbeef";

    private static byte[] Sample(int bodyLength = 4, byte[]? body = null)
    {
        body ??= [0xDE, 0xAD, 0xBE, 0xEF];
        var bytes = new byte[DatagramEnvelope.Length + body.Length];
        DatagramEnvelope.Write(bytes, DatagramKind.Request, DatagramFlags.Group | DatagramFlags.Retransmission, 0x07, s_key, 0x3132333435363738, 0x4142434445464748, bodyLength);
        s_token.Write(bytes.AsSpan(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
        body.CopyTo(bytes, DatagramEnvelope.Length);
        return bytes;
    }

    [Fact]
    public void Write_ProducesTheGoldenBytes_EveryFieldAtItsOffset()
    {
        Hex(Sample()).Should().Be(Hex(FromHex(Golden)));
        DatagramEnvelope.Length.Should().Be(64);
        DatagramEnvelope.Magic.ToArray().Should().Equal(0xCE, 0x4F, 0x43, 0x55);
    }

    [Fact]
    public void Write_ClearsTheToken()
    {
        var bytes = Enumerable.Repeat((byte)0xFF, 64).ToArray();
        DatagramEnvelope.Write(bytes, DatagramKind.Hello, DatagramFlags.None, 1, s_key, 0, 0, 0);
        bytes.AsSpan(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength).ToArray().Should().OnlyContain(b => b == 0);
        bytes[5].Should().Be((byte)DatagramKind.Hello);
    }

    public static TheoryData<string> Shapes() => ["single", "split-at-every-8", "byte-by-byte", "split-in-token"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TryRead_RoundTrips_OverAnySegmentation(string shape)
    {
        var bytes = Sample();
        var sequence = shape switch
        {
            "single" => new ReadOnlySequence<byte>(bytes),
            "split-at-every-8" => Of(bytes.Chunk(8).ToArray()),
            "byte-by-byte" => ByteByByte(bytes),
            _ => SplitAt(bytes, 53),
        };

        DatagramEnvelope.TryRead(sequence, out var envelope, out var token, out var body, out var reason).Should().BeTrue(reason);
        reason.Should().BeNull();
        envelope.Kind.Should().Be(DatagramKind.Request);
        envelope.Flags.Should().Be(DatagramFlags.Group | DatagramFlags.Retransmission);
        envelope.Marshaller.Should().Be(0x07);
        envelope.Client.Should().Be(s_key);
        envelope.RequestId.Should().Be(0x3132333435363738UL);
        envelope.AcknowledgedBelow.Should().Be(0x4142434445464748UL);
        envelope.BodyLength.Should().Be(4);
        token.Should().Be(s_token);
        body.ToArray().Should().Equal(0xDE, 0xAD, 0xBE, 0xEF);
    }

    [Fact]
    public void TryRead_ExcludesPaddingAfterTheBody()
    {
        var bytes = Sample(bodyLength: 2, body: [1, 2, 0, 0, 0, 0]);
        DatagramEnvelope.TryRead(new ReadOnlySequence<byte>(bytes), out var envelope, out _, out var body, out _).Should().BeTrue();
        envelope.BodyLength.Should().Be(2);
        body.ToArray().Should().Equal(1, 2);
    }

    [Fact]
    public void TryRead_AcceptsAnEmptyBody_AndEveryKnownKindAndFlag()
    {
        foreach (var kind in new[] { DatagramKind.Request, DatagramKind.Reply, DatagramKind.Hello, DatagramKind.Welcome })
        {
            foreach (var flags in new[] { DatagramFlags.None, DatagramFlags.Group, DatagramFlags.Retransmission, DatagramFlags.Known })
            {
                var bytes = new byte[64];
                DatagramEnvelope.Write(bytes, kind, flags, 1, s_key, 9, 3, 0);
                DatagramEnvelope.TryRead(new ReadOnlySequence<byte>(bytes), out var envelope, out var token, out var body, out var reason).Should().BeTrue(reason);
                envelope.Kind.Should().Be(kind);
                envelope.Flags.Should().Be(flags);
                token.IsZero.Should().BeTrue();
                body.IsEmpty.Should().BeTrue();
            }
        }
    }

    [Fact]
    public void TryRead_RefusesEveryLengthBelowTheEnvelope()
    {
        var bytes = Sample(bodyLength: 0, body: []);
        for (var length = 0; length < DatagramEnvelope.Length; length++)
        {
            var sequence = length == 0 ? ReadOnlySequence<byte>.Empty : SplitAt(bytes[..length], length / 2);
            DatagramEnvelope.TryRead(sequence, out _, out _, out _, out var reason).Should().BeFalse($"{length} bytes");
            reason.Should().Contain("shorter");
        }

        DatagramEnvelope.TryRead(new ReadOnlySequence<byte>(bytes), out _, out _, out _, out _).Should().BeTrue("64 bytes with an empty body is whole");
    }

    public static TheoryData<string, int, byte, string> Breakages() => new()
    {
        { "magic-0", 0, 0xCF, "magic" },
        { "magic-3", 3, 0x4E, "magic" }, // TCP's preamble magic (CE 4F 43 4E)
        { "version-0", 4, 0x00, "version" },
        { "version-2", 4, 0x02, "version" },
        { "kind-0", 5, 0x00, "kind" },
        { "kind-5", 5, 0x05, "kind" },
        { "kind-ff", 5, 0xFF, "kind" },
        { "flags-4", 6, 0x04, "flags" },
        { "flags-80", 6, 0x80, "flags" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void TryRead_RefusesABrokenHeader(string name, int offset, byte value, string because)
    {
        var bytes = Sample();
        bytes[offset] = value;
        DatagramEnvelope.TryRead(ByteByByte(bytes), out var envelope, out var token, out var body, out var reason).Should().BeFalse(name);
        reason.Should().Contain(because);
        envelope.Should().Be(default(DatagramEnvelope));
        token.IsZero.Should().BeTrue();
        body.IsEmpty.Should().BeTrue();
    }

    [Theory]
    [InlineData(5)]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void TryRead_RefusesABodyLengthLargerThanPresentOrNegative(int claimed)
    {
        var bytes = Sample(bodyLength: claimed);
        DatagramEnvelope.TryRead(SplitAt(bytes, 60), out _, out _, out _, out var reason).Should().BeFalse();
        reason.Should().Contain("body");
    }

    [Fact]
    public void ClientKey_RoundTrips_AndNewKeysDiffer()
    {
        var bytes = new byte[24];
        s_key.Write(bytes);
        ClientKey.Read(bytes).Should().Be(s_key);
        ClientKey.New().Should().NotBe(ClientKey.New());
    }

    [Fact]
    public void TokenMinter_BindsClientAndAddress()
    {
        var minter = new TokenMinter();
        var here = new IPEndPoint(IPAddress.Loopback, 40000);
        var token = minter.Mint(s_key, here);
        token.IsZero.Should().BeFalse();
        minter.Mint(s_key, new IPEndPoint(IPAddress.Loopback, 40000)).Should().Be(token, "the same client at the same address");
        minter.Mint(s_key, new IPEndPoint(IPAddress.Loopback, 40001)).Should().NotBe(token, "another port");
        minter.Mint(s_key, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 40000)).Should().NotBe(token, "another address");
        minter.Mint(s_key with { Incarnation = s_key.Incarnation + 1 }, here).Should().NotBe(token, "another incarnation");
        minter.Mint(s_key with { Id1 = s_key.Id1 ^ 1 }, here).Should().NotBe(token, "another client id");
        new TokenMinter().Mint(s_key, here).Should().NotBe(token, "another server's secret");
    }
}
