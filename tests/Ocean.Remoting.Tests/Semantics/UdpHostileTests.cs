using System.Buffers.Binary;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>
/// Crafted datagrams against a real server's UDP endpoint: malformed ones are dropped and counted, never answered;
/// unvalidated sources never get more bytes than they sent; only a request carrying its source's token runs.
/// </summary>
/// <remarks>
/// "Never answered" is shown by order where possible: a peer sends the bad datagram, then a hello, and the first
/// datagram back must be the welcome (the server reads one socket in order and answers in order on loopback). Where a
/// test must show that nothing at all comes, it waits <see cref="Silence"/>: the server answers a valid datagram on
/// loopback within a millisecond or so, so 300 ms of silence after the server has counted the datagram is ample.
/// </remarks>
[Trait("Category", "Hostile")]
public sealed class UdpHostileTests
{
    private static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(300);

    private static byte[] BytesCall(in ClientKey key, ulong id, TokenBytes token, int size, DatagramFlags flags = DatagramFlags.None, int padTo = 0) =>
        Datagrams.Request(key, id, token, "counter", Datagrams.MethodId<ICounter>(nameof(ICounter.BytesAsync)), Datagrams.Args(size), flags: flags, padTo: padTo);

    [Fact]
    public async Task GarbageAndTruncatedDatagrams_AreDropped_Counted_AndNeverAnswered()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var hello = Datagrams.Hello(key);
        var valid = Datagrams.Add(key, 1, default, 1, 1);
        var random = new byte[200];
        new Random(14).NextBytes(random);
        var wrongMagic = (byte[])hello.Clone();
        wrongMagic[3] = 0x4E; // TCP's preamble magic
        var wrongVersion = (byte[])hello.Clone();
        wrongVersion[4] = 2;
        var unknownKind = (byte[])hello.Clone();
        unknownKind[5] = 9;
        var reply = (byte[])valid.Clone();
        reply[5] = (byte)DatagramKind.Reply; // a reply sent to a server
        var longBody = (byte[])valid.Clone();
        BinaryPrimitives.WriteInt32BigEndian(longBody.AsSpan(60), valid.Length); // claims more than present
        var shortHello = hello[..79]; // a hello shorter than the welcome it asks for
        var groupHello = (byte[])hello.Clone();
        groupHello[6] = (byte)DatagramFlags.Group;
        var bad = new List<byte[]> { random, Array.Empty<byte>(), hello[..1], hello[..63], valid[..63], wrongMagic, wrongVersion, unknownKind, reply, longBody, shortHello, groupHello };

        foreach (var datagram in bad)
        {
            await peer.SendAsync(datagram);
        }

        await TestTimeouts.UntilAsync(() => server.DatagramStatistics.Received == bad.Count, because: "the server read them all");
        await peer.SendAsync(hello);
        var first = await peer.ReceiveAsync();
        first.Envelope.Kind.Should().Be(DatagramKind.Welcome, "nothing answered the malformed datagrams");
        (await peer.TryReceiveAsync(Silence)).Should().BeNull();

        var stats = server.DatagramStatistics;
        stats.Malformed.Should().Be(bad.Count);
        stats.Calls.Should().Be(0);
        counter.Runs.Should().BeEmpty();
    }

    [Fact]
    public async Task Hello_GetsAWelcomeOfExactlyItsSize_WithANonZeroToken()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var hello = Datagrams.Hello(key);
        hello.Length.Should().Be(80);
        await peer.SendAsync(hello);
        var welcome = await peer.ReceiveAsync();
        welcome.Bytes.Length.Should().Be(80);
        welcome.Envelope.Kind.Should().Be(DatagramKind.Welcome);
        welcome.Envelope.Client.Should().Be(key);
        welcome.Envelope.RequestId.Should().Be(0);
        welcome.Envelope.Marshaller.Should().Be(Datagrams.Cdr);
        welcome.Token.IsZero.Should().BeFalse();
        welcome.Preamble.Status.Should().Be(PreambleStatus.Hello);
        welcome.Preamble.Marshaller.Should().Be(Datagrams.Cdr);

        // The same client at the same address gets the same token; another client another.
        (await peer.HelloAsync(key)).Should().Be(welcome.Token);
        (await peer.HelloAsync(Datagrams.NewKey())).Should().NotBe(welcome.Token);
        server.DatagramStatistics.Clients.Should().Be(0, "a hello leaves no state on the server");
    }

    [Fact]
    public async Task Hello_WithAnotherMarshaller_IsAnsweredWithARefusal_AndNoToken()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        await peer.SendAsync(Datagrams.Hello(key, marshaller: (byte)MarshallerId.CdrLittleEndian));
        var welcome = await peer.ReceiveAsync();
        welcome.Bytes.Length.Should().Be(80);
        welcome.Token.IsZero.Should().BeTrue();
        welcome.Preamble.Status.Should().NotBe(PreambleStatus.Hello);
    }

    [Fact]
    public async Task Request_WithoutAToken_OrWithAnotherSourcesToken_GetsAWelcome_AndDoesNotRun()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        await using var other = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();

        var noToken = Datagrams.Add(key, 1, default, 1, 1);
        await peer.SendAsync(noToken);
        var welcome = await peer.ReceiveAsync();
        welcome.Envelope.Kind.Should().Be(DatagramKind.Welcome);
        welcome.Bytes.Length.Should().BeLessThanOrEqualTo(noToken.Length);
        welcome.Token.IsZero.Should().BeFalse();

        // A token the server gave the same client id at another port: not valid here.
        var othersToken = await other.HelloAsync(key);
        othersToken.Should().NotBe(welcome.Token);
        var stolen = Datagrams.Add(key, 2, othersToken, 2, 1);
        await peer.SendAsync(stolen);
        var second = await peer.ReceiveAsync();
        second.Envelope.Kind.Should().Be(DatagramKind.Welcome);
        second.Token.Should().Be(welcome.Token, "the token for this source");

        // A forged token: likewise.
        await peer.SendAsync(Datagrams.Add(key, 3, new TokenBytes(0x1234, 0x5678), 3, 1));
        (await peer.ReceiveAsync()).Envelope.Kind.Should().Be(DatagramKind.Welcome);

        counter.Runs.Should().BeEmpty();
        var stats = server.DatagramStatistics;
        stats.Unvalidated.Should().Be(3);
        stats.Calls.Should().Be(0);
        stats.Clients.Should().Be(0);

        // With its token, the same request runs.
        await peer.SendAsync(Datagrams.Add(key, 1, welcome.Token, 1, 5));
        var reply = await peer.ReceiveAsync();
        reply.Envelope.Kind.Should().Be(DatagramKind.Reply);
        reply.Envelope.RequestId.Should().Be(1);
        reply.Envelope.Client.Should().Be(key);
        reply.Result<long>().Should().Be(5);
        counter.RunsOf(1).Should().Be(1);
    }

    [Fact]
    public async Task UnvalidatedSource_NeverGetsMoreBytesThanItSent()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        long sent = 0;

        // A call whose reply would be 60,000 bytes, without a token: a welcome (80 bytes) at most.
        var large = BytesCall(key, 1, default, 60_000);
        await peer.SendAsync(large);
        sent += large.Length;
        var welcome = await peer.ReceiveAsync();
        welcome.Bytes.Length.Should().BeLessThanOrEqualTo(large.Length);

        // A datagram shorter than a welcome, well-formed but unvalidated: nothing at all comes back.
        var tiny = new byte[72];
        DatagramEnvelope.Write(tiny, DatagramKind.Request, DatagramFlags.None, Datagrams.Cdr, key, 2, 0, 8);
        await peer.SendAsync(tiny);
        sent += tiny.Length;
        await TestTimeouts.UntilAsync(() => server.DatagramStatistics.Unvalidated == 2, because: "the server read it");
        (await peer.TryReceiveAsync(Silence)).Should().BeNull();

        peer.BytesReceived.Should().BeLessThanOrEqualTo(sent);
        server.DatagramStatistics.Calls.Should().Be(0);
    }

    [Fact]
    public async Task GroupRequest_NeedsNoToken_AndItsReplyFitsInItsSize_OrIsAShortError()
    {
        var (server, _, _) = await UdpServers.StartAsync(UdpServers.GroupMember("239.255.14.1"));
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();

        var small = BytesCall(key, 1, default, 100, DatagramFlags.Group, padTo: 300);
        small.Length.Should().Be(300);
        await peer.SendAsync(small);
        var ok = await peer.ReceiveAsync();
        ok.Bytes.Length.Should().BeLessThanOrEqualTo(300);
        ok.Result<byte[]>().Should().HaveCount(100);

        var large = BytesCall(key, 2, default, 1000, DatagramFlags.Group, padTo: 300);
        await peer.SendAsync(large);
        var error = await peer.ReceiveAsync();
        error.Bytes.Length.Should().BeLessThanOrEqualTo(300);
        error.Envelope.RequestId.Should().Be(2);
        error.Reply.Status.Should().Be(RemotingStatus.Internal);
        error.Reply.Completion.Should().Be(CompletionStatus.Yes, "it ran");
        error.Reply.ErrorMessage.Should().Contain("does not fit");

        // Unpadded: the budget is the request itself.
        var bare = BytesCall(key, 3, default, 60_000, DatagramFlags.Group);
        await peer.SendAsync(bare);
        var cut = await peer.ReceiveAsync();
        cut.Bytes.Length.Should().BeLessThanOrEqualTo(bare.Length);
        cut.Reply.Status.Should().Be(RemotingStatus.Internal);

        server.DatagramStatistics.Unvalidated.Should().Be(0);
    }

    [Fact]
    public async Task GroupRequest_ToAnUnknownObjectOrMethod_IsSilent()
    {
        var (server, _, _) = await UdpServers.StartAsync(UdpServers.GroupMember("239.255.14.2"));
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        await peer.SendAsync(Datagrams.Request(key, 1, default, "nobody", Datagrams.MethodId<ICounter>(nameof(ICounter.BytesAsync)), Datagrams.Args(1), flags: DatagramFlags.Group, padTo: 300));
        await peer.SendAsync(Datagrams.Request(key, 2, default, "counter", 0x0123456789ABCDEFUL, Datagrams.Args(1), flags: DatagramFlags.Group, padTo: 300));
        await peer.SendAsync(BytesCall(key, 3, default, 4, DatagramFlags.Group, padTo: 300));
        var first = await peer.ReceiveAsync();
        first.Envelope.RequestId.Should().Be(3, "members that cannot serve a group call stay silent");
    }

    [Fact]
    public async Task UnicastRequest_ToAnUnknownObject_GetsUnknownObjectNo()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        await peer.SendAsync(Datagrams.Add(key, 1, token, 1, 1, objectKey: "nobody"));
        var reply = await peer.ReceiveAsync();
        reply.Reply.Status.Should().Be(RemotingStatus.UnknownObject);
        reply.Reply.Completion.Should().Be(CompletionStatus.No);
    }

    [Fact]
    public async Task Request_WhoseInnerIdDiffersFromTheEnvelopes_IsDropped()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var addId = Datagrams.MethodId<ICounter>(nameof(ICounter.AddAsync));
        await peer.SendAsync(Datagrams.Request(key, 5, token, "counter", addId, Datagrams.Args(1L, 1), innerRequestId: 6));
        await peer.SendAsync(Datagrams.Request(key, 0, token, "counter", addId, Datagrams.Args(2L, 1))); // id 0 is never a request's
        await peer.SendAsync(Datagrams.Request(key, 7, token, "counter", addId, Datagrams.Args(3L, 1)));
        var reply = await peer.ReceiveAsync();
        reply.Envelope.RequestId.Should().Be(7, "the mismatched requests were not answered");
        counter.RunsOf(1).Should().Be(0);
        counter.RunsOf(2).Should().Be(0);
        counter.RunsOf(3).Should().Be(1);
        server.DatagramStatistics.Malformed.Should().Be(2);
    }

    [Fact]
    public async Task Request_WithAnUnreadableBody_IsDropped_AndCounted()
    {
        var (server, _, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        var token = await peer.HelloAsync(key);
        var broken = new byte[64 + 40];
        DatagramEnvelope.Write(broken, DatagramKind.Request, DatagramFlags.None, Datagrams.Cdr, key, 1, 0, 40);
        token.Write(broken.AsSpan(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
        broken[64] = 0x09; // not a request
        await peer.SendAsync(broken);
        await peer.SendAsync(Datagrams.Add(key, 2, token, 1, 1));
        (await peer.ReceiveAsync()).Envelope.RequestId.Should().Be(2);
        server.DatagramStatistics.Malformed.Should().Be(1);
    }

    [Fact]
    public async Task GroupRequest_ToAServerInNoGroup_IsDroppedUnrun_SoTheFlagCannotSkipTheToken()
    {
        var (server, counter, _) = await UdpServers.StartAsync();
        await using var _ = server;
        await using var peer = new RawUdpPeer(server.UdpEndPoint);
        var key = Datagrams.NewKey();
        await peer.SendAsync(Datagrams.Request(key, 1, default, "counter", Datagrams.MethodId<ICounter>(nameof(ICounter.AddAsync)), Datagrams.Args(7L, 1), flags: DatagramFlags.Group, padTo: 300));

        await TestTimeouts.UntilAsync(() => server.DatagramStatistics.Malformed == 1);
        (await peer.TryReceiveAsync(TimeSpan.FromMilliseconds(300))).Should().BeNull("a server that joined no group never answers a group request");
        counter.RunsOf(7).Should().Be(0);
        server.DatagramStatistics.Calls.Should().Be(0);
    }
}
