using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Connections;
using Ocean.Transport;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>A group member's service: says who it is.</summary>
public interface IMember
{
    Task<string> NameAsync();

    Task<string> FailAsync(string message);

    Task<string> SecondAsync();

    Task<string> TextAsync(int length);
}

public sealed class Member(string name) : IMember
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Task<string> NameAsync()
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(name);
    }

    public Task<string> FailAsync(string message) => throw new InvalidOperationException(name + ": " + message);

    public Task<string> SecondAsync() => Task.FromResult(name);

    public Task<string> TextAsync(int length)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(new string('x', length));
    }
}

/// <summary>
/// Multicast request-reply on the loopback interface (as tests/Ocean.Transport.Tests/MulticastTests does it: the group
/// joined on <c>lo</c>, members sharing one port with ReuseAddress): every member that exports the name answers once.
/// </summary>
public sealed class GroupCallTests
{
    // Every expected reply must arrive within the window (a group call is sent once and ends at its window): 700 ms was
    // short for three servers' replies on a loaded 2-core machine. Each test waits out the whole window.
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private static DatagramOptions OnLoopback() => new() { MulticastInterface = "lo", ReuseAddress = true };

    private sealed class Group : IAsyncDisposable
    {
        public List<RemotingServer> Servers { get; } = [];

        public List<Member> Members { get; } = [];

        public IPEndPoint EndPoint { get; set; } = null!;

        public async ValueTask DisposeAsync()
        {
            foreach (var server in Servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    // Three members on one port, joined to the group; those in `exporting` export the member service.
    private static async Task<Group> StartAsync(string address, params bool[] exporting)
    {
        var group = new Group();
        var ip = IPAddress.Parse(address);
        var port = 0;
        try
        {
            for (var i = 0; i < exporting.Length; i++)
            {
                var options = new RemotingServerOptions { UdpEndPoint = new IPEndPoint(IPAddress.Any, port), Datagram = OnLoopback() };
                options.MulticastGroups.Add(ip);
                var server = new RemotingServer(options);
                var member = new Member("member-" + i);
                if (exporting[i])
                {
                    server.Export<IMember>(member, "member");
                }

                group.Servers.Add(server);
                group.Members.Add(member);
                await server.StartAsync().WithTimeout();
                port = server.UdpEndPoint.Port;
            }
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }

        group.EndPoint = new IPEndPoint(ip, port);
        return group;
    }

    private static RemotingGroupClient Client(Group group) =>
        RemotingGroupClient.Create(group.EndPoint, new RemotingClientOptions { Datagram = new DatagramOptions { MulticastInterface = "lo" } });

    private static async Task<List<GroupReply<T>>> CollectAsync<T>(IAsyncEnumerable<GroupReply<T>> replies)
    {
        var list = new List<GroupReply<T>>();
        await foreach (var reply in replies.WithCancellation(CancellationToken.None))
        {
            list.Add(reply);
        }

        return list;
    }

    [Fact]
    public async Task OneMember_AnswersOnce_FromItsAddress()
    {
        await using var group = await StartAsync("239.255.14.1", true);
        await using var client = Client(group);
        var replies = await CollectAsync(client.CallAsync<IMember, string>("member", m => m.NameAsync(), Window)).WithTimeout();
        replies.Should().ContainSingle();
        replies[0].IsSuccess.Should().BeTrue();
        replies[0].Result.Should().Be("member-0");
        ((IPEndPoint)replies[0].From).Port.Should().Be(group.EndPoint.Port);
        group.Members[0].Calls.Should().Be(1);
    }

    [Fact]
    public async Task ThreeMembersOnOneHost_GivingTheSameAnswer_AreThreeReplies()
    {
        await using var group = await StartAsync("239.255.14.6", true, true, true);
        await using var client = Client(group);
        var replies = await CollectAsync(client.CallAsync<IMember, string>("member", m => m.TextAsync(3), Window)).WithTimeout();
        group.Members.Should().OnlyContain(m => m.Calls == 1, "every member received the request and ran it once");

        // One address and port, the same bytes: only each reply's responder id (random per member socket) tells the
        // members apart, and a member's duplicate from a copy.
        replies.Should().HaveCount(3).And.OnlyContain(r => r.Result == "xxx");
        replies.Select(r => r.From).Distinct().Should().ContainSingle();
    }

    [Fact]
    public async Task ThreeMembers_EachAnswerOnce_WithinTheWindow()
    {
        await using var group = await StartAsync("239.255.14.7", true, true, true);
        await using var client = Client(group);
        var replies = await CollectAsync(client.CallAsync<IMember, string>("member", m => m.NameAsync(), Window)).WithTimeout();
        replies.Should().OnlyContain(r => r.IsSuccess);
        replies.Select(r => r.Result).Should().BeEquivalentTo(["member-0", "member-1", "member-2"]);
        replies.Select(r => r.From).Distinct().Should().ContainSingle("members on one host share the group's port: only their answers differ");
    }

    [Fact]
    public async Task AMemberWithoutTheExport_StaysSilent()
    {
        await using var group = await StartAsync("239.255.14.2", true, false, true);
        await using var client = Client(group);
        var replies = await CollectAsync(client.CallAsync<IMember, string>("member", m => m.NameAsync(), Window)).WithTimeout();
        replies.Should().OnlyContain(r => r.IsSuccess, "the member without the export sends no error either");
        replies.Select(r => r.Result).Should().BeEquivalentTo(["member-0", "member-2"]);
    }

    [Fact]
    public async Task Errors_ArriveAsRepliesWithAnError()
    {
        await using var group = await StartAsync("239.255.14.3", true, true, true);
        await using var client = Client(group);
        var replies = await CollectAsync(client.CallAsync<IMember, string>("member", m => m.FailAsync("boom"), Window)).WithTimeout();
        replies.Should().HaveCount(3);
        foreach (var reply in replies)
        {
            reply.IsSuccess.Should().BeFalse();
            reply.Error!.Status.Should().Be(RemotingStatus.ApplicationException);
            reply.Error.Completion.Should().Be(CompletionStatus.Yes);
            reply.Error.Message.Should().Contain(": boom");
            reply.Invoking(r => r.Result).Should().Throw<RemotingException>();
        }

        replies.Select(r => r.Error!.Message).Distinct().Should().HaveCount(3);
    }

    [Fact]
    public async Task AResultLargerThanTheReplySize_ArrivesAsAShortError()
    {
        await using var group = await StartAsync("239.255.14.8", true);
        await using var client = Client(group);
        var fits = await CollectAsync(client.CallAsync<IMember, string>("member", m => m.TextAsync(100), Window, maxReplySize: 256)).WithTimeout();
        fits.Should().ContainSingle().Which.Result.Should().HaveLength(100);

        var replies = await CollectAsync(client.CallAsync<IMember, string>("member", m => m.TextAsync(2000), Window, maxReplySize: 256)).WithTimeout();
        replies.Should().ContainSingle();
        replies[0].Error!.Status.Should().Be(RemotingStatus.Internal);
        replies[0].Error!.Completion.Should().Be(CompletionStatus.Yes, "it ran");
        replies[0].Error!.Message.Should().Contain("256 bytes");
    }

    [Fact]
    public async Task AMembersDuplicateReply_IsDropped_AnotherMembersReplyFromTheSameAddressIsNot()
    {
        // A hand-made socket answers one request three times: twice as member 1 (a duplicate, even with other bytes), once
        // as member 2 (the responder id in the envelope's token field tells members on one address apart).
        await using var member = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var connection = MessageConnection.Create(DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), member.LocalEndPoint);
        await using var client = RemotingGroupClient.Create(connection);
        var replies = client.CallAsync<IMember, string>("member", m => m.NameAsync(), Window);
        var collecting = CollectAsync(replies);

        using var request = await member.ReceiveAsync().WithTimeout();
        DatagramEnvelope.TryRead(new ReadOnlySequence<byte>(request.Payload), out var envelope, out _, out _, out _).Should().BeTrue();
        envelope.Flags.Should().HaveFlag(DatagramFlags.Group);
        request.Payload.Length.Should().Be(1200, "padded to the default reply size");

        byte[] Reply(string answer, ulong responder)
        {
            var body = Kit.Encode(o =>
            {
                MessageEncoder.WriteReplyOkHeader(o, (uint)envelope.RequestId);
                CdrMarshaller.Default.Marshal(answer, o);
            });
            var bytes = new byte[DatagramEnvelope.Length + body.Length];
            DatagramEnvelope.Write(bytes, DatagramKind.Reply, DatagramFlags.None, envelope.Marshaller, envelope.Client, envelope.RequestId, 0, body.Length);
            new TokenBytes(responder, 7).Write(bytes.AsSpan(DatagramEnvelope.TokenOffset));
            body.CopyTo(bytes, DatagramEnvelope.Length);
            return bytes;
        }

        var to = (IPEndPoint)request.RemoteEndPoint;
        await member.SendAsync(Reply("first", responder: 1), to);
        await member.SendAsync(Reply("first again", responder: 1), to);
        await member.SendAsync(Reply("second", responder: 2), to);
        var list = await collecting.WithTimeout();
        list.Select(r => r.Result).Should().Equal("first", "second");
    }

    [Fact]
    public async Task TheCall_MustCallExactlyOneMethod()
    {
        await using var client = RemotingGroupClient.Create(new IPEndPoint(IPAddress.Parse("239.255.14.4"), 40404), new RemotingClientOptions { Datagram = new DatagramOptions { MulticastInterface = "lo" } });
        client.Invoking(c => c.CallAsync<IMember, string>("member", _ => Task.FromResult("none"), Window)).Should().Throw<ArgumentException>().WithMessage("*called 0*");
        client.Invoking(c => c.CallAsync<IMember, string>("member", async m => await m.NameAsync() + await m.SecondAsync(), Window)).Should().Throw<ArgumentException>().WithMessage("*called 2*");
        client.Invoking(c => c.CallAsync<IMember, string>("member", m => m.NameAsync(), TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        client.Invoking(c => c.CallAsync<IMember, string>("member", m => m.NameAsync(), Window, maxReplySize: 255)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => RemotingGroupClient.Create(new IPEndPoint(IPAddress.Loopback, 40404))).Should().Throw<ArgumentException>().WithMessage("*multicast*");
    }

    [Fact]
    public async Task Cancellation_EndsTheEnumeration()
    {
        await using var group = await StartAsync("239.255.14.5", true);
        await using var client = Client(group);
        using var cts = new CancellationTokenSource();
        var seen = 0;
        var act = async () =>
        {
            await foreach (var reply in client.CallAsync<IMember, string>("member", m => m.NameAsync(), TimeSpan.FromSeconds(60), cancellationToken: cts.Token))
            {
                seen++;
                await cts.CancelAsync(); // the window would last a minute: cancelling ends it now
            }
        };

        await act.Awaiting(a => a().WithTimeout()).Should().ThrowAsync<OperationCanceledException>();
        seen.Should().Be(1);
    }
}
