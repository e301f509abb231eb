using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

/// <summary>A received datagram waiting for its peer's handler: a pooled buffer (counted against the server's byte budget) and its length.</summary>
internal readonly record struct QueuedDatagram(byte[] Buffer, int Length);

/// <summary>What became of a datagram offered to a peer's queue.</summary>
internal enum EnqueueResult
{
    /// <summary>Queued for the handler.</summary>
    Queued,

    /// <summary>The queue is full: drop it, as UDP would.</summary>
    Full,

    /// <summary>The connection has ended (expired or its handler returned): the datagram belongs to a new connection.</summary>
    Closed,
}

/// <summary>One UDP peer of a <see cref="DatagramMessageListener"/>: its datagrams arrive through a bounded queue.</summary>
internal sealed class PeerMessageConnection : MessageConnection
{
    private readonly DatagramMessageListener _listener;
    private readonly IPEndPoint _peer;
    private readonly Channel<QueuedDatagram> _queue;
    private readonly int _maxDatagramSize;
    private readonly Lock _currentLock = new();
    private QueuedDatagram? _current;
    private readonly ConnectionLifetime _lifetime = new();
    private readonly ReceiveCancellation _cancel = new();
    private long _lastActivity;
    private int _ended;
    private int _reading;

    public PeerMessageConnection(DatagramMessageListener listener, IPEndPoint peer, int capacity, long now)
    {
        _listener = listener;
        _peer = peer;
        _lastActivity = now;
        _maxDatagramSize = DatagramSocket.MaxDatagramSize(peer);
        _queue = Channel.CreateBounded<QueuedDatagram>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false, // the handler reads; an abort at shutdown drains concurrently
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the listener drops and counts
        });
    }

    public override string Id { get; } = ConnectionIds.Next('U');

    public override int MaxMessageSize => _maxDatagramSize;

    public override bool IsReliable => false;

    public override bool IsOrdered => false;

    public override CancellationToken ConnectionClosed => _lifetime.Token;

    public override EndPoint? LocalEndPoint => _listener.EndPoint;

    public override EndPoint? RemoteEndPoint => _peer;

    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Called by the listener's receive loop. On anything but <see cref="EnqueueResult.Queued"/> the caller still owns the datagram.</summary>
    public EnqueueResult TryEnqueue(QueuedDatagram datagram, long now)
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            return EnqueueResult.Closed;
        }

        Volatile.Write(ref _lastActivity, now);
        if (_queue.Writer.TryWrite(datagram))
        {
            return EnqueueResult.Queued;
        }

        // TryWrite also fails once the queue is completed: that datagram is no queue overflow.
        return Volatile.Read(ref _ended) != 0 ? EnqueueResult.Closed : EnqueueResult.Full;
    }

    /// <summary>Ends the connection (idle expiry, server stopping): reads complete once queued datagrams are read.</summary>
    public void Complete()
    {
        Volatile.Write(ref _ended, 1);
        _queue.Writer.TryComplete();
        _lifetime.Signal();
    }

    public override ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            // A second read would release the buffer of the message the first one is about to return.
            throw new InvalidOperationException("Another read is in progress on this message connection.");
        }

        return ReceiveCoreAsync(cancellationToken);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageReceiveResult> ReceiveCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            ReleaseCurrent();
            _lifetime.ThrowIfAborted();
            if (_cancel.TryConsume())
            {
                return MessageReceiveResult.Canceled;
            }

            var woken = _cancel.Token;
            using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(woken, cancellationToken) : null;
            try
            {
                while (await _queue.Reader.WaitToReadAsync(linked?.Token ?? woken).ConfigureAwait(false))
                {
                    if (_queue.Reader.TryRead(out var datagram))
                    {
                        lock (_currentLock)
                        {
                            if (_lifetime.IsClosed)
                            {
                                // A read left pending by a handler that has returned: the dispose has already released
                                // the current datagram, so this one would never go back to the pool and the budget.
                                _listener.ReturnDatagram(datagram);
                                break;
                            }

                            _current = datagram;
                        }

                        FramingMetrics.FramesReceived.Add(1);
                        return new MessageReceiveResult(new ReadOnlySequence<byte>(datagram.Buffer, 0, datagram.Length), isCanceled: false, isCompleted: false, _peer);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && woken.IsCancellationRequested && _cancel.TryConsume())
            {
                return MessageReceiveResult.Canceled;
            }

            _lifetime.ThrowIfAborted();
            return MessageReceiveResult.Completed;
        }
        finally
        {
            Volatile.Write(ref _reading, 0); // set by ReceiveAsync: one read at a time
        }
    }

    public override void CancelPendingReceive() => _cancel.Cancel();

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        _lifetime.ThrowIfClosed();
        CheckSize(message.Length);
        MarkActive(); // before too: a send held up longer than the idle timeout must not expire its peer meanwhile
        await _listener.Socket.SendAsync(message, _peer, cancellationToken).ConfigureAwait(false);
        MarkActive();
        FramingMetrics.FramesSent.Add(1);
    }

    public override async ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        _lifetime.ThrowIfClosed();
        var scratch = PooledBufferWriter.Rent(_maxDatagramSize);
        try
        {
            writeMessage(state, scratch);
            CheckSize(scratch.WrittenCount);
            MarkActive(); // before too: see the other SendAsync
            await _listener.Socket.SendAsync(scratch.WrittenMemory, _peer, cancellationToken).ConfigureAwait(false);
            MarkActive();
        }
        finally
        {
            PooledBufferWriter.Return(scratch);
        }

        FramingMetrics.FramesSent.Add(1);
    }

    public override ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        Close(abort: false);
        return ValueTask.CompletedTask;
    }

    public override void Abort(Exception? reason = null) => Close(abort: true, reason);

    private void Close(bool abort, Exception? reason = null)
    {
        if (!_lifetime.TryClose(abort, reason))
        {
            return;
        }

        _listener.Remove(_peer, this);
        Complete();
        while (_queue.Reader.TryRead(out var pending))
        {
            _listener.ReturnDatagram(pending);
        }
    }

    public override ValueTask DisposeAsync()
    {
        Close(abort: false);
        ReleaseCurrent();
        return ValueTask.CompletedTask;
    }

    private void ReleaseCurrent()
    {
        // Under a lock: a read left running by a handler that has returned must not return the buffer a second time.
        QueuedDatagram? current;
        lock (_currentLock)
        {
            current = _current;
            _current = null;
        }

        if (current is { } datagram)
        {
            _listener.ReturnDatagram(datagram);
        }
    }

    // Sending counts as activity for the server's idle expiry: a handler answering a slow request keeps its peer.
    private void MarkActive() => Volatile.Write(ref _lastActivity, _listener.TimeProvider.GetTimestamp());

    private void CheckSize(int length)
    {
        if (length > _maxDatagramSize)
        {
            throw new FramingException(FramingError.FrameTooLarge, $"A message of {length} bytes does not fit in one UDP datagram to {_peer} (at most {_maxDatagramSize} bytes).");
        }
    }
}
