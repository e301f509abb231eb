using System.Buffers;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Connections;

namespace Ocean.Remoting.Tests.Hostile;

/// <summary>A client against servers that break the protocol after the handshake (hand-written with the internal encoders).</summary>
[Trait("Category", "Hostile")]
public sealed class HostileServerTests
{
    private static RequestMessage Request(byte[] message) => MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(message), ProtocolLimits.Default);

    [Fact]
    public async Task ReplyForAnUnknownRequestId_IsDropped_AndTheConnectionGoesOn()
    {
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshakeAsync();
            var request = Request((await connection.ReadMessageAsync())!);
            await connection.ReplyAsync(request.RequestId + 1000, -1);
            await connection.ReplyAsync(request.RequestId, 3);
            await connection.ServeAddsAsync();
        });
        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint);
        await using var _ = client;

        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(3);
        (await proxy.AddAsync(2, 2).WithTimeout()).Should().Be(4);
        fake.Accepted.Should().Be(1);
    }

    public static TheoryData<string> Breakages() => ["unknown-kind", "truncated-reply", "too-large"];

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task ServerBreakingTheProtocol_LosesTheConnection_PendingCallsFailMaybe_AndTheNextCallReconnects(string breakage)
    {
        var goAway = new TaskCompletionSource<GoAwayMessage?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshakeAsync();
            if (index > 1)
            {
                await connection.ServeAddsAsync();
                return;
            }

            Request((await connection.ReadMessageAsync())!);
            switch (breakage)
            {
                case "unknown-kind":
                    await connection.SendRawAsync(Kit.Frame([0x7F, 0, 0, 0, 0, 0, 0, 0]));
                    break;
                case "truncated-reply":
                    await connection.SendRawAsync(Kit.Frame([0x02, 0x00, 0x00, 0x00, 0x00]));
                    break;
                default:
                    await connection.SendRawAsync([0x00, 0x10, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]); // 1 MiB claimed; the client takes 1 KiB
                    break;
            }

            GoAwayMessage? seen = null;
            while (await connection.ReadMessageAsync() is { } message)
            {
                if ((MessageKind)message[0] == MessageKind.GoAway)
                {
                    seen = MessageDecoder.ReadGoAway(new ReadOnlySequence<byte>(message), ProtocolLimits.Default);
                }
            }

            goAway.TrySetResult(seen);
        });
        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint, new RemotingClientOptions { MaxMessageSize = 1024, ReconnectDelay = TimeSpan.Zero });
        await using var _ = client;

        var thrown = await Kit.FailsAsync(() => proxy.AddAsync(1, 2), RemotingStatus.Unavailable, CompletionStatus.Maybe, TimeSpan.FromSeconds(10));
        var told = await goAway.Task.WithTimeout();
        if (breakage == "too-large")
        {
            thrown.InnerException.Should().BeOfType<Ocean.Framing.FramingException>();
        }
        else
        {
            thrown.InnerException.Should().BeOfType<RemotingProtocolException>();
            told.Should().NotBeNull("the client says why it closes");
            told!.Value.Reason.Should().Be(RemotingStatus.ProtocolError);
        }

        (await proxy.AddAsync(20, 22).WithTimeout()).Should().Be(42);
        fake.Accepted.Should().Be(2);
    }

    [Fact]
    public async Task OkReplyWhoseResultDoesNotUnmarshal_FailsThatCallInternalYes_AndTheConnectionGoesOn()
    {
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshakeAsync();
            var request = Request((await connection.ReadMessageAsync())!);
            await connection.SendAsync(o => MessageEncoder.WriteReplyOkHeader(o, request.RequestId)); // no int follows
            await connection.ServeAddsAsync();
        });
        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint);
        await using var _ = client;

        await Kit.FailsAsync(() => proxy.AddAsync(1, 2), RemotingStatus.Internal, CompletionStatus.Yes);
        (await proxy.AddAsync(2, 2).WithTimeout()).Should().Be(4);
        fake.Accepted.Should().Be(1);
    }

    [Fact]
    public async Task ClientDisposedWithACallInFlight_FailsItUnavailableMaybe_AndLaterCallsNo()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        try
        {
            var call = proxy.HoldAsync(1, CancellationToken.None);
            await probe.Started.WithTimeout();
            await client.DisposeAsync().AsTask().WithTimeout();

            await Kit.FailsAsync(() => call, RemotingStatus.Unavailable, CompletionStatus.Maybe);
            await Kit.FailsAsync(() => proxy.AddAsync(1, 1), RemotingStatus.Unavailable, CompletionStatus.No);
            await probe.TokenCancelled.WithTimeout();
        }
        finally
        {
            probe.Release();
        }
    }
}
