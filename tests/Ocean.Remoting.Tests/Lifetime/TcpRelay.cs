using System.Net;
using System.Net.Sockets;

namespace Ocean.Remoting.Tests.Lifetime;

/// <summary>
/// A loopback TCP relay in front of a server: clients connect to it; <see cref="KillAsync"/> drops every connection
/// without a word and stops listening, as a client machine that vanished would look to the server;
/// <see cref="ResetAll"/> drops the connections so far and goes on accepting, as a lost connection looks to both sides.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly EndPoint _target;
    private readonly List<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _accepted;

    public TcpRelay(EndPoint target)
    {
        _target = target;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        EndPoint = _listener.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    public EndPoint EndPoint { get; }

    /// <summary>How many connections the relay accepted.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var inbound = await _listener.AcceptAsync(_stop.Token);
                var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await outbound.ConnectAsync(_target, _stop.Token);
                lock (_sockets)
                {
                    _sockets.Add(inbound);
                    _sockets.Add(outbound);
                }

                Interlocked.Increment(ref _accepted);
                _ = PumpAsync(inbound, outbound);
                _ = PumpAsync(outbound, inbound);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // killed
        }
    }

    /// <summary>Stops listening and resets every relayed connection (both sides see an abortive close).</summary>
    public async Task KillAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        ResetAll();
        await _accepting;
    }

    /// <summary>Resets every connection relayed so far (both sides see an abortive close); new ones are still accepted.</summary>
    public void ResetAll()
    {
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
            }

            _sockets.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await KillAsync();
        }

        _stop.Dispose();
    }
}
