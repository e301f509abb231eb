using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;
using System.Threading.Tasks.Sources;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The wire format of the rpc-raw-udp baseline: rpc-raw's frames without the length prefix (the datagram is the
/// frame). A request datagram is <c>[u32 request id][u8 op][payload]</c>, a reply <c>[u32 request id][payload]</c>,
/// big-endian. Op 1, add: two i32, replied one i32 (13 and 8 bytes). Op 2, echo: <c>[u16 n][n bytes of UTF-8]</c>,
/// replied the same.
/// </summary>
internal static class RawUdpRpcProtocol
{
    public const int AddRequestLength = 4 + 1 + 8;
    public const int AddReplyLength = 4 + 4;

    /// <summary>The largest datagram either side sends or accepts: an echo of up to this many bytes minus its header.</summary>
    public const int MaxDatagram = 8 * 1024;

    /// <summary>The longest echo text in UTF-8 bytes that fits one datagram.</summary>
    public const int MaxEchoBytes = MaxDatagram - (4 + 1 + 2);
}

/// <summary>
/// The rpc-raw-udp server: the limit of request-reply over UDP in .NET, written as well as we can. One
/// <see cref="Socket"/>, one receive loop: <c>ReceiveFromAsync</c> into one buffer with a reused
/// <see cref="SocketAddress"/>, the reply written into a second buffer and sent with <c>SendToAsync</c> to that
/// address (both complete synchronously when the kernel has the datagram or room for it). Hardening is not skipped:
/// a datagram that is too short, has an unknown op, a payload whose size does not fit its op, or echo text that is
/// not valid UTF-8 is dropped (counted, never answered); a reply is never longer than its request.
/// </summary>
internal sealed class RawUdpRpcServer(IPEndPoint endPoint) : ICallCountingServer
{
    private readonly Socket _socket = new(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private long _calls;
    private long _dropped;

    public EndPoint EndPoint => _socket.LocalEndPoint ?? throw new InvalidOperationException("The server has not been started.");

    public long CallsServed => Interlocked.Read(ref _calls);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _socket.Bind(endPoint);
        _loop = Task.Run(LoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _socket.Dispose();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stopping.Dispose();
        Console.Error.WriteLine($"serve: rpc-raw-udp dropped {Interlocked.Read(ref _dropped)} malformed datagram(s)");
    }

    private async Task LoopAsync()
    {
        var receive = new byte[RawUdpRpcProtocol.MaxDatagram + 1]; // one byte more: an oversized datagram is seen as such
        var send = new byte[RawUdpRpcProtocol.MaxDatagram];
        var address = new SocketAddress(endPoint.AddressFamily);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var received = await _socket.ReceiveFromAsync(receive.AsMemory(), SocketFlags.None, address, _stopping.Token);
                var reply = Answer(receive.AsSpan(0, received), send);
                if (reply < 0)
                {
                    Interlocked.Increment(ref _dropped);
                    continue;
                }

                Interlocked.Increment(ref _calls);
                await _socket.SendToAsync(send.AsMemory(0, reply), SocketFlags.None, address, _stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP port-unreachable from a client that left surfaces on the next receive; keep serving.
            }
        }
    }

    /// <summary>Writes the reply to <paramref name="request"/> into <paramref name="reply"/>; its length, or -1 for a malformed request.</summary>
    private static int Answer(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (request.Length < 5 || request.Length > RawUdpRpcProtocol.MaxDatagram)
        {
            return -1;
        }

        var payload = request[5..];
        switch (request[4])
        {
            case RawRpcProtocol.OpAdd when request.Length == RawUdpRpcProtocol.AddRequestLength:
                request[..4].CopyTo(reply);
                BinaryPrimitives.WriteInt32BigEndian(reply[4..], unchecked(BinaryPrimitives.ReadInt32BigEndian(payload) + BinaryPrimitives.ReadInt32BigEndian(payload[4..])));
                return RawUdpRpcProtocol.AddReplyLength;
            case RawRpcProtocol.OpEcho when payload.Length >= 2
                                           && payload.Length == 2 + BinaryPrimitives.ReadUInt16BigEndian(payload)
                                           && Utf8.IsValid(payload[2..]):
                request[..4].CopyTo(reply);
                payload.CopyTo(reply[4..]);
                return 4 + payload.Length;
            default:
                return -1;
        }
    }
}

/// <summary>
/// The rpc-raw-udp client: one connected UDP socket shared by every caller, written as well as we can.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A call takes a pooled <see cref="RawPendingCall"/> (an <see cref="IValueTaskSource{TResult}"/> with its own
/// request buffer), registers it under a new request id (one lock, one dictionary, as rpc-raw), writes its datagram
/// and sends it at once from the caller's thread (a UDP send completes synchronously unless the socket buffer is
/// full). Nothing is allocated per call once the pool is warm (the echo's result string aside).</item>
/// <item>One receive loop finds each reply's call by id and completes it inline, so the caller's next request
/// leaves from that thread with no hop to the thread pool.</item>
/// <item>No retransmission (loopback does not lose datagrams under this load), but a lost datagram cannot hang a
/// caller: a timer fails every call pending longer than <see cref="CallTimeout"/> with a <see cref="TimeoutException"/>,
/// which the load generator counts as an error. A reply whose id is not pending (late, after its call timed out) is
/// dropped; a malformed reply fails its call. A socket error fails every pending call and every later one.</item>
/// </list>
/// </remarks>
internal sealed class RawUdpRpcClient : IRpcClient, IRawCallPool
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, RawPendingCall> _inFlight = new();
    private readonly Stack<RawPendingCall> _pool = new();
    private readonly Timer _timeouts;
    private uint _nextId;
    private long _strayReplies;
    private Exception? _failure;
    private Task _receiveLoop = Task.CompletedTask;

    private RawUdpRpcClient(Socket socket)
    {
        _socket = socket;
        _timeouts = new Timer(static s => ((RawUdpRpcClient)s!).ExpireCalls(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public static async ValueTask<IRpcClient> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken); // UDP: fixes the peer; the kernel drops datagrams from anyone else
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new RawUdpRpcClient(socket);
        client._receiveLoop = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        client._timeouts.Change(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
        return client;
    }

    public ValueTask<int> AddAsync(int a, int b)
    {
        var call = Rent(RawUdpRpcProtocol.AddRequestLength);
        var datagram = call.Request.AsSpan(0, RawUdpRpcProtocol.AddRequestLength);
        datagram[4] = RawRpcProtocol.OpAdd;
        BinaryPrimitives.WriteInt32BigEndian(datagram[5..], a);
        BinaryPrimitives.WriteInt32BigEndian(datagram[9..], b);
        var task = call.AsIntTask();
        Send(call, RawRpcProtocol.OpAdd, RawUdpRpcProtocol.AddRequestLength);
        return task;
    }

    public ValueTask<string> EchoAsync(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var byteCount = Encoding.UTF8.GetByteCount(text);
        if (byteCount > RawUdpRpcProtocol.MaxEchoBytes)
        {
            return ValueTask.FromException<string>(new ArgumentException($"Echo text is limited to {RawUdpRpcProtocol.MaxEchoBytes} UTF-8 bytes.", nameof(text)));
        }

        var length = 4 + 1 + 2 + byteCount;
        var call = Rent(length);
        var datagram = call.Request.AsSpan(0, length);
        datagram[4] = RawRpcProtocol.OpEcho;
        BinaryPrimitives.WriteUInt16BigEndian(datagram[5..], (ushort)byteCount);
        Encoding.UTF8.GetBytes(text, datagram[7..]);
        var task = call.AsStringTask();
        Send(call, RawRpcProtocol.OpEcho, length);
        return task;
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(RawUdpRpcClient)));
        await _timeouts.DisposeAsync();
        await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(static _ => { }, TaskScheduler.Default);
        Console.Error.WriteLine($"rpcload: rpc-raw-udp stray replies (late or unknown id) {Interlocked.Read(ref _strayReplies)}");
    }

    private RawPendingCall Rent(int requestLength)
    {
        RawPendingCall? call;
        lock (_gate)
        {
            _pool.TryPop(out call);
        }

        call ??= new RawPendingCall(this);
        if (call.Request.Length < requestLength)
        {
            call.Request = new byte[Math.Max(requestLength, 2 * call.Request.Length)];
        }

        return call;
    }

    void IRawCallPool.Return(RawPendingCall call)
    {
        lock (_gate)
        {
            _pool.Push(call);
        }
    }

    /// <summary>Registers <paramref name="call"/> under a new id, writes the id into its datagram and sends it.</summary>
    private void Send(RawPendingCall call, byte op, int length)
    {
        Exception? failure;
        lock (_gate)
        {
            failure = _failure;
            if (failure is null)
            {
                var id = _nextId++;
                call.Op = op;
                call.SentAt = Environment.TickCount64;
                BinaryPrimitives.WriteUInt32BigEndian(call.Request, id);
                _inFlight.Add(id, call);
            }
        }

        if (failure is not null)
        {
            call.Op = op;
            call.Fail(new IOException("The client failed.", failure));
            return;
        }

        try
        {
            var send = _socket.SendAsync(call.Request.AsMemory(0, length), SocketFlags.None);
            if (!send.IsCompletedSuccessfully)
            {
                _ = SendSlowAsync(send);
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async Task SendSlowAsync(ValueTask<int> send)
    {
        try
        {
            await send;
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var receive = new byte[RawUdpRpcProtocol.MaxDatagram];
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(receive.AsMemory(), SocketFlags.None);
                if (received < 4)
                {
                    Interlocked.Increment(ref _strayReplies);
                    continue;
                }

                var id = BinaryPrimitives.ReadUInt32BigEndian(receive);
                RawPendingCall? call;
                lock (_gate)
                {
                    _inFlight.Remove(id, out call);
                }

                if (call is null)
                {
                    Interlocked.Increment(ref _strayReplies);
                    continue;
                }

                // Runs the caller's continuation inline: its next call is sent from here.
                if (!call.Complete(receive.AsSpan(4, received - 4)))
                {
                    call.Fail(new InvalidDataException($"A malformed reply to request {id}."));
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    /// <summary>The timer: fails every call pending longer than <see cref="CallTimeout"/> (its datagram or reply was lost).</summary>
    private void ExpireCalls()
    {
        var cutoff = Environment.TickCount64 - (long)CallTimeout.TotalMilliseconds;
        List<RawPendingCall>? expired = null; // allocated only when a call has timed out
        lock (_gate)
        {
            foreach (var (id, call) in _inFlight)
            {
                if (call.SentAt <= cutoff)
                {
                    (expired ??= []).Add(call);
                    _inFlight.Remove(id); // allowed while enumerating a Dictionary since .NET Core 3.0
                }
            }
        }

        if (expired is not null)
        {
            foreach (var call in expired)
            {
                call.Fail(new TimeoutException($"No reply within {CallTimeout.TotalMilliseconds} ms (a datagram was lost)."));
            }
        }
    }

    /// <summary>Fails every pending call and every later one; closes the socket.</summary>
    private void Fail(Exception reason)
    {
        RawPendingCall[] failed;
        lock (_gate)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = reason;
            failed = [.. _inFlight.Values];
            _inFlight.Clear();
        }

        _socket.Dispose();
        foreach (var call in failed)
        {
            call.Fail(new IOException("The client failed with the call pending.", reason));
        }
    }
}
