using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal;

/// <summary>A call this side sent and awaits the reply of, in its connection's table by request id.</summary>
internal abstract class PendingCall
{
    private int _done;

    protected PendingCall(RemotingConnection owner, RemoteMethod method, string objectKey)
    {
        Owner = owner;
        Method = method;
        ObjectKey = objectKey;
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    public RemotingConnection Owner { get; }

    public RemoteMethod Method { get; }

    public string ObjectKey { get; }

    public uint RequestId { get; set; }

    /// <summary>Whether the request was handed to the transport (so the server may have run it).</summary>
    public bool Sent { get; set; }

    public long StartTimestamp { get; }

    public Activity? Activity { get; set; }

    public bool MetricsOn { get; set; }

    /// <summary>Completes the call from its reply (on the read loop, while the reply's bytes are valid).</summary>
    public void Complete(in ReplyMessage reply, IMarshaller marshaller)
    {
        if (TryClaim())
        {
            OnReply(reply, marshaller);
        }
    }

    /// <summary>Fails the call unless it already completed.</summary>
    public bool TryFail(RemotingException error)
    {
        if (!TryClaim())
        {
            return false;
        }

        SetFailure(error);
        return true;
    }

    protected abstract void OnReply(in ReplyMessage reply, IMarshaller marshaller);

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

    private bool TryClaim()
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return false;
        }

        ReleaseTimers();
        return true;
    }
}

/// <summary>A pending call whose result is a <typeparamref name="TResult"/>; awaited through <see cref="IValueTaskSource{TResult}"/>.</summary>
internal sealed class PendingCall<TResult> : PendingCall, IValueTaskSource<TResult>
{
    private static readonly Action<object?> s_onCancelled = static state => ((PendingCall<TResult>)state!).OnCancelled();
    private static readonly TimerCallback s_onDeadline = static state => ((PendingCall<TResult>)state!).OnDeadline();

    private ManualResetValueTaskSourceCore<TResult> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private ITimer? _deadline;
    private CancellationToken _token;

    public PendingCall(RemotingConnection owner, RemoteMethod method, string objectKey)
        : base(owner, method, objectKey)
    {
    }

    public ValueTask<TResult> Task => new(this, _core.Version);

    /// <summary>Starts the caller's cancellation and the deadline timer; either fails the call and sends a cancel.</summary>
    public void Watch(TimeSpan? deadline, TimeProvider time, CancellationToken cancellationToken)
    {
        if (deadline is { } d)
        {
            _deadline = time.CreateTimer(s_onDeadline, this, d, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            _token = cancellationToken;
            _cancellation = cancellationToken.UnsafeRegister(s_onCancelled, this);
        }
    }

    public TResult GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    protected override void OnReply(in ReplyMessage reply, IMarshaller marshaller)
    {
        if (reply.Status != RemotingStatus.Ok)
        {
            var error = ReplyErrors.ToException(reply);
            Finish(error.Status, error.Message);
            _core.SetException(error);
            return;
        }

        TResult result;
        try
        {
            result = typeof(TResult) == typeof(NoResult) ? default! : marshaller.Unmarshal<TResult>(reply.Result);
        }
        catch (MarshallingException e)
        {
            var error = new RemotingException(RemotingStatus.Internal, CompletionStatus.Yes, $"The method ran, but its result could not be unmarshalled as {typeof(TResult)}: {e.Message}", e);
            Finish(error.Status, error.Message);
            _core.SetException(error);
            return;
        }

        Finish(RemotingStatus.Ok, null);
        _core.SetResult(result);
    }

    protected override void SetFailure(RemotingException error)
    {
        Finish(error.Status, error.Message);
        _core.SetException(error);
    }

    protected override void ReleaseTimers()
    {
        _deadline?.Dispose();
        _cancellation.Unregister();
    }

    // Watch runs once the request is committed to the connection (registered, its send starting), so when the token or
    // the deadline fires the request may be on its way even though Sent is not yet set (a large request still being
    // written, a send waiting for room): the method may run, so the completion is maybe. A call cancelled before it
    // was committed fails earlier, with completion no (RemotingConnection.CallAsync).
    private void OnCancelled()
    {
        const CompletionStatus completion = CompletionStatus.Maybe;
        if (TryFail(new RemotingException(RemotingStatus.Cancelled, completion, $"The call to {Method.DisplayName} was cancelled by the caller.", new OperationCanceledException(_token))))
        {
            AbandonQuietly();
        }
    }

    // Runs in a timer callback or inside the caller's CancellationTokenSource.Cancel: nothing may escape from here (a
    // connection closed by its peer, before the read loop noticed, makes the cancel message's send throw at once).
    private void AbandonQuietly()
    {
        try
        {
            Owner.Abandon(this);
        }
        catch (Exception e) when (e is OceanException or ObjectDisposedException)
        {
            // the connection is closing: its read loop logs that, and the server cancels the call when it sees the close
        }
    }

    private void OnDeadline()
    {
        const CompletionStatus completion = CompletionStatus.Maybe;
        if (TryFail(new RemotingException(RemotingStatus.DeadlineExceeded, completion, $"The call to {Method.DisplayName} passed its deadline.")))
        {
            AbandonQuietly();
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
        };
    }
}
