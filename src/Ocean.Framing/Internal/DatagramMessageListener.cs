using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Transport;
using Ocean.Transport.Internal;

namespace Ocean.Framing.Internal;

/// <summary>
/// A UDP socket presented as one message connection per remote peer: bounded in number, each with a bounded
/// queue, and all queues together bounded in bytes. This is the listener of a datagram <see cref="MessageServer"/>'s
/// server core: its receive loop queues each datagram for its peer, and the first datagram from a new peer is an
/// accepted connection. Running the handlers, tracking them, idle expiry and the stop come from the core.
/// </summary>
internal sealed class DatagramMessageListener : ServerListener<PeerMessageConnection>
{
    private readonly IPEndPoint _requestedEndPoint;
    private readonly MessageConnectionHandler _handler;
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<IPEndPoint, PeerMessageConnection> _peers = new();
    private readonly ByteBudget _queuedBytes;
    private DatagramSocket? _socket;
    private byte[] _buffer = [];
    private long _received;
    private int _running;
    private long _peerLimitDrops;
    private long _peerLimitLogged;
    private bool _peerLimitEverLogged;

    public DatagramMessageListener(IPEndPoint endPoint, MessageConnectionHandler handler, MessageServerOptions options)
    {
        _requestedEndPoint = endPoint;
        _handler = handler;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger("Ocean.Framing.MessageServer") ?? NullLogger.Instance;
        _queuedBytes = new ByteBudget(options.MaxQueuedDatagramBytes);
    }

    /// <summary>Event 503 (peer limit) is logged at most once per this interval of the server's clock.</summary>
    internal static readonly TimeSpan PeerLimitLogInterval = TimeSpan.FromSeconds(10);

    /// <summary>The first pause after a receive error that is not about one datagram (the server core's; for tests).</summary>
    internal static TimeSpan MinReceiveBackoff => ServerCore.MinRetryDelay;

    /// <summary>The longest pause between receives that keep failing (the server core's; for tests).</summary>
    internal static TimeSpan MaxReceiveBackoff => ServerCore.MaxRetryDelay;

    /// <summary>How the receive loop receives (tests substitute one that fails).</summary>
    internal Func<DatagramSocket, Memory<byte>, CancellationToken, ValueTask<DatagramReceiveResult>> ReceiveHook { get; set; } =
        static (socket, buffer, cancellationToken) => socket.ReceiveAsync(buffer, cancellationToken);

    public override EndPoint? EndPoint => _socket?.LocalEndPoint;

    public DatagramSocket Socket => _socket!;

    /// <summary>The server's clock: the peers stamp their activity with it.</summary>
    public TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>The server's logger.</summary>
    public ILogger Logger => _logger;

    /// <summary>Peers whose handlers run, expired or closed ones included: what <see cref="MessageServerOptions.MaxPeers"/> bounds.</summary>
    internal int RunningPeers => Volatile.Read(ref _running);

    /// <summary>Peers with a live message connection (for tests).</summary>
    internal int PeerCount => _peers.Count;

    /// <summary>Bytes of datagrams queued or being read, against <see cref="MessageServerOptions.MaxQueuedDatagramBytes"/>.</summary>
    internal ByteBudget QueuedBytes => _queuedBytes;

    /// <summary>Datagrams taken from the socket so far, dropped ones included (for tests).</summary>
    internal long DatagramsReceived => Volatile.Read(ref _received);

    /// <summary>The live connection of a peer (for tests).</summary>
    internal PeerMessageConnection? FindPeer(IPEndPoint peer) => _peers.TryGetValue(peer, out var connection) ? connection : null;

    public override void Start()
    {
        _socket = DatagramSocket.Bind(_requestedEndPoint, _options.DatagramSocketOptions());
        _buffer = GC.AllocateUninitializedArray<byte>(DatagramSocket.MaxIPv6DatagramSize, pinned: true);
    }

    /// <summary>
    /// Receives until a datagram arrives from a peer without a connection, and returns that peer's new connection
    /// (its first datagram queued); datagrams from known peers are queued for them on the way. Errors propagate to
    /// the core, which asks <see cref="OnAcceptError"/> whether to retry.
    /// </summary>
    public override async ValueTask<PeerMessageConnection?> AcceptAsync(CancellationToken stopping)
    {
        var socket = _socket!;
        var buffer = _buffer;
        PeerMessageConnection? waiting = null;
        while (true)
        {
            DatagramReceiveResult received;
            if (waiting is null)
            {
                received = await ReceiveHook(socket, buffer, stopping).ConfigureAwait(false);
            }
            else
            {
                // A handler waits for the last datagram. The next receive starts first (the buffer is free again:
                // Dispatch copied the datagram), then the handler resumes: see ReceiveThenWake.
                ValueTask<DatagramReceiveResult> next;
                try
                {
                    next = ReceiveHook(socket, buffer, stopping);
                }
                catch
                {
                    waiting.WakeReader(inline: false);
                    throw;
                }

                received = await new ReceiveThenWake(next, waiting);
            }

            ReportProgress();
            var started = Dispatch(buffer.AsSpan(0, received.Length), (IPEndPoint)received.RemoteEndPoint, out waiting);
            Volatile.Write(ref _received, _received + 1); // one writer: the accept loop
            if (started is not null)
            {
                // A new peer's handler starts on the thread pool; a read it cannot have pending yet is woken there too.
                waiting?.WakeReader(inline: false);
                return started;
            }
        }
    }

    public override AcceptErrorAction OnAcceptError(Exception error, TimeSpan retryDelay)
    {
        switch (error)
        {
            case TimeoutException:
                return AcceptErrorAction.RetryNow; // a receive timeout on the shared socket only means a quiet moment: peers expire on their own
            case System.Net.Sockets.SocketException socketError:
                Log.ReceiveFailed(_logger, error); // e.g. an ICMP error reported on the socket: other peers go on

                // Anything but an error about one datagram may last (no buffer memory, say): pause, so the loop does not spin on it.
                return IsPerDatagram(socketError.SocketErrorCode) ? AcceptErrorAction.RetryNow : AcceptErrorAction.RetryLater;
            default:
                Log.ReceiveFailed(_logger, error);
                return AcceptErrorAction.Stop;
        }
    }

    public override long GetLastActivity(PeerMessageConnection connection) => connection.LastActivity;

    public override void Expire(PeerMessageConnection connection, TimeSpan idleTimeout)
    {
        // Only the first heartbeat that finds it idle: once removed, it is no longer the peer's connection.
        if (Remove((IPEndPoint)connection.RemoteEndPoint!, connection))
        {
            Log.PeerExpired(_logger, connection.Id, connection.RemoteEndPoint!, idleTimeout);
            connection.Complete(); // a new datagram from it starts a fresh connection
        }
    }

    // The receive loop has ended: no datagram can find a completed peer and start a fresh one any more.
    public override void OnAcceptingEnded(PeerMessageConnection connection) => connection.Complete();

    public override void Abort(PeerMessageConnection connection) => connection.Abort();

    // Last, so handlers finishing within the deadline could still send their replies.
    public override ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs the application's handler for one peer, then closes the peer's connection (the server core's run step).</summary>
    public async Task RunPeerAsync(PeerMessageConnection peer, CancellationToken stopping)
    {
        try
        {
            await _handler(peer, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
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
            Interlocked.Decrement(ref _running); // only now may a new peer take its place
        }
    }

    public bool Remove(IPEndPoint peer, PeerMessageConnection connection) =>
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

    /// <summary>
    /// Queues one datagram for its peer's connection, starting one if needed. Dropped and counted when the
    /// peers are at their limit, the peer's queue is full, or the server already holds its byte budget.
    /// </summary>
    /// <returns>The connection started for a new peer, for the core to run; <see langword="null"/> otherwise.</returns>
    /// <param name="payload">The datagram, in the receive buffer.</param>
    /// <param name="sender">Its source.</param>
    /// <param name="waiting">The peer whose pending read this datagram completes, for the caller to wake (<see cref="PeerMessageConnection.WakeReader"/>).</param>
    private PeerMessageConnection? Dispatch(ReadOnlySpan<byte> payload, IPEndPoint sender, out PeerMessageConnection? waiting)
    {
        waiting = null;
        PeerMessageConnection? started = null;
        var now = _options.TimeProvider.GetTimestamp();
        QueuedDatagram? copy = null;
        try
        {
            // Twice at most: a connection that ended since it was looked up hands its datagram to a fresh one.
            for (var attempt = 0; attempt < 2; attempt++)
            {
                _peers.TryGetValue(sender, out var peer);
                // Running handlers, not live peers: an expired peer whose handler has not returned still holds its place,
                // or a peer could expire in turn and leave any number of handlers running.
                if (peer is null && Volatile.Read(ref _running) >= _options.MaxPeers)
                {
                    FramingMetrics.CountDropped("peer_limit");
                    LogPeerLimit(sender, now);
                    return started;
                }

                // The copy is sized to the datagram, and taken only once it has a place.
                if (copy is null && (copy = TryCopy(payload, sender)) is null)
                {
                    return started;
                }

                if (peer is null)
                {
                    peer = started = new PeerMessageConnection(this, sender, _options.PeerQueueCapacity, now);
                    Interlocked.Increment(ref _running); // released when its handler returns (RunPeerAsync)
                    _peers[sender] = peer;
                }

                switch (peer.TryEnqueue(copy.Value, now, out var wake))
                {
                    case EnqueueResult.Queued:
                        copy = null;
                        waiting = wake ? peer : null;
                        return started;
                    case EnqueueResult.Full:
                        FramingMetrics.CountDropped("queue_full");
                        Log.PeerQueueFull(_logger, sender, _options.PeerQueueCapacity);
                        return started;
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

        return started;
    }

    /// <summary>
    /// Reports the peer limit at most once per <see cref="PeerLimitLogInterval"/>: datagrams from spoofed sources
    /// could otherwise write a warning each. Every drop is still counted in the metric. Only the receive loop calls it.
    /// </summary>
    private void LogPeerLimit(IPEndPoint sender, long now)
    {
        _peerLimitDrops++;
        if (_peerLimitEverLogged && _options.TimeProvider.GetElapsedTime(_peerLimitLogged, now) < PeerLimitLogInterval)
        {
            return;
        }

        Log.PeerLimit(_logger, sender, _options.MaxPeers, _peerLimitDrops, PeerLimitLogInterval);
        _peerLimitEverLogged = true;
        _peerLimitLogged = now;
        _peerLimitDrops = 0;
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

    /// <summary>Errors the OS reports for one datagram (ICMP unreachable and the like): the next receive may well succeed.</summary>
    private static bool IsPerDatagram(System.Net.Sockets.SocketError error) => error is
        System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.ConnectionRefused or
        System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable or
        System.Net.Sockets.SocketError.MessageSize;
}

/// <summary>
/// Awaits the listener's next receive, and wakes the handler waiting for the datagram before it: if that receive
/// is pending, once this loop's continuation is registered on it, on this thread (which would only go idle),
/// so the handler resumes without a hop through the thread pool while the next datagram completes on another thread;
/// if a datagram is already there, on the thread pool, and the loop goes on. Either way a handler that runs long
/// never holds up the receive loop.
/// </summary>
internal readonly struct ReceiveThenWake(ValueTask<DatagramReceiveResult> receive, PeerMessageConnection waiting) : System.Runtime.CompilerServices.ICriticalNotifyCompletion
{
    public bool IsCompleted
    {
        get
        {
            if (receive.IsCompleted)
            {
                waiting.WakeReader(inline: false);
                return true;
            }

            return false;
        }
    }

    public ReceiveThenWake GetAwaiter() => this;

    public DatagramReceiveResult GetResult() => receive.ConfigureAwait(false).GetAwaiter().GetResult();

    public void OnCompleted(Action continuation)
    {
        receive.ConfigureAwait(false).GetAwaiter().OnCompleted(continuation);
        waiting.WakeReader(inline: true);
    }

    public void UnsafeOnCompleted(Action continuation)
    {
        receive.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(continuation);
        waiting.WakeReader(inline: true);
    }
}
