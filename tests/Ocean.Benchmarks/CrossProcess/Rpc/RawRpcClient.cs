using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks.Sources;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The rpc-raw client: one TCP connection shared by every caller, written as well as we can.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A call takes a pooled <see cref="RawPendingCall"/> (an <see cref="IValueTaskSource{TResult}"/>, no
/// TaskCompletionSource), registers it under a new request id and writes its request into the shared
/// send buffer, all under one lock; nothing is allocated per call once the pool and buffers are warm (the
/// echo's result string aside).</item>
/// <item>Sending: the caller that finds no send in progress becomes the sender and sends the buffer
/// (synchronously when the socket takes it at once, the usual case); requests written meanwhile go
/// out together in its next send. While the read loop is completing a batch of replies, sending is
/// held back ("corked"): the callers' next requests, issued inline from those completions, leave in
/// one send after the batch.</item>
/// <item>One read loop parses the replies, finds each call by its request id, and completes it inline
/// (no hop to the thread pool).</item>
/// <item>A reply with an unknown id, a malformed reply, or a closed connection fails every pending call
/// and every later one.</item>
/// </list>
/// </remarks>
internal sealed class RawRpcClient : IRpcClient, IRawCallPool
{
    private const int InitialBufferSize = 64 * 1024;

    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, RawPendingCall> _inFlight = new();
    private readonly Stack<RawPendingCall> _pool = new();
    private byte[] _pending = new byte[InitialBufferSize];
    private byte[] _sending = new byte[InitialBufferSize];
    private int _pendingBytes;
    private bool _sendInProgress;
    private bool _corked;
    private uint _nextId;
    private Exception? _failure;
    private Task _readLoop = Task.CompletedTask;

    private RawRpcClient(Socket socket) => _socket = socket;

    public static async ValueTask<IRpcClient> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new RawRpcClient(socket);
        client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
        return client;
    }

    public ValueTask<int> AddAsync(int a, int b)
    {
        var call = Rent();
        bool flush;
        lock (_gate)
        {
            if (_failure is not null)
            {
                ReturnLocked(call);
                return ValueTask.FromException<int>(new IOException("The connection failed.", _failure));
            }

            var id = _nextId++;
            call.Op = RawRpcProtocol.OpAdd;
            _inFlight.Add(id, call);
            var frame = Reserve(4 + RawRpcProtocol.AddRequestLength);
            BinaryPrimitives.WriteInt32BigEndian(frame, RawRpcProtocol.AddRequestLength);
            BinaryPrimitives.WriteUInt32BigEndian(frame[4..], id);
            frame[8] = RawRpcProtocol.OpAdd;
            BinaryPrimitives.WriteInt32BigEndian(frame[9..], a);
            BinaryPrimitives.WriteInt32BigEndian(frame[13..], b);
            flush = BecomeSenderLocked();
        }

        if (flush)
        {
            Flush();
        }

        return call.AsIntTask();
    }

    public ValueTask<string> EchoAsync(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var byteCount = Encoding.UTF8.GetByteCount(text);
        if (byteCount > RawRpcProtocol.MaxEchoBytes)
        {
            return ValueTask.FromException<string>(new ArgumentException($"Echo text is limited to {RawRpcProtocol.MaxEchoBytes} UTF-8 bytes.", nameof(text)));
        }

        var call = Rent();
        bool flush;
        lock (_gate)
        {
            if (_failure is not null)
            {
                ReturnLocked(call);
                return ValueTask.FromException<string>(new IOException("The connection failed.", _failure));
            }

            var id = _nextId++;
            call.Op = RawRpcProtocol.OpEcho;
            _inFlight.Add(id, call);
            var length = 4 + 1 + 2 + byteCount;
            var frame = Reserve(4 + length);
            BinaryPrimitives.WriteInt32BigEndian(frame, length);
            BinaryPrimitives.WriteUInt32BigEndian(frame[4..], id);
            frame[8] = RawRpcProtocol.OpEcho;
            BinaryPrimitives.WriteUInt16BigEndian(frame[9..], (ushort)byteCount);
            Encoding.UTF8.GetBytes(text, frame[11..]);
            flush = BecomeSenderLocked();
        }

        if (flush)
        {
            Flush();
        }

        return call.AsStringTask();
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(RawRpcClient)));
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    private RawPendingCall Rent()
    {
        lock (_gate)
        {
            return _pool.TryPop(out var call) ? call : new RawPendingCall(this);
        }
    }

    void IRawCallPool.Return(RawPendingCall call)
    {
        lock (_gate)
        {
            ReturnLocked(call);
        }
    }

    private void ReturnLocked(RawPendingCall call) => _pool.Push(call);

    /// <summary>Room for <paramref name="size"/> more bytes at the end of the pending buffer (under the lock).</summary>
    private Span<byte> Reserve(int size)
    {
        if (_pendingBytes + size > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingBytes + size));
        }

        var span = _pending.AsSpan(_pendingBytes, size);
        _pendingBytes += size;
        return span;
    }

    /// <summary>True when the caller must flush: no send in progress and the read loop not holding sends back.</summary>
    private bool BecomeSenderLocked()
    {
        if (_sendInProgress || _corked)
        {
            return false;
        }

        _sendInProgress = true;
        return true;
    }

    /// <summary>Sends the pending buffer until it is empty; continues asynchronously only if the socket cannot take it at once.</summary>
    private void Flush()
    {
        try
        {
            while (true)
            {
                byte[] buffer;
                int count;
                lock (_gate)
                {
                    if (_pendingBytes == 0 || _failure is not null)
                    {
                        _sendInProgress = false;
                        return;
                    }

                    (buffer, _pending, _sending) = (_pending, _sending, _pending);
                    count = _pendingBytes;
                    _pendingBytes = 0;
                }

                var sent = 0;
                while (sent < count)
                {
                    var send = _socket.SendAsync(buffer.AsMemory(sent, count - sent), SocketFlags.None);
                    if (!send.IsCompletedSuccessfully)
                    {
                        _ = FlushSlowAsync(send, buffer, sent, count);
                        return;
                    }

                    sent += send.Result;
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async Task FlushSlowAsync(ValueTask<int> send, byte[] buffer, int sent, int count)
    {
        try
        {
            sent += await send;
            while (sent < count)
            {
                sent += await _socket.SendAsync(buffer.AsMemory(sent, count - sent), SocketFlags.None);
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
            return;
        }

        Flush();
    }

    private async Task ReadLoopAsync()
    {
        var receive = new byte[InitialBufferSize];
        var filled = 0;
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(receive.AsMemory(filled), SocketFlags.None);
                if (received == 0)
                {
                    throw new IOException("The server closed the connection.");
                }

                filled += received;
                lock (_gate)
                {
                    _corked = true;
                }

                var offset = 0;
                while (filled - offset >= 4)
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(receive.AsSpan(offset));
                    if (length is < RawRpcProtocol.MinReplyLength or > RawRpcProtocol.MaxReplyLength)
                    {
                        throw new InvalidDataException($"A reply of {length} bytes is outside the protocol's bounds.");
                    }

                    if (filled - offset - 4 < length)
                    {
                        if (4 + length > receive.Length)
                        {
                            Array.Resize(ref receive, Math.Max(receive.Length, 4 + length + InitialBufferSize));
                        }

                        break;
                    }

                    var frame = receive.AsSpan(offset + 4, length);
                    var id = BinaryPrimitives.ReadUInt32BigEndian(frame);
                    RawPendingCall? call;
                    lock (_gate)
                    {
                        _inFlight.Remove(id, out call);
                    }

                    if (call is null)
                    {
                        throw new InvalidDataException($"A reply for request {id}, which is not pending.");
                    }

                    // Runs the caller's continuation inline: it may issue its next call, which the cork holds back.
                    if (!call.Complete(frame[4..]))
                    {
                        throw new InvalidDataException($"A malformed reply to request {id}.");
                    }

                    offset += 4 + length;
                }

                if (offset > 0)
                {
                    receive.AsSpan(offset, filled - offset).CopyTo(receive);
                    filled -= offset;
                }

                bool flush;
                lock (_gate)
                {
                    _corked = false;
                    flush = _pendingBytes > 0 && BecomeSenderLocked();
                }

                if (flush)
                {
                    Flush();
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
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
            call.Fail(new IOException("The connection failed with the call pending.", reason));
        }
    }
}
