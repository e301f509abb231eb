using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Connections;
using Ocean.Transport;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>A service whose calls can be held open and counted per key, for the at-most-once and client tests.</summary>
public interface IGate
{
    /// <summary>At-most-once: counts the key, then waits until released (or cancelled).</summary>
    Task<int> HoldAsync(long key, CancellationToken cancellationToken);

    /// <summary>At-least-once; counts the key, then waits until released.</summary>
    [Idempotent]
    Task<int> HoldIdempotentAsync(long key);

    /// <summary>At-most-once; counts the key, then waits until released.</summary>
    Task<int> HoldPlainAsync(long key);

    /// <summary>Takes a large argument.</summary>
    Task<int> LengthAsync(byte[] bytes);

    /// <summary>Waits <paramref name="milliseconds"/>, observing the call's cancellation.</summary>
    Task<int> WaitAsync(int milliseconds, CancellationToken cancellationToken);

    /// <summary>Takes a callback by reference (which UDP cannot carry).</summary>
    Task<int> SubscribeAsync(ISemanticsListener listener);

    /// <summary>One-way, throwing.</summary>
    [OneWay]
    Task ThrowOneWayAsync(long key);

    /// <summary>One-way, synchronous, throwing.</summary>
    [OneWay]
    void ThrowOneWay(long key);
}

/// <summary>A callback: travels by reference.</summary>
[Remote]
public interface ISemanticsListener
{
    Task PingAsync();
}

public sealed class SemanticsListener : ISemanticsListener
{
    public Task PingAsync() => Task.CompletedTask;
}

public sealed class Gate : IGate
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, int> _runs = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource> _started = new();
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int RunsOf(long key) => _runs.TryGetValue(key, out var runs) ? runs : 0;

    /// <summary>Completes when a call with <paramref name="key"/> has started (at least once).</summary>
    public Task Started(long key) => _started.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Release() => _release.TrySetResult();

    /// <summary>Calls started from now on wait again.</summary>
    public void Rearm() => _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Count(long key)
    {
        _runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        _started.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async Task<int> HoldAsync(long key, CancellationToken cancellationToken)
    {
        Count(key);
        await _release.Task.WaitAsync(TestTimeouts.Operation, cancellationToken);
        return (int)key;
    }

    public async Task<int> HoldIdempotentAsync(long key)
    {
        Count(key);
        await _release.Task.WaitAsync(TestTimeouts.Operation);
        return (int)key;
    }

    public async Task<int> HoldPlainAsync(long key)
    {
        Count(key);
        await _release.Task.WaitAsync(TestTimeouts.Operation);
        return (int)key;
    }

    public Task<int> LengthAsync(byte[] bytes) => Task.FromResult(bytes.Length);

    public async Task<int> WaitAsync(int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return milliseconds;
    }

    public Task<int> SubscribeAsync(ISemanticsListener listener) => Task.FromResult(1);

    public Task ThrowOneWayAsync(long key)
    {
        Count(key);
        throw new InvalidOperationException("one-way failure " + key);
    }

    public void ThrowOneWay(long key)
    {
        Count(key);
        throw new InvalidOperationException("one-way failure " + key);
    }
}

/// <summary>A datagram read back by a raw peer: its envelope, token and (for replies) the decoded reply.</summary>
internal sealed record Received(byte[] Bytes, DatagramEnvelope Envelope, TokenBytes Token, EndPoint From)
{
    public ReplyMessage Reply => MessageDecoder.ReadReply(new ReadOnlySequence<byte>(Bytes, DatagramEnvelope.Length, Envelope.BodyLength), ProtocolLimits.Default);

    public Preamble Preamble
    {
        get
        {
            PreambleCodec.TryRead(new ReadOnlySequence<byte>(Bytes, DatagramEnvelope.Length, Envelope.BodyLength), out var preamble, out _, out _).Should().Be(PreambleReadStatus.Complete);
            return preamble;
        }
    }

    /// <summary>The result of an Ok reply, unmarshalled with CDR.</summary>
    public T Result<T>()
    {
        var reply = Reply;
        reply.Status.Should().Be(RemotingStatus.Ok, reply.ErrorMessage);
        return CdrMarshaller.Default.Unmarshal<T>(reply.Result);
    }
}

/// <summary>Builds Ocean UDP datagrams by hand (CDR big-endian, as a default client writes them).</summary>
internal static class Datagrams
{
    public const byte Cdr = (byte)MarshallerId.CdrBigEndian;

    public static ClientKey NewKey() => ClientKey.New();

    public static ulong MethodId<T>(string name) => MethodSignature.ComputeId(typeof(T).GetMethod(name)!);

    public static byte[] Hello(in ClientKey key, DatagramFlags flags = DatagramFlags.None, byte marshaller = Cdr)
    {
        var bytes = new byte[DatagramEnvelope.Length + Preamble.Length];
        DatagramEnvelope.Write(bytes, DatagramKind.Hello, flags, marshaller, key, 0, 0, Preamble.Length);
        PreambleCodec.Write(bytes.AsSpan(DatagramEnvelope.Length), Kit.ClientHello(marshaller: (MarshallerId)marshaller));
        return bytes;
    }

    /// <summary>A request datagram; <paramref name="args"/> writes the CDR arguments; <paramref name="padTo"/> pads the datagram (group requests).</summary>
    public static byte[] Request(
        in ClientKey key,
        ulong requestId,
        TokenBytes token,
        string objectKey,
        ulong methodId,
        Action<IBufferWriter<byte>> args,
        ulong acknowledgedBelow = 0,
        DatagramFlags flags = DatagramFlags.None,
        RequestFlags requestFlags = RequestFlags.None,
        uint? innerRequestId = null,
        int padTo = 0)
    {
        var body = Kit.Encode(o =>
        {
            MessageEncoder.WriteRequestHeader(o, innerRequestId ?? (uint)requestId, requestFlags, methodId, 0, objectKey, null, ProtocolLimits.Default);
            args(o);
        });
        var bytes = new byte[Math.Max(DatagramEnvelope.Length + body.Length, padTo)];
        DatagramEnvelope.Write(bytes, DatagramKind.Request, flags, Cdr, key, requestId, acknowledgedBelow, body.Length);
        token.Write(bytes.AsSpan(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
        body.CopyTo(bytes, DatagramEnvelope.Length);
        return bytes;
    }

    /// <summary>Arguments written one after another with CDR (each starts 8-aligned when the one before ends so).</summary>
    public static Action<IBufferWriter<byte>> Args(params object[] values) => o =>
    {
        foreach (var value in values)
        {
            switch (value)
            {
                case long l:
                    CdrMarshaller.Default.Marshal(l, o);
                    break;
                case int i:
                    CdrMarshaller.Default.Marshal(i, o);
                    break;
                default:
                    throw new ArgumentException(value.GetType().Name);
            }
        }
    };

    /// <summary>ICounter.AddAsync(key, amount), at-most-once.</summary>
    public static byte[] Add(in ClientKey key, ulong requestId, TokenBytes token, long counterKey, int amount, ulong acknowledgedBelow = 0, string objectKey = "counter") =>
        Request(key, requestId, token, objectKey, MethodId<ICounter>(nameof(ICounter.AddAsync)), Args(counterKey, amount), acknowledgedBelow);
}

/// <summary>An unconnected UDP socket on 127.0.0.1 that sends crafted datagrams to a server and reads what comes back.</summary>
internal sealed class RawUdpPeer : IAsyncDisposable
{
    private readonly DatagramSocket _socket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public RawUdpPeer(IPEndPoint server)
    {
        Server = server;
    }

    public IPEndPoint Server { get; }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Bytes received so far.</summary>
    public long BytesReceived { get; private set; }

    public Task SendAsync(byte[] datagram) => _socket.SendAsync(datagram, Server).AsTask().WithTimeout();

    /// <summary>The next datagram, or <see langword="null"/> if none arrives within <paramref name="wait"/>.</summary>
    public async Task<Received?> TryReceiveAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            using var datagram = await _socket.ReceiveAsync(cts.Token);
            var bytes = datagram.Payload.ToArray();
            BytesReceived += bytes.Length;
            DatagramEnvelope.TryRead(new ReadOnlySequence<byte>(bytes), out var envelope, out var token, out _, out var reason).Should().BeTrue(reason);
            return new Received(bytes, envelope, token, datagram.RemoteEndPoint);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async Task<Received> ReceiveAsync()
    {
        var received = await TryReceiveAsync(TestTimeouts.Operation);
        received.Should().NotBeNull("the server answers within the operation bound");
        return received!;
    }

    /// <summary>Sends a hello for <paramref name="key"/> and returns the token of the welcome.</summary>
    public async Task<TokenBytes> HelloAsync(ClientKey key)
    {
        await SendAsync(Datagrams.Hello(key));
        var welcome = await ReceiveAsync();
        welcome.Envelope.Kind.Should().Be(DatagramKind.Welcome);
        welcome.Envelope.Client.Should().Be(key);
        welcome.Token.IsZero.Should().BeFalse();
        return welcome.Token;
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();
}

/// <summary>
/// A UDP relay between one client and a server: the client sends to <see cref="EndPoint"/>; the relay forwards from its
/// current outbound socket, and returns the server's datagrams to the client. <see cref="Rebind"/> switches to a fresh
/// outbound socket (another source port), as a NAT that forgot its mapping would.
/// </summary>
internal sealed class UdpRelay : IDisposable
{
    private readonly UdpClient _inbound = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly IPEndPoint _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<UdpClient> _outbounds = [];
    private UdpClient _outbound;
    private IPEndPoint? _client;

    public UdpRelay(IPEndPoint server)
    {
        _server = server;
        _outbound = NewOutbound();
        _ = PumpInboundAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_inbound.Client.LocalEndPoint!;

    public int OutboundPort => ((IPEndPoint)_outbound.Client.LocalEndPoint!).Port;

    public void Rebind()
    {
        lock (_outbounds)
        {
            _outbound = NewOutbound();
        }
    }

    private UdpClient NewOutbound()
    {
        var outbound = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        lock (_outbounds)
        {
            _outbounds.Add(outbound);
        }

        _ = PumpOutboundAsync(outbound);
        return outbound;
    }

    private async Task PumpInboundAsync()
    {
        try
        {
            while (true)
            {
                var received = await _inbound.ReceiveAsync(_stop.Token);
                _client = received.RemoteEndPoint;
                UdpClient outbound;
                lock (_outbounds)
                {
                    outbound = _outbound;
                }

                await outbound.SendAsync(received.Buffer, _server, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpOutboundAsync(UdpClient outbound)
    {
        try
        {
            while (true)
            {
                var received = await outbound.ReceiveAsync(_stop.Token);
                if (_client is { } client)
                {
                    await _inbound.SendAsync(received.Buffer, client, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _inbound.Dispose();
        lock (_outbounds)
        {
            foreach (var outbound in _outbounds)
            {
                outbound.Dispose();
            }
        }

        _stop.Dispose();
    }
}

/// <summary>Small helpers shared by the semantics tests.</summary>
internal static class UdpServers
{
    public static async Task<(RemotingServer Server, Counter Counter, Gate Gate)> StartAsync(RemotingServerOptions? options = null)
    {
        options ??= new RemotingServerOptions();
        options.UdpEndPoint ??= new IPEndPoint(IPAddress.Loopback, 0);
        var server = new RemotingServer(options);
        var counter = new Counter();
        var gate = new Gate();
        server.Export<ICounter>(counter, "counter");
        server.Export<IGate>(gate, "gate");
        await server.StartAsync().WithTimeout();
        return (server, counter, gate);
    }

    /// <summary>A loopback server that also takes group calls (it joined <paramref name="group"/> on <c>lo</c>): group requests are served only by members.</summary>
    public static RemotingServerOptions GroupMember(string group)
    {
        var options = new RemotingServerOptions { Datagram = new DatagramOptions { MulticastInterface = "lo" } };
        options.MulticastGroups.Add(IPAddress.Parse(group));
        return options;
    }

    public static ulong ReadU64(byte[] bytes, int offset) => BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(offset));
}
