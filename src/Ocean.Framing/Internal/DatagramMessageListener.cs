using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

/// <summary>
/// A UDP socket presented as one message connection per remote peer: bounded in number, each with a bounded
/// queue, expiring when idle, and all queues together bounded in bytes. One receive loop; one handler task per peer.
/// </summary>
internal sealed class DatagramMessageListener : IAsyncDisposable
{
    private readonly IPEndPoint _requestedEndPoint;
    private readonly MessageConnectionHandler _handler;
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<IPEndPoint, PeerMessageConnection> _peers = new();
    private readonly ConcurrentDictionary<PeerMessageConnection, Task> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ByteBudget _queuedBytes;
    private readonly Lock _stateLock = new();
    private DatagramSocket? _socket;
    private Task _receiveLoop = Task.CompletedTask;
    private ITimer? _heartbeat;
    private Task? _stopTask;
    private long _received;

    public DatagramMessageListener(IPEndPoint endPoint, MessageConnectionHandler handler, MessageServerOptions options)
    {
        _requestedEndPoint = endPoint;
        _handler = handler;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger("Ocean.Framing.MessageServer") ?? NullLogger.Instance;
        _queuedBytes = new ByteBudget(options.MaxQueuedDatagramBytes);
    }

    /// <summary>The first pause after a receive error that is not about one datagram; it doubles up to <see cref="MaxReceiveBackoff"/>.</summary>
    internal static readonly TimeSpan MinReceiveBackoff = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest pause between receives that keep failing.</summary>
    internal static readonly TimeSpan MaxReceiveBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How the receive loop receives (tests substitute one that fails).</summary>
    internal Func<DatagramSocket, Memory<byte>, CancellationToken, ValueTask<DatagramReceiveResult>> ReceiveHook { get; set; } =
        static (socket, buffer, cancellationToken) => socket.ReceiveAsync(buffer, cancellationToken);

    public EndPoint EndPoint => _socket?.LocalEndPoint ?? throw new InvalidOperationException("The server has not been started.");

    public DatagramSocket Socket => _socket!;

    /// <summary>Peers with a live message connection (for tests).</summary>
    internal int PeerCount => _peers.Count;

    /// <summary>Bytes of datagrams queued or being read, against <see cref="MessageServerOptions.MaxQueuedDatagramBytes"/>.</summary>
    internal ByteBudget QueuedBytes => _queuedBytes;

    /// <summary>Datagrams taken from the socket so far, dropped ones included (for tests).</summary>
    internal long DatagramsReceived => Volatile.Read(ref _received);

    /// <summary>The live connection of a peer (for tests).</summary>
    internal PeerMessageConnection? FindPeer(IPEndPoint peer) => _peers.TryGetValue(peer, out var connection) ? connection : null;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // All of the start happens under the lock, so a StopAsync racing with it either sees nothing started (and
        // makes a later start throw) or everything started: the socket, the heartbeat timer and the receive loop.
        lock (_stateLock)
        {
            if (_socket is not null || _stopTask is not null)
            {
                throw new InvalidOperationException("A server can be started once.");
            }

            _socket = DatagramSocket.Bind(_requestedEndPoint, _options.Datagram);
            if (_options.PeerIdleTimeout != Timeout.InfiniteTimeSpan)
            {
                var period = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, _options.PeerIdleTimeout.Ticks / 2));
                _heartbeat = _options.TimeProvider.CreateTimer(static state => ((DatagramMessageListener)state!).ExpireIdlePeers(), this, period, period);
            }

            _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            return _stopTask ??= StopCoreAsync(cancellationToken);
        }
    }

    // The stopping source is not disposed: handlers still running past the shutdown deadline may read its token.
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    public void Remove(IPEndPoint peer, PeerMessageConnection connection) =>
        _peers.TryRemove(new KeyValuePair<IPEndPoint, PeerMessageConnection>(peer, connection));

    /// <summary>A queued datagram is done with (read past, or dropped): its buffer goes back to the pool, its bytes to the budget.</summary>
    public void ReturnDatagram(QueuedDatagram datagram)
    {
        if (datagram.Buffer.Length > 0)
        {
            _queuedBytes.Release(datagram.Buffer.Length);
            ArrayPool<byte>.Shared.Return(datagram.Buffer);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var socket = _socket!;
        var stopping = _stopping.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(DatagramSocket.MaxIPv6DatagramSize, pinned: true);
        var backoff = TimeSpan.Zero;
        while (!stopping.IsCancellationRequested)
        {
            DatagramReceiveResult received;
            try
            {
                received = await ReceiveHook(socket, buffer, stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (TimeoutException)
            {
                continue; // a receive timeout on the shared socket only means a quiet moment: peers expire on their own
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                Log.ReceiveFailed(_logger, ex); // e.g. an ICMP error reported on the socket: other peers go on
                if (!IsPerDatagram(ex.SocketErrorCode))
                {
                    // Anything else may last (no buffer memory, say): pause, bounded, so the loop does not spin on it.
                    backoff = backoff == TimeSpan.Zero ? MinReceiveBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxReceiveBackoff.Ticks));
                    try
                    {
                        await Task.Delay(backoff, _options.TimeProvider, stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                continue;
            }

            backoff = TimeSpan.Zero;
            Dispatch(buffer.AsSpan(0, received.Length), (IPEndPoint)received.RemoteEndPoint);
            Volatile.Write(ref _received, _received + 1); // one writer: this loop
        }
    }

    /// <summary>
    /// Queues one datagram for its peer's connection, starting one if needed. Dropped and counted when the
    /// peers are at their limit, the peer's queue is full, or the server already holds its byte budget.
    /// </summary>
    private void Dispatch(ReadOnlySpan<byte> payload, IPEndPoint sender)
    {
        var now = _options.TimeProvider.GetTimestamp();
        QueuedDatagram? copy = null;
        try
        {
            // Twice at most: a connection that ended since it was looked up hands its datagram to a fresh one.
            for (var attempt = 0; attempt < 2; attempt++)
            {
                _peers.TryGetValue(sender, out var peer);
                if (peer is null && _peers.Count >= _options.MaxPeers)
                {
                    FramingMetrics.CountDropped("peer_limit");
                    Log.PeerLimit(_logger, sender, _options.MaxPeers);
                    return;
                }

                // The copy is sized to the datagram, and taken only once it has a place.
                if (copy is null && (copy = TryCopy(payload, sender)) is null)
                {
                    return;
                }

                peer ??= StartPeer(sender, now);
                switch (peer.TryEnqueue(copy.Value, now))
                {
                    case EnqueueResult.Queued:
                        copy = null;
                        return;
                    case EnqueueResult.Full:
                        FramingMetrics.CountDropped("queue_full");
                        Log.PeerQueueFull(_logger, sender, _options.PeerQueueCapacity);
                        return;
                    default:
                        Remove(sender, peer); // expired or closed as the datagram arrived: not a full queue
                        break;
                }
            }
        }
        finally
        {
            if (copy is { } dropped)
            {
                ReturnDatagram(dropped);
            }
        }
    }

    private QueuedDatagram? TryCopy(ReadOnlySpan<byte> payload, IPEndPoint sender)
    {
        if (payload.IsEmpty)
        {
            return new QueuedDatagram([], 0);
        }

        var rented = ArrayPool<byte>.Shared.Rent(payload.Length);
        if (!_queuedBytes.TryReserve(rented.Length))
        {
            ArrayPool<byte>.Shared.Return(rented);
            FramingMetrics.CountDropped("byte_limit");
            Log.QueuedBytesLimit(_logger, sender, payload.Length, _queuedBytes.Used, _queuedBytes.Limit);
            return null;
        }

        payload.CopyTo(rented);
        return new QueuedDatagram(rented, payload.Length);
    }

    private PeerMessageConnection StartPeer(IPEndPoint sender, long now)
    {
        var peer = new PeerMessageConnection(this, sender, _options.PeerQueueCapacity, now);
        _peers[sender] = peer;
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running[peer] = completion.Task;
        ThreadPool.UnsafeQueueUserWorkItem(
            static state => _ = state.Listener.RunPeerAsync(state.Peer, state.Completion),
            (Listener: this, Peer: peer, Completion: completion),
            preferLocal: false);
        return peer;
    }

    private async Task RunPeerAsync(PeerMessageConnection peer, TaskCompletionSource completion)
    {
        try
        {
            await _handler(peer, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The handler honoured the stopping token.
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, peer.Id, peer.RemoteEndPoint, ex);
        }
        finally
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            _running.TryRemove(peer, out _);
            completion.SetResult();
        }
    }

    private void ExpireIdlePeers()
    {
        var now = _options.TimeProvider.GetTimestamp();
        foreach (var (endPoint, peer) in _peers)
        {
            if (_options.TimeProvider.GetElapsedTime(peer.LastActivity, now) >= _options.PeerIdleTimeout)
            {
                Log.PeerExpired(_logger, peer.Id, endPoint, _options.PeerIdleTimeout);
                Remove(endPoint, peer); // a new datagram from it starts a fresh connection
                peer.Complete();
            }
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _heartbeat?.Dispose();
        await _receiveLoop.ConfigureAwait(false);
        foreach (var peer in _peers.Values)
        {
            peer.Complete();
        }

        var timeout = _options.Stream.ShutdownTimeout;
        using var deadline = timeout == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await Task.WhenAll(_running.Values).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            foreach (var peer in _running.Keys)
            {
                peer.Abort();
            }
        }

        _socket?.Dispose();
    }

    /// <summary>Errors the OS reports for one datagram (ICMP unreachable and the like): the next receive may well succeed.</summary>
    private static bool IsPerDatagram(System.Net.Sockets.SocketError error) => error is
        System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.ConnectionRefused or
        System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable or
        System.Net.Sockets.SocketError.MessageSize;
}
