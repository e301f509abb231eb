using System.Buffers;
using System.Net;
using System.Threading.Tasks.Sources;
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

/// <summary>
/// One UDP peer of a <see cref="DatagramMessageListener"/>: its datagrams arrive through a bounded queue.
/// </summary>
/// <remarks>
/// The queue is a ring under one lock, and a pending read is this object itself as an
/// <see cref="IValueTaskSource{TResult}"/>: a read that waits allocates nothing, and the listener's receive loop can
/// run the handler's continuation on its own thread once it has started its next receive (see
/// <see cref="WakeReader"/>), instead of a thread-pool hop per datagram.
/// </remarks>
internal sealed class PeerMessageConnection : MessageConnection, IValueTaskSource<MessageReceiveResult>, IThreadPoolWorkItem
{
    // Why a pending read was woken (the result of _pending).
    private const int WokenByData = 0; // a datagram, or the end of the queue: look at the queue
    private const int WokenByCancelPending = 1; // CancelPendingReceive
    private const int WokenByToken = 2; // the caller's token

    private const int InitialRingSize = 4;

    private readonly DatagramMessageListener _listener;
    private readonly IPEndPoint _peer;
    private readonly int _capacity;
    private readonly int _maxDatagramSize;
    private readonly ConnectionLifetime _lifetime = new();

    // Everything below up to _pending is guarded by _lock.
    private readonly Lock _lock = new();
    private QueuedDatagram[] _ring;
    private int _head;
    private int _count;
    private QueuedDatagram? _current;
    private bool _ended;
    private bool _cancelRequested;
    private bool _waiting; // a read is pending on _pending and nobody has woken it yet
    private CancellationToken _waitToken;
    private int _wakeReason; // written by whoever took the waiter, before it completes _pending

    // Completed outside the lock by whoever flipped _waiting; continuations run inline (the waker chooses the thread).
    private ManualResetValueTaskSourceCore<int> _pending;
    private CancellationTokenRegistration _registration;
    private long _lastActivity;
    private int _reading;

    public PeerMessageConnection(DatagramMessageListener listener, IPEndPoint peer, int capacity, long now)
    {
        _listener = listener;
        _peer = peer;
        _capacity = capacity;
        _lastActivity = now;
        _maxDatagramSize = DatagramSocket.MaxDatagramSize(peer);
        _ring = new QueuedDatagram[Math.Min(capacity, InitialRingSize)]; // grows up to capacity: a large capacity costs only when used
        _pending.RunContinuationsAsynchronously = false;
    }

    public override string Id { get; } = ConnectionIds.Next('U');

    public override int MaxMessageSize => _maxDatagramSize;

    public override bool IsReliable => false;

    public override bool IsOrdered => false;

    public override CancellationToken ConnectionClosed => _lifetime.Token;

    public override EndPoint? LocalEndPoint => _listener.EndPoint;

    public override EndPoint? RemoteEndPoint => _peer;

    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Queues a datagram; a pending read resumes on the thread pool. On anything but <see cref="EnqueueResult.Queued"/> the caller still owns the datagram.</summary>
    public EnqueueResult TryEnqueue(QueuedDatagram datagram, long now)
    {
        var result = TryEnqueue(datagram, now, out var wake);
        if (wake)
        {
            WakeReader(inline: false);
        }

        return result;
    }

    /// <summary>
    /// Called by the listener's receive loop. On anything but <see cref="EnqueueResult.Queued"/> the caller still owns the
    /// datagram. When <paramref name="wake"/> comes back <see langword="true"/>, a read was pending: the caller must call
    /// <see cref="WakeReader"/> once (it chooses the thread the handler resumes on).
    /// </summary>
    public EnqueueResult TryEnqueue(QueuedDatagram datagram, long now, out bool wake)
    {
        wake = false;
        lock (_lock)
        {
            if (_ended)
            {
                return EnqueueResult.Closed;
            }

            Volatile.Write(ref _lastActivity, now);
            if (_count == _capacity)
            {
                return EnqueueResult.Full;
            }

            if (_count == _ring.Length)
            {
                Grow();
            }

            _ring[(_head + _count) % _ring.Length] = datagram;
            _count++;
            wake = TakeWaiterLocked();
        }

        return EnqueueResult.Queued;
    }

    /// <summary>
    /// Completes the read <see cref="TryEnqueue(QueuedDatagram, long, out bool)"/> found pending: the handler resumes on
    /// this thread (<paramref name="inline"/>, only where running it holds nothing up), or on the thread pool.
    /// </summary>
    public void WakeReader(bool inline) => Wake(WokenByData, inline);

    void IThreadPoolWorkItem.Execute() => _pending.SetResult(_wakeReason);

    /// <summary>Ends the connection (idle expiry, server stopping): reads complete once queued datagrams are read.</summary>
    public void Complete()
    {
        bool wake;
        lock (_lock)
        {
            _ended = true;
            wake = TakeWaiterLocked();
        }

        if (wake)
        {
            Wake(WokenByData, inline: false); // the caller (a stop, an expiry, a close) must not run the handler
        }

        _lifetime.Signal();
    }

    public override ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            // A second read would release the buffer of the message the first one is about to return.
            throw new InvalidOperationException("Another read is in progress on this message connection.");
        }

        var pending = false;
        try
        {
            QueuedDatagram? released;
            var outcome = ReadOutcome.Pending;
            MessageReceiveResult result = default;
            lock (_lock)
            {
                released = _current;
                _current = null;
                if (_lifetime.IsAborted)
                {
                    outcome = ReadOutcome.Aborted; // thrown below, outside the lock
                }
                else if (_cancelRequested)
                {
                    _cancelRequested = false;
                    outcome = ReadOutcome.CancelPending;
                }
                else if (cancellationToken.IsCancellationRequested)
                {
                    outcome = ReadOutcome.TokenCanceled; // it wins over a queued datagram, which stays queued
                }
                else if (TryTakeLocked(out result) || _ended || _lifetime.IsClosed)
                {
                    outcome = ReadOutcome.Result; // a datagram, or the end
                }
                else
                {
                    _pending.Reset();
                    _waiting = true;
                    _waitToken = cancellationToken;
                }
            }

            if (released is { } previous)
            {
                _listener.ReturnDatagram(previous);
            }

            switch (outcome)
            {
                case ReadOutcome.Aborted:
                    return ValueTask.FromException<MessageReceiveResult>(_lifetime.Aborted());
                case ReadOutcome.CancelPending:
                    return new ValueTask<MessageReceiveResult>(MessageReceiveResult.Canceled);
                case ReadOutcome.TokenCanceled:
                    return ValueTask.FromCanceled<MessageReceiveResult>(cancellationToken);
                case ReadOutcome.Result:
                    return result.IsCompleted ? FinishAsync() : new ValueTask<MessageReceiveResult>(result);
            }

            pending = true;
            var version = _pending.Version;
            if (cancellationToken.CanBeCanceled)
            {
                // A free node of the token's source is reused: registering on the same token again allocates nothing.
                // Already cancelled meanwhile, the callback runs now and wakes the read (on the thread pool).
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((PeerMessageConnection)state!).OnTokenCanceled(token), this);
            }

            return new ValueTask<MessageReceiveResult>(this, version);
        }
        finally
        {
            if (!pending)
            {
                Volatile.Write(ref _reading, 0); // one read at a time
            }
        }
    }

    public override void CancelPendingReceive()
    {
        bool wake;
        lock (_lock)
        {
            wake = TakeWaiterLocked();
            if (!wake)
            {
                _cancelRequested = true; // for the next read; several requests count once
            }
        }

        if (wake)
        {
            Wake(WokenByCancelPending, inline: false);
        }
    }

    MessageReceiveResult IValueTaskSource<MessageReceiveResult>.GetResult(short token)
    {
        try
        {
            var reason = _pending.GetResult(token);
            _registration.Dispose(); // waits for a token callback running on another thread: it finds the read woken already
            _registration = default;
            switch (reason)
            {
                case WokenByCancelPending:
                    return MessageReceiveResult.Canceled;
                case WokenByToken:
                    _waitToken.ThrowIfCancellationRequested();
                    throw new OperationCanceledException(_waitToken); // not reached: woken only once cancelled
                default:
                    _lifetime.ThrowIfAborted();
                    MessageReceiveResult result;
                    lock (_lock)
                    {
                        // Nothing to take only once the connection has ended: a datagram or the end woke it, and only this read takes.
                        TryTakeLocked(out result);
                    }

                    return result.IsCompleted ? Finish() : result;
            }
        }
        finally
        {
            _waitToken = default;
            Volatile.Write(ref _reading, 0); // set by ReceiveAsync: one read at a time
        }
    }

    ValueTaskSourceStatus IValueTaskSource<MessageReceiveResult>.GetStatus(short token) => _pending.GetStatus(token);

    void IValueTaskSource<MessageReceiveResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _pending.OnCompleted(continuation, state, token, flags);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ValueTask send;
        try
        {
            _lifetime.ThrowIfClosed();
            CheckSize(message.Length);
            MarkActive(); // before too: a send held up longer than the idle timeout must not expire its peer meanwhile
            send = _listener.Socket.SendAsync(message, _peer, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex); // as an async method would: the caller sees it when awaiting
        }

        if (!send.IsCompletedSuccessfully)
        {
            return AwaitSendAsync(send);
        }

        // The OS took it at once: the stamp above is as recent as one taken now would be.
        send.GetAwaiter().GetResult();
        FramingMetrics.FramesSent.Add(1);
        return ValueTask.CompletedTask;
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
            var send = _listener.Socket.SendAsync(scratch.WrittenMemory, _peer, cancellationToken);
            if (send.IsCompletedSuccessfully)
            {
                send.GetAwaiter().GetResult();
            }
            else
            {
                await send.ConfigureAwait(false);
                MarkActive();
            }
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

    public override ValueTask DisposeAsync()
    {
        Close(abort: false);
        ReleaseCurrent();
        return ValueTask.CompletedTask;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitSendAsync(ValueTask send)
    {
        await send.ConfigureAwait(false);
        MarkActive();
        FramingMetrics.FramesSent.Add(1);
    }

    private void Close(bool abort, Exception? reason = null)
    {
        if (!_lifetime.TryClose(abort, reason))
        {
            return;
        }

        _listener.Remove(_peer, this);
        Complete();
        while (true)
        {
            QueuedDatagram pending;
            lock (_lock)
            {
                if (_count == 0)
                {
                    break;
                }

                pending = Dequeue();
            }

            _listener.ReturnDatagram(pending);
        }
    }

    private void OnTokenCanceled(CancellationToken token)
    {
        bool wake;
        lock (_lock)
        {
            // Only the read that registered this token: a late callback must not wake a later read with another token.
            wake = _waiting && _waitToken == token && TakeWaiterLocked();
        }

        if (wake)
        {
            Wake(WokenByToken, inline: false); // not inside the caller's Cancel
        }
    }

    private void Wake(int reason, bool inline)
    {
        _wakeReason = reason;
        if (inline)
        {
            _pending.SetResult(reason);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Takes the pending read for the caller to complete, unless it is already woken (or none is pending).</summary>
    private bool TakeWaiterLocked()
    {
        if (!_waiting)
        {
            return false;
        }

        _waiting = false;
        return true;
    }

    /// <summary>
    /// The next datagram as the read's result (it becomes the current one, released by the next read), or
    /// <see langword="false"/> with a completed result when the queue is empty.
    /// </summary>
    private bool TryTakeLocked(out MessageReceiveResult result)
    {
        if (_count == 0 || _lifetime.IsClosed)
        {
            // Closed: a read left pending by a handler that has returned; the close drains the queue and the dispose
            // releases the current datagram, so nothing taken now would go back to the pool and the budget.
            result = MessageReceiveResult.Completed;
            return false;
        }

        var datagram = Dequeue();
        _current = datagram;
        FramingMetrics.FramesReceived.Add(1);
        result = new MessageReceiveResult(new ReadOnlySequence<byte>(datagram.Buffer, 0, datagram.Length), isCanceled: false, isCompleted: false, _peer);
        return true;
    }

    private QueuedDatagram Dequeue()
    {
        var datagram = _ring[_head];
        _ring[_head] = default;
        _head = (_head + 1) % _ring.Length;
        _count--;
        return datagram;
    }

    private void Grow()
    {
        var grown = new QueuedDatagram[(int)Math.Min((long)_ring.Length * 2, _capacity)];
        for (var i = 0; i < _count; i++)
        {
            grown[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = grown;
        _head = 0;
    }

    /// <summary>The end of a read that found nothing: an abort raises, a completed connection says so.</summary>
    private MessageReceiveResult Finish()
    {
        _lifetime.ThrowIfAborted();
        return MessageReceiveResult.Completed;
    }

    private ValueTask<MessageReceiveResult> FinishAsync() =>
        _lifetime.IsAborted ? ValueTask.FromException<MessageReceiveResult>(_lifetime.Aborted()) : new ValueTask<MessageReceiveResult>(MessageReceiveResult.Completed);

    private void ReleaseCurrent()
    {
        // Under the lock: a read left running by a handler that has returned must not return the buffer a second time.
        QueuedDatagram? current;
        lock (_lock)
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

/// <summary>How a read that starts ends, decided under the peer's lock.</summary>
internal enum ReadOutcome
{
    /// <summary>It waits.</summary>
    Pending,

    /// <summary>The connection was aborted.</summary>
    Aborted,

    /// <summary><see cref="MessageConnection.CancelPendingReceive"/> was called before it.</summary>
    CancelPending,

    /// <summary>The caller's token is cancelled.</summary>
    TokenCanceled,

    /// <summary>A datagram, or the end of the connection.</summary>
    Result,
}
