using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Ocean.Benchmarks.TcpEcho;

/// <summary>
/// The baseline: an echo server written directly on <see cref="Socket"/> as a plain async loop, one task
/// per connection, receiving into a reused 64 KiB array and sending back exactly the bytes received.
/// </summary>
internal sealed class RawEchoServer : IEchoServer
{
    private const int BufferSize = 64 * 1024;

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;

    public EndPoint EndPoint => _listener.LocalEndPoint ?? throw new InvalidOperationException("The server has not been started.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
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
            try
            {
                socket.Shutdown(SocketShutdown.Both); // clients have normally gone already; this ends any that have not
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed by its own loop.
            }
        }

        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(10));
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
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                // AsMemory picks the ValueTask overload; a bare byte[] binds to the ArraySegment one, which allocates a Task per call.
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (received == 0)
                {
                    break;
                }

                var sent = 0;
                while (sent < received)
                {
                    sent += await socket.SendAsync(buffer.AsMemory(sent, received - sent), SocketFlags.None);
                }
            }
        }
        catch (SocketException)
        {
            // The client went away mid-echo.
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }
}
