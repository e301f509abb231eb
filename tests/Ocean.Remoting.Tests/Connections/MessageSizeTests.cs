using System.Buffers;
using System.Buffers.Binary;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>MaxMessageSize: what each side announces in its preamble (the largest message, the 4-byte prefix not counted) and what it enforces.</summary>
public sealed class MessageSizeTests
{
    private const int Limit = 1024;

    [Fact]
    public async Task ServerAnnouncesItsLimits_AndReadsAMessageOfExactlyThatSize_ButClosesOnOneByteMore()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { MaxMessageSize = Limit, MaxConcurrentCallsPerConnection = 7 });
        using var raw = await Kit.ConnectRawAsync(server.EndPoint);
        var answer = await Kit.RawHandshakeAsync(raw);

        answer[5].Should().Be((byte)PreambleStatus.Hello);
        BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(8)).Should().Be(Limit, "bytes 8-11: the largest frame payload the server accepts");
        BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(12)).Should().Be(7u);

        await raw.SendAsync(Kit.Frame(RequestOfLength(1, Limit))).WithTimeout();
        var header = await Kit.ReadExactlyAsync(raw, 4);
        var reply = MessageDecoder.ReadReply(new ReadOnlySequence<byte>(await Kit.ReadExactlyAsync(raw, BinaryPrimitives.ReadInt32BigEndian(header))), ProtocolLimits.Default);
        reply.RequestId.Should().Be(1u);
        reply.Status.Should().Be(RemotingStatus.UnknownObject, "a message of exactly the limit is read");

        await raw.SendAsync(Kit.Frame(RequestOfLength(2, Limit + 1))).WithTimeout();
        var (rest, _) = await Kit.ReadToEndAsync(raw, TimeSpan.FromSeconds(10));
        Kit.Frames(rest).Should().BeEmpty("one byte over the limit closes the connection unread");
    }

    [Fact]
    public async Task ClientAnnouncesItsMaxMessageSize_AndItsCallbackLimit()
    {
        var hello = new TaskCompletionSource<Preamble>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeServer(async (connection, _) =>
        {
            hello.TrySetResult(await connection.AcceptHandshakeAsync());
            await connection.ServeAddsAsync();
        });
        var (client, _) = await Kit.ConnectAsync(fake.EndPoint, new RemotingClientOptions { MaxMessageSize = 5000, MaxConcurrentCallbacks = 7 });
        await using var __ = client;

        var preamble = await hello.Task.WithTimeout();
        preamble.MaxFrameLength.Should().Be(5000u);
        preamble.MaxConcurrentCalls.Should().Be(7u, "a client runs the server's calls on the objects it passed by reference (callbacks), up to its limit");
    }

    [Fact]
    public async Task RequestOverTheServersLimit_FailsBadArgumentsNo_BeforeItIsSent()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { MaxMessageSize = Limit });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;

        await Kit.FailsAsync(() => proxy.LengthAsync(new string('a', 2 * Limit)), RemotingStatus.BadArguments, CompletionStatus.No);
        (await proxy.LengthAsync(new string('a', 100)).WithTimeout()).Should().Be(100, "the connection is still there");
        probe.Calls.Should().Be(1);
        server.ActiveConnections.Should().Be(1);
    }

    [Fact]
    public async Task ReplyOverTheClientsLimit_IsAnsweredInternal_AndTheConnectionGoesOn()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint, new RemotingClientOptions { MaxMessageSize = Limit });
        await using var _ = client;

        var thrown = await Kit.FailsAsync(() => proxy.TextAsync(2 * Limit), RemotingStatus.Internal, CompletionStatus.Yes);
        thrown.Message.Should().NotBeEmpty();
        (await proxy.TextAsync(10).WithTimeout()).Should().Be("xxxxxxxxxx");
        server.ActiveConnections.Should().Be(1);
    }

    /// <summary>A request to an object nobody exports, its argument bytes filling it to exactly <paramref name="length"/> bytes.</summary>
    private static byte[] RequestOfLength(uint id, int length)
    {
        var header = Kit.Encode(o => MessageEncoder.WriteRequestHeader(o, id, RequestFlags.None, 1, 0, "nobody", null, ProtocolLimits.Default));
        var message = new byte[length];
        header.CopyTo(message, 0);
        return message;
    }
}
