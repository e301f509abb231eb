using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal;

/// <summary>
/// A call this side sent and awaits the reply of, in its connection's table by request id. Pooled: each use has a
/// fresh <see cref="Sequence"/>, and whoever completes it (the read loop, the deadline, the caller's cancellation, the
/// connection's end) must name that sequence, so a late completer can never touch the object's next use.
/// </summary>
internal abstract class PendingCall
{
    private static long s_sequence;

    // The sequence while the call is waiting; 0 once a completer has claimed it.
    private long _state;

    public RemotingConnection Owner { get; private set; } = null!;

    public RemoteMethod Method { get; private set; } = null!;

    public string ObjectKey { get; private set; } = null!;

    public long Sequence { get; private set; }

    public uint RequestId { get; set; }

    /// <summary>Whether the request was handed to the transport (so the server may have run it).</summary>
    public bool Sent { get; set; }

    public long StartTimestamp { get; private set; }

    public Activity? Activity { get; set; }

    public bool MetricsOn { get; set; }

    /// <summary>Completes the call from its reply (on the read loop, while the reply's bytes are valid).</summary>
    public void Complete(long sequence, in ReplyMessage reply)
    {
        if (TryClaim(sequence))
        {
            OnReply(reply);
        }
    }

    /// <summary>Fails the call unless it already completed (or was reused).</summary>
    public bool TryFail(long sequence, RemotingException error)
    {
        if (!TryClaim(sequence))
        {
            return false;
        }

        SetFailure(error);
        return true;
    }

    protected void Begin(RemotingConnection owner, RemoteMethod method, string objectKey)
    {
        Owner = owner;
        Method = method;
        ObjectKey = objectKey;
        RequestId = 0;
        Sent = false;
        Activity = null;
        MetricsOn = false;
        StartTimestamp = Stopwatch.GetTimestamp();
        Sequence = Interlocked.Increment(ref s_sequence);
        Volatile.Write(ref _state, Sequence);
    }

    protected void Clear()
    {
        Owner = null!;
        Method = null!;
        ObjectKey = null!;
        Activity = null;
    }

    protected bool IsWaiting(long sequence) => Volatile.Read(ref _state) == sequence;

    protected abstract void OnReply(in ReplyMessage reply);

    protected abstract void SetFailure(RemotingException error);

    protected abstract void ReleaseTimers();

    protected void Finish(RemotingStatus status, string? error)
    {
        if (Activity is { } activity)
        {
            activity.SetTag("rpc.ocean.status", status.ToString());
            if (status != RemotingStatus.Ok)
            {
                activity.SetStatus(ActivityStatusCode.Error, error);
            }

            activity.Dispose();
        }

        if (MetricsOn)
        {
            RemotingTelemetry.Finished(RemotingTelemetry.ClientSide, Method.DisplayName, status, StartTimestamp);
        }
    }

    private bool TryClaim(long sequence)
    {
        if (sequence == 0 || Interlocked.CompareExchange(ref _state, 0, sequence) != sequence)
        {
            return false;
        }

        ReleaseTimers();
        return true;
    }
}

/// <summary>A pending call whose result is a <typeparamref name="TResult"/>; awaited through <see cref="IValueTaskSource{TResult}"/>.</summary>
/// <remarks>
/// The caller's continuation never runs on the read loop (a continuation that made a synchronous call on the same
/// connection would wait for the loop it blocks): the outcome is stored and this object, as a thread-pool work item,
/// completes the awaiter from the pool, without allocating.
/// </remarks>
internal sealed class PendingCall<TResult> : PendingCall, IValueTaskSource<TResult>, IThreadPoolWorkItem
{
    private const int MaxPooled = 256;
    private static readonly ConcurrentQueue<PendingCall<TResult>> s_pool = new();
    private static int s_pooled;

    private static readonly Action<object?> s_onCancelled = static state =>
    {
        var (call, sequence) = ((PendingCall<TResult>, long))state!;
        call.OnCancelled(sequence);
    };

    private static readonly TimerCallback s_onDeadline = static state =>
    {
        var (call, sequence) = ((PendingCall<TResult>, long))state!;
        call.OnDeadline(sequence);
    };

    private ManualResetValueTaskSourceCore<TResult> _core;
    private CancellationTokenRegistration _cancellation;
    private ITimer? _deadline;
    private CancellationToken _token;
    private TResult? _result;
    private Exception? _error;

    private PendingCall()
    {
    }

    public ValueTask<TResult> Task => new(this, _core.Version);

    public static PendingCall<TResult> Rent(RemotingConnection owner, RemoteMethod method, string objectKey)
    {
        if (s_pool.TryDequeue(out var call))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            call = new PendingCall<TResult>();
        }

        call.Begin(owner, method, objectKey);
        return call;
    }

    /// <summary>Starts the caller's cancellation and the deadline timer; either fails the call and sends a cancel.</summary>
    /// <remarks>
    /// Called once the request is in the connection's output; the call may already have completed and been reused,
    /// which <paramref name="sequence"/> tells (the timers are then not started).
    /// </remarks>
    public void Watch(long sequence, TimeSpan? deadline, TimeProvider time, CancellationToken cancellationToken)
    {
        lock (this)
        {
            if (!IsWaiting(sequence))
            {
                return;
            }

            if (deadline is { } d)
            {
                _deadline = time.CreateTimer(s_onDeadline, (this, sequence), d, Timeout.InfiniteTimeSpan);
            }

            if (cancellationToken.CanBeCanceled)
            {
                _token = cancellationToken;
                _cancellation = cancellationToken.UnsafeRegister(s_onCancelled, (this, sequence));
            }
        }
    }

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IThreadPoolWorkItem.Execute()
    {
        if (_error is { } error)
        {
            _error = null;
            _core.SetException(error);
        }
        else
        {
            var result = _result!;
            _result = default;
            _core.SetResult(result);
        }
    }

    protected override void OnReply(in ReplyMessage reply)
    {
        if (reply.Status != RemotingStatus.Ok)
        {
            var error = ReplyErrors.ToException(reply);
            SetFailure(error, Owner.Rethrower?.Rethrow(error), Owner.InlineContinuations);
            return;
        }

        try
        {
            _result = typeof(TResult) == typeof(NoResult) ? default : StreamCache.ReadResult<TResult>(Owner.Marshaller, reply.Result, Owner);
        }
        catch (MarshallingException e)
        {
            SetFailure(new RemotingException(RemotingStatus.Internal, CompletionStatus.Yes, $"The method ran, but its result could not be unmarshalled as {typeof(TResult)}: {e.Message}", e), null, Owner.InlineContinuations);
            return;
        }

        Finish(RemotingStatus.Ok, null);
        Deliver(Owner.InlineContinuations);
    }

    protected override void SetFailure(RemotingException error) => SetFailure(error, null, inline: false);

    private void SetFailure(RemotingException error, Exception? thrown, bool inline)
    {
        Finish(error.Status, error.Message);
        _error = thrown ?? error;
        Deliver(inline);
    }

    // Inline only from the read loop, and only when the client asked for it.
    private void Deliver(bool inline)
    {
        if (inline)
        {
            // Marks the thread as this connection's read loop while the caller's code runs on it, so a synchronous
            // remote call from that code is refused instead of waiting for the loop it blocks.
            var owner = Owner;
            var outer = ReadLoopThread.Current;
            ReadLoopThread.Current = owner;
            try
            {
                ((IThreadPoolWorkItem)this).Execute();
            }
            finally
            {
                ReadLoopThread.Current = outer;
            }
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    protected override void ReleaseTimers()
    {
        lock (this) // against a Watch starting them meanwhile
        {
            if (_deadline is { } timer)
            {
                _deadline = null;
                timer.Dispose();
            }

            _cancellation.Unregister();
            _cancellation = default;
        }
    }

    private void Recycle()
    {
        _core.Reset();
        _token = default;
        Clear();
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }

    private void OnCancelled(long sequence)
    {
        var owner = Owner;
        var (id, sent, name) = (RequestId, Sent, Method?.DisplayName);
        if (TryFail(sequence, new RemotingException(RemotingStatus.Cancelled, sent ? CompletionStatus.Maybe : CompletionStatus.No, $"The call to {name} was cancelled by the caller.", new OperationCanceledException(_token))))
        {
            owner.Abandon(id, sent);
        }
    }

    private void OnDeadline(long sequence)
    {
        var owner = Owner;
        var (id, sent, name) = (RequestId, Sent, Method?.DisplayName);
        if (TryFail(sequence, new RemotingException(RemotingStatus.DeadlineExceeded, sent ? CompletionStatus.Maybe : CompletionStatus.No, $"The call to {name} passed its deadline.")))
        {
            owner.Abandon(id, sent);
        }
    }
}

/// <summary>Turns an error reply into the exception the caller sees.</summary>
internal static class ReplyErrors
{
    public static RemotingException ToException(in ReplyMessage reply)
    {
        var message = string.IsNullOrEmpty(reply.ErrorMessage) ? $"The remote call failed with {reply.Status}." : reply.ErrorMessage;
        if (reply.Status == RemotingStatus.ApplicationException && !string.IsNullOrEmpty(reply.ErrorTypeName))
        {
            message = $"{reply.ErrorTypeName}: {message}";
        }

        return new RemotingException(reply.Status, reply.Completion, message)
        {
            RemoteTypeName = string.IsNullOrEmpty(reply.ErrorTypeName) ? null : reply.ErrorTypeName,
            RemoteStackText = string.IsNullOrEmpty(reply.StackText) ? null : reply.StackText,
            RemoteMessage = reply.Status == RemotingStatus.ApplicationException ? reply.ErrorMessage ?? string.Empty : null,
        };
    }
}

/// <summary>Which connection's read loop, if any, is running a caller's code on this thread (InlineContinuations).</summary>
internal static class ReadLoopThread
{
    /// <summary>The connection (a <c>RemotingConnection</c>) whose read loop is handling a message on this thread, or <see langword="null"/>.</summary>
    [ThreadStatic]
    internal static object? Current;
}
