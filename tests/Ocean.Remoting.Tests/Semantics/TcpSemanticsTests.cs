using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Calls;
using Ocean.Remoting.Tests.Connections;
using Ocean.Remoting.Tests.Lifetime;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>A [OneWay] method returning a value: refused.</summary>
public interface IOneWayReturningTask
{
    [OneWay]
    Task<int> CountAsync();
}

/// <summary>A synchronous [OneWay] method returning a value: refused.</summary>
public interface IOneWayReturningInt
{
    [OneWay]
    int Count();
}

/// <summary>[OneWay] and [Idempotent] on one method: refused.</summary>
public interface IOneWayIdempotent
{
    [OneWay]
    [Idempotent]
    Task NoteAsync();
}

/// <summary>[OneWay] returning ValueTask: allowed.</summary>
public interface IOneWayValueTask
{
    [OneWay]
    ValueTask NoteAsync(long key);
}

public sealed class RefusedImplementation : IOneWayReturningTask, IOneWayReturningInt, IOneWayIdempotent
{
    public Task<int> CountAsync() => Task.FromResult(1);

    public int Count() => 1;

    public Task NoteAsync() => Task.CompletedTask;
}

public sealed class ValueTaskNoter : IOneWayValueTask
{
    public TaskCompletionSource<long> Noted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask NoteAsync(long key)
    {
        Noted.TrySetResult(key);
        return default;
    }
}

/// <summary>Call semantics over streams (TCP and the in-memory pair): one-way sends no reply; idempotent calls are retried on a new connection.</summary>
public sealed class TcpSemanticsTests
{
    public static TheoryData<Link> Links() => [Link.InMemory, Link.Tcp];

    private static Task<Loopback> StartAsync(Link link, Counter counter, Gate gate, RemotingClientOptions? clientOptions = null) =>
        Loopback.StartAsync(
            server =>
            {
                server.Export<ICounter>(counter, "counter");
                server.Export<IGate>(gate, "gate");
            },
            link,
            clientOptions: clientOptions);

    [Theory]
    [MemberData(nameof(Links))]
    public async Task OneWay_TaskAndVoid_RunOnce_AndTheProxyCompletesWithoutAReply(Link link)
    {
        var counter = new Counter();
        await using var loop = await StartAsync(link, counter, new Gate());
        var proxy = loop.Proxy<ICounter>("counter");

        // The gate holds nothing here: a one-way call's task completes once the request is handed over, even while the
        // method has not run yet.
        await proxy.NoteAsync(1).WithTimeout();
        (await counter.Noted.Task.WithTimeout()).Should().Be(1);
        proxy.Poke(2);
        await TestTimeouts.UntilAsync(() => counter.RunsOf(2) == 1, because: "the void one-way call runs");

        (await proxy.AddAsync(3, 4).WithTimeout()).Should().Be(4, "the connection goes on");
        counter.RunsOf(1).Should().Be(1);
        counter.RunsOf(2).Should().Be(1);
    }

    [Theory]
    [MemberData(nameof(Links))]
    public async Task OneWay_ToAnUnknownObjectOrAThrowingMethod_Succeeds_AndTheConnectionStaysUsable(Link link)
    {
        var counter = new Counter();
        var gate = new Gate();
        await using var loop = await StartAsync(link, counter, gate);

        await loop.Proxy<ICounter>("nobody").NoteAsync(1).WithTimeout();
        loop.Proxy<ICounter>("nobody").Poke(2);
        await loop.Proxy<IGate>("gate").ThrowOneWayAsync(3).WithTimeout();
        loop.Proxy<IGate>("gate").ThrowOneWay(4);
        await TestTimeouts.UntilAsync(() => gate.RunsOf(3) == 1 && gate.RunsOf(4) == 1, because: "the throwing one-way methods ran");

        (await loop.Proxy<ICounter>("counter").AddAsync(5, 6).WithTimeout()).Should().Be(6);
        counter.Runs.Keys.Should().Equal([5L], "nothing ran on the unknown object");
    }

    [Fact]
    public async Task OneWay_ValueTask_IsAllowed()
    {
        var noter = new ValueTaskNoter();
        await using var loop = await Loopback.StartAsync(server => server.Export<IOneWayValueTask>(noter, "noter"));
        await loop.Proxy<IOneWayValueTask>("noter").NoteAsync(9).AsTask().WithTimeout();
        (await noter.Noted.Task.WithTimeout()).Should().Be(9);
    }

    [Fact]
    public async Task OneWay_OverTheWire_TheServerNeverAnswers()
    {
        // A hand-written client sends one-way requests (to the counter, to an unknown object, to an unknown method, to a
        // method that throws), then an ordinary call: the first frame back is the ordinary call's reply, and the next
        // ordinary call's reply follows it. Any answer to a one-way request would have come first.
        var counter = new Counter();
        var gate = new Gate();
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Export<ICounter>(counter, "counter");
        server.Export<IGate>(gate, "gate");
        await server.StartAsync().WithTimeout();
        using var raw = await Kit.ConnectRawAsync(server.EndPoint);
        (await Kit.RawHandshakeAsync(raw))[5].Should().Be((byte)PreambleStatus.Hello);

        static byte[] Request(uint id, RequestFlags flags, string key, ulong method, Action<IBufferWriter<byte>> args) =>
            Kit.Frame(Kit.Encode(o =>
            {
                MessageEncoder.WriteRequestHeader(o, id, flags, method, 0, key, null, ProtocolLimits.Default);
                args(o);
            }));

        var note = Datagrams.MethodId<ICounter>(nameof(ICounter.NoteAsync));
        var add = Datagrams.MethodId<ICounter>(nameof(ICounter.AddAsync));
        var throwing = Datagrams.MethodId<IGate>(nameof(IGate.ThrowOneWayAsync));
        await raw.SendAsync(Request(1, RequestFlags.OneWay, "counter", note, Datagrams.Args(11L))).WithTimeout();
        await raw.SendAsync(Request(2, RequestFlags.OneWay, "nobody", note, Datagrams.Args(12L))).WithTimeout();
        await raw.SendAsync(Request(3, RequestFlags.OneWay, "counter", 0x0123456789ABCDEFUL, Datagrams.Args(13L))).WithTimeout();
        await raw.SendAsync(Request(4, RequestFlags.OneWay, "gate", throwing, Datagrams.Args(14L))).WithTimeout();
        await raw.SendAsync(Request(5, RequestFlags.None, "counter", add, Datagrams.Args(15L, 2))).WithTimeout();

        async Task<ReplyMessage> NextReplyAsync()
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(await Kit.ReadExactlyAsync(raw, 4));
            var payload = await Kit.ReadExactlyAsync(raw, length);
            return MessageDecoder.ReadReply(new ReadOnlySequence<byte>(payload), ProtocolLimits.Default);
        }

        var first = await NextReplyAsync();
        first.RequestId.Should().Be(5u, "no one-way request was answered");
        first.Status.Should().Be(RemotingStatus.Ok);
        CdrMarshaller.Default.Unmarshal<long>(first.Result).Should().Be(2);

        await raw.SendAsync(Request(6, RequestFlags.None, "counter", add, Datagrams.Args(16L, 3))).WithTimeout();
        (await NextReplyAsync()).RequestId.Should().Be(6u);
        await TestTimeouts.UntilAsync(() => counter.RunsOf(11) == 1, because: "the one-way call ran");
        counter.RunsOf(12).Should().Be(0);
        counter.RunsOf(13).Should().Be(0);
        await TestTimeouts.UntilAsync(() => gate.RunsOf(14) == 1, because: "the throwing one-way method ran");
    }

    [Fact]
    public async Task OneWay_ReturningAValue_OrIdempotent_IsRefused_AtGetProxyAndAtExport()
    {
        await using var loop = await Loopback.StartAsync(_ => { });
        var implementation = new RefusedImplementation();

        loop.Invoking(l => l.Client.GetProxy<IOneWayReturningTask>("x")).Should().Throw<NotSupportedException>().WithMessage("*OneWay*");
        loop.Invoking(l => l.Client.GetProxy<IOneWayReturningInt>("x")).Should().Throw<NotSupportedException>().WithMessage("*OneWay*");
        loop.Invoking(l => l.Client.GetProxy<IOneWayIdempotent>("x")).Should().Throw<NotSupportedException>().WithMessage("*Idempotent*");

        loop.Invoking(l => l.Server.Export<IOneWayReturningTask>(implementation, "a")).Should().Throw<NotSupportedException>();
        loop.Invoking(l => l.Server.Export<IOneWayReturningInt>(implementation, "b")).Should().Throw<NotSupportedException>();
        loop.Invoking(l => l.Server.Export<IOneWayIdempotent>(implementation, "c")).Should().Throw<NotSupportedException>();
    }

    [Fact]
    public async Task Idempotent_ConnectionLostInFlight_IsRetriedOnANewConnection()
    {
        var gate = new Gate();
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Export<IGate>(gate, "gate");
        await server.StartAsync().WithTimeout();
        await using var relay = new TcpRelay(server.EndPoint);
        await using var client = await RemotingClient.ConnectAsync(relay.EndPoint, new RemotingClientOptions { RetransmitInterval = TimeSpan.FromMilliseconds(20) }).WithTimeout();
        var proxy = client.GetProxy<IGate>("gate");

        var call = proxy.HoldIdempotentAsync(7);
        await gate.Started(7).WithTimeout();
        relay.ResetAll();
        await TestTimeouts.UntilAsync(() => gate.RunsOf(7) == 2, because: "the call is sent again on a new connection");
        gate.Release();
        (await call.WithTimeout()).Should().Be(7);
        client.Retransmissions.Should().Be(1);
        relay.Accepted.Should().Be(2);
    }

    [Fact]
    public async Task Idempotent_GivesUpAfterMaxAttempts_WithUnavailableMaybe()
    {
        var gate = new Gate();
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Export<IGate>(gate, "gate");
        await server.StartAsync().WithTimeout();
        await using var relay = new TcpRelay(server.EndPoint);
        await using var client = await RemotingClient.ConnectAsync(relay.EndPoint, new RemotingClientOptions { RetransmitInterval = TimeSpan.FromMilliseconds(10), MaxAttempts = 3 }).WithTimeout();
        var proxy = client.GetProxy<IGate>("gate");

        var call = proxy.HoldIdempotentAsync(8);
        for (var run = 1; run <= 3; run++)
        {
            await TestTimeouts.UntilAsync(() => gate.RunsOf(8) == run, because: $"attempt {run} runs");
            relay.ResetAll();
        }

        var error = await Kit.FailsAsync(() => call, RemotingStatus.Unavailable, CompletionStatus.Maybe);
        error.Should().NotBeNull();
        gate.RunsOf(8).Should().Be(3, "MaxAttempts sends in all");
        client.Retransmissions.Should().Be(2);
        gate.Release();
    }

    [Fact]
    public async Task AtMostOnce_ConnectionLostInFlight_FailsMaybe_AndIsNotRetried()
    {
        var gate = new Gate();
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Export<IGate>(gate, "gate");
        await server.StartAsync().WithTimeout();
        await using var relay = new TcpRelay(server.EndPoint);
        await using var client = await RemotingClient.ConnectAsync(relay.EndPoint, new RemotingClientOptions { RetransmitInterval = TimeSpan.FromMilliseconds(10) }).WithTimeout();
        var proxy = client.GetProxy<IGate>("gate");

        var call = proxy.HoldPlainAsync(9);
        await gate.Started(9).WithTimeout();
        relay.ResetAll();
        await Kit.FailsAsync(() => call, RemotingStatus.Unavailable, CompletionStatus.Maybe);
        gate.Release();

        // A later call opens a new connection: had the lost call been retried, it would have run again by now.
        (await proxy.HoldPlainAsync(10).WithTimeout()).Should().Be(10);
        gate.RunsOf(9).Should().Be(1);
        client.Retransmissions.Should().Be(0);
        relay.Accepted.Should().Be(2);
    }
}
