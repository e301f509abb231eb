using System.Buffers;
using System.Net.Sockets;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Connections;

namespace Ocean.Remoting.Tests.Hostile;

/// <summary>
/// A hand-written client completes the handshake, then breaks the protocol: its connection is closed (after a go-away
/// with ProtocolError where the frame could be read), and another client's call in flight and later calls go on.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class MalformedRequestTests
{
    private const int MaxMessageSize = 1024;

    public static TheoryData<string> Breakages() => ["unknown-kind", "truncated-request", "bad-flags", "too-large"];

    private static byte[] Bytes(string breakage) => breakage switch
    {
        "unknown-kind" => Kit.Frame([0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]),

        // A request that ends inside its request id.
        "truncated-request" => Kit.Frame([0x01, 0x00, 0x00, 0x00, 0x00, 0x00]),

        // A well-formed request whose flags byte has an undefined bit.
        "bad-flags" => Kit.Frame(WithByte(ValidRequest(7, Kit.Name), 1, 0x80)),

        // A length prefix over the server's MaxMessageSize, then some of the bytes it claims.
        _ => [0x00, 0x01, 0x00, 0x00, .. new byte[2000]],
    };

    private static byte[] ValidRequest(uint id, string objectKey) =>
        Kit.Encode(o => MessageEncoder.WriteRequestHeader(o, id, RequestFlags.None, 0x0123456789ABCDEFUL, 0, objectKey, null, ProtocolLimits.Default));

    private static byte[] WithByte(byte[] bytes, int index, byte value)
    {
        bytes[index] = value;
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task ProtocolBreak_ClosesThatConnectionOnly(string breakage)
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { MaxMessageSize = MaxMessageSize });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;
        var inFlight = proxy.HoldAsync(17, CancellationToken.None);
        await probe.Started.WithTimeout();

        using var raw = await Kit.ConnectRawAsync(server.EndPoint);
        var answer = await Kit.RawHandshakeAsync(raw);
        answer[5].Should().Be((byte)PreambleStatus.Hello);

        // A request the server can read but not serve gets an error reply and leaves the connection open.
        await raw.SendAsync(Kit.Frame(ValidRequest(1, "nobody"))).WithTimeout();
        var header = await Kit.ReadExactlyAsync(raw, 4);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
        var reply = MessageDecoder.ReadReply(new ReadOnlySequence<byte>(await Kit.ReadExactlyAsync(raw, length)), ProtocolLimits.Default);
        reply.RequestId.Should().Be(1u);
        reply.Status.Should().Be(RemotingStatus.UnknownObject);
        reply.Completion.Should().Be(CompletionStatus.No);

        await raw.SendAsync(Bytes(breakage)).WithTimeout();
        var (rest, _) = await Kit.ReadToEndAsync(raw, TimeSpan.FromSeconds(10));

        var frames = Kit.Frames(rest);
        if (breakage == "too-large")
        {
            // Framing refuses the length before reading the frame: the connection is closed, nothing is answered.
            frames.Should().BeEmpty();
        }
        else
        {
            frames.Should().ContainSingle("a go-away saying why, then the close");
            var goAway = MessageDecoder.ReadGoAway(new ReadOnlySequence<byte>(frames[0]), ProtocolLimits.Default);
            goAway.Reason.Should().Be(RemotingStatus.ProtocolError);
            goAway.Message.Should().NotBeEmpty();
        }

        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1, because: "the broken connection is gone, the good one stays");
        probe.Release();
        (await inFlight.WithTimeout()).Should().Be(17, "a call in flight on another connection completes");
        (await proxy.AddAsync(40, 2).WithTimeout()).Should().Be(42);
    }

    [Fact]
    public async Task ReusedRequestId_OfARunningCall_ClosesTheConnection_AndCancelsItsCalls()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        using var raw = await Kit.ConnectRawAsync(server.EndPoint);
        (await Kit.RawHandshakeAsync(raw))[5].Should().Be((byte)PreambleStatus.Hello);

        // HoldAsync(5) by hand: the same request twice while the first runs.
        var hold = RemoteMethodId<IProbe>(nameof(IProbe.HoldAsync));
        var request = Kit.Encode(o =>
        {
            MessageEncoder.WriteRequestHeader(o, 3, RequestFlags.None, hold, 0, Kit.Name, null, ProtocolLimits.Default);
            Ocean.Marshalling.CdrMarshaller.Default.Marshal(5, o);
        });
        await raw.SendAsync(Kit.Frame(request)).WithTimeout();
        await probe.Started.WithTimeout();
        await raw.SendAsync(Kit.Frame(request)).WithTimeout();

        var (rest, _) = await Kit.ReadToEndAsync(raw, TimeSpan.FromSeconds(10));
        await probe.TokenCancelled.WithTimeout();
        var kinds = Kit.Frames(rest).Select(f => (MessageKind)f[0]).ToList();
        kinds.Should().Contain(MessageKind.GoAway);
    }

    private static ulong RemoteMethodId<T>(string name) =>
        MethodSignature.ComputeId(typeof(T).GetMethod(name)!);
}
