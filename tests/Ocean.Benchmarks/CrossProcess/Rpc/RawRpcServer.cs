using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Unicode;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The wire format of the rpc-raw baseline. A request is <c>[u32 length][u32 request id][u8 op][payload]</c>,
/// a reply <c>[u32 length][u32 request id][payload]</c>, the length counting the bytes after it, all integers
/// big-endian. Op 1, add: payload two i32, reply payload one i32 (the wrapped sum). Op 2, echo: payload
/// <c>[u16 n][n bytes of UTF-8]</c>, reply payload the same.
/// </summary>
internal static class RawRpcProtocol
{
    public const byte OpAdd = 1;
    public const byte OpEcho = 2;

    /// <summary>The longest UTF-8 text an echo carries (its length is a u16).</summary>
    public const int MaxEchoBytes = ushort.MaxValue;

    /// <summary>The longest request after its length field: id, op, u16, text.</summary>
    public const int MaxRequestLength = 4 + 1 + 2 + MaxEchoBytes;

    /// <summary>The longest reply after its length field: id, u16, text.</summary>
    public const int MaxReplyLength = 4 + 2 + MaxEchoBytes;

    /// <summary>The shortest request after its length field: id, op, and an empty echo's u16.</summary>
    public const int MinRequestLength = 4 + 1 + 2;

    /// <summary>The shortest reply after its length field: id and an empty echo's u16.</summary>
    public const int MinReplyLength = 4 + 2;

    public const int AddRequestLength = 4 + 1 + 8;
    public const int AddReplyLength = 4 + 4;
}

/// <summary>
/// The rpc-raw server: the limit a remote call can reach over TCP in .NET, written as well as we can.
/// A plain async <see cref="Socket"/> loop per connection, buffers allocated once per connection; every
/// request parsed out of one receive is answered into one send buffer, sent once (so pipelined requests
/// from many callers on one connection cost one receive and one send per batch). Hardening is not
/// skipped: a length outside the protocol's bounds, an unknown op, a payload whose size does not match
/// its op, or echo text that is not valid UTF-8 closes the connection. Echo text is validated, then
/// copied back as bytes (no string is made: there is no marshaller in the limit).
/// </summary>
internal sealed class RawRpcServer(IPEndPoint endPoint) : ICallCountingServer
{
    private const int InitialBufferSize = 64 * 1024;

    private readonly Socket _listener = new(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;
    private long _calls;

    public EndPoint EndPoint => _listener.LocalEndPoint ?? throw new InvalidOperationException("The server has not been started.");

    public long CallsServed => Interlocked.Read(ref _calls);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Bind(endPoint);
        _listener.Listen(512);
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        foreach (var socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && _stopping.IsCancellationRequested)
            {
                break;
            }

            socket.NoDelay = true;
            _connections[socket] = Task.Run(() => ServeAsync(socket), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var receive = new byte[InitialBufferSize];
        var send = new byte[InitialBufferSize];
        var filled = 0;
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(receive.AsMemory(filled), SocketFlags.None);
                if (received == 0)
                {
                    break;
                }

                filled += received;
                var (consumed, reply, calls) = Answer(receive.AsSpan(0, filled), ref send);
                if (consumed < 0)
                {
                    return; // a protocol violation: a real server's limit is to drop the connection
                }

                if (consumed > 0)
                {
                    receive.AsSpan(consumed, filled - consumed).CopyTo(receive);
                    filled -= consumed;
                }

                if (filled >= 4)
                {
                    var need = 4 + BinaryPrimitives.ReadInt32BigEndian(receive);
                    if (need > receive.Length)
                    {
                        Array.Resize(ref receive, need); // bounded by MaxRequestLength, checked in Answer
                    }
                }

                if (calls > 0)
                {
                    Interlocked.Add(ref _calls, calls);
                }

                var sent = 0;
                while (sent < reply)
                {
                    sent += await socket.SendAsync(send.AsMemory(sent, reply - sent), SocketFlags.None);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client went away mid-call, or the server is stopping.
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    /// <summary>
    /// Answers every whole request in <paramref name="input"/> into <paramref name="send"/>; returns the
    /// bytes consumed (-1: a protocol violation), the reply bytes written, and the calls answered.
    /// </summary>
    private static (int Consumed, int Reply, int Calls) Answer(ReadOnlySpan<byte> input, ref byte[] send)
    {
        var offset = 0;
        var reply = 0;
        var calls = 0;
        while (input.Length - offset >= 4)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(input[offset..]);
            if (length is < RawRpcProtocol.MinRequestLength or > RawRpcProtocol.MaxRequestLength)
            {
                return (-1, 0, 0);
            }

            if (input.Length - offset - 4 < length)
            {
                break;
            }

            var frame = input.Slice(offset + 4, length);
            var payload = frame[5..];

            // The reply is never longer than the request (id + payload against id + op + payload).
            if (reply + 4 + length > send.Length)
            {
                Array.Resize(ref send, Math.Max(send.Length * 2, reply + 4 + length));
            }

            var output = send.AsSpan(reply);
            switch (frame[4])
            {
                case RawRpcProtocol.OpAdd when length == RawRpcProtocol.AddRequestLength:
                    var sum = unchecked(BinaryPrimitives.ReadInt32BigEndian(payload) + BinaryPrimitives.ReadInt32BigEndian(payload[4..]));
                    BinaryPrimitives.WriteInt32BigEndian(output, RawRpcProtocol.AddReplyLength);
                    frame[..4].CopyTo(output[4..]);
                    BinaryPrimitives.WriteInt32BigEndian(output[8..], sum);
                    reply += 4 + RawRpcProtocol.AddReplyLength;
                    break;
                case RawRpcProtocol.OpEcho when payload.Length >= 2
                                               && payload.Length == 2 + BinaryPrimitives.ReadUInt16BigEndian(payload)
                                               && Utf8.IsValid(payload[2..]):
                    BinaryPrimitives.WriteInt32BigEndian(output, 4 + payload.Length);
                    frame[..4].CopyTo(output[4..]);
                    payload.CopyTo(output[8..]);
                    reply += 8 + payload.Length;
                    break;
                default:
                    return (-1, 0, 0);
            }

            calls++;
            offset += 4 + length;
        }

        return (offset, reply, calls);
    }
}
