using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ocean.Benchmarks.TcpEcho;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The baseline: a plain async <see cref="Socket"/> server, one loop per connection, that parses the same
/// 4-byte big-endian length-prefixed frames and echoes each whole frame. Buffers are allocated once per
/// connection (grown only for a frame larger than they are); every reply parsed out of one receive goes
/// back in one send.
/// </summary>
/// <remarks>
/// Run with <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> in its environment, the same server
/// measures inline socket completions (the "raw-inline" kind).
/// </remarks>
internal sealed class RawFrameServer(IPEndPoint endPoint) : IEchoServer
{
    private const int InitialBufferSize = 64 * 1024;

    private readonly Socket _listener = new(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;

    public EndPoint EndPoint => _listener.LocalEndPoint ?? throw new InvalidOperationException("The server has not been started.");

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
            _connections[socket] = Task.Run(() => EchoAsync(socket), CancellationToken.None);
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        var receive = new byte[InitialBufferSize];
        var send = new byte[InitialBufferSize];
        var filled = 0;
        try
        {
            while (true)
            {
                // AsMemory picks the ValueTask overload; a bare byte[] binds to the ArraySegment one, which allocates a Task per call.
                var received = await socket.ReceiveAsync(receive.AsMemory(filled), SocketFlags.None);
                if (received == 0)
                {
                    break;
                }

                filled += received;
                var offset = 0;
                var reply = 0;
                while (filled - offset >= 4)
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(receive.AsSpan(offset));
                    if (length is < 0 or > PipeFrameEcho.MaxPayload)
                    {
                        return; // a real server's limit: drop the connection
                    }

                    if (filled - offset < 4 + length)
                    {
                        if (4 + length > receive.Length)
                        {
                            Array.Resize(ref receive, 4 + length);
                        }

                        break;
                    }

                    if (reply + 4 + length > send.Length)
                    {
                        Array.Resize(ref send, Math.Max(send.Length * 2, reply + 4 + length));
                    }

                    BinaryPrimitives.WriteInt32BigEndian(send.AsSpan(reply), length);
                    receive.AsSpan(offset + 4, length).CopyTo(send.AsSpan(reply + 4));
                    reply += 4 + length;
                    offset += 4 + length;
                }

                if (offset > 0)
                {
                    receive.AsSpan(offset, filled - offset).CopyTo(receive);
                    filled -= offset;
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
            // The client went away mid-echo, or the server is stopping.
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }
}

/// <summary>
/// The UDP baseline: one <see cref="Socket"/> with the <see cref="SocketAddress"/> overloads of
/// ReceiveFromAsync and SendToAsync, buffer and address reused for every datagram.
/// </summary>
internal sealed class RawUdpEchoServer(IPEndPoint endPoint) : IEchoServer
{
    private readonly Socket _socket = new(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public EndPoint EndPoint => _socket.LocalEndPoint ?? throw new InvalidOperationException("The server has not been started.");

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
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[65_536];
        var address = new SocketAddress(endPoint.AddressFamily);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var received = await _socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, address, _stopping.Token);
                await _socket.SendToAsync(buffer.AsMemory(0, received), SocketFlags.None, address, _stopping.Token);
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
}
