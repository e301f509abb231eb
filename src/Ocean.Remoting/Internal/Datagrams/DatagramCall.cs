using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Threading.Channels;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal.Datagrams;

/// <summary>A call sent over UDP and waiting: its datagram (kept for retransmission), its id and its timers.</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal abstract class DatagramCall(DatagramChannel channel, ulong requestId, RemoteMethod method, byte[] bytes, int length)
{
    protected DatagramChannel Channel { get; } = channel;

    protected RemoteMethod Method { get; } = method;

    public ulong RequestId { get; } = requestId;

    public byte[] Bytes { get; } = bytes;

    public int Length { get; } = length;

    /// <summary>Which token the datagram last went out with (a new welcome re-sends those with an older one).</summary>
    public int TokenVersion { get; set; }

    /// <summary>When the call's deadline passes (a timestamp), or 0.</summary>
    public long DeadlineTimestamp { get; protected init; }

    /// <summary>A reply for this call arrived (on the receive loop, its bytes valid now); <see langword="false"/> if the call no longer waits.</summary>
    /// <param name="reply">The reply.</param>
    /// <param name="source">Who sent it.</param>
    /// <param name="responder">The id of the server socket that answered (random per socket; members on one host share an address and port, not this).</param>
    public abstract bool OnReply(in ReplyMessage reply, EndPoint? source, TokenBytes responder);

    /// <summary>The channel closed.</summary>
    public abstract void Close(Exception? failure);

    /// <summary>Sends the datagram again now (a new token came).</summary>
    public abstract void ResendNow();

    /// <summary>Gives the datagram's buffer back (the call will not send again).</summary>
    public virtual void Release()
    {
    }
}

/// <summary>Marks group calls, which a welcome never re-sends.</summary>
internal interface IGroupCall;

/// <summary>A unicast call: retransmitted with a doubling interval until its reply, its deadline, its caller's cancellation or the attempt limit.</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class DatagramCall<TResult> : DatagramCall
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _started;
    private readonly long _startedAt;
    private TimeSpan _interval;
    private ITimer? _timer;
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private int _attempts;
    private bool _done;
    private int _released;

    /// <summary>Whether the call's start was counted in the metrics (so its end is too).</summary>
    public bool MetricsOn { get; set; }

    public DatagramCall(DatagramChannel channel, ulong requestId, RemoteMethod method, byte[] bytes, int length, TimeSpan interval, long deadlineTimestamp)
        : base(channel, requestId, method, bytes, length)
    {
        _interval = interval;
        DeadlineTimestamp = deadlineTimestamp;
        _started = channel.Time.GetTimestamp();
        _startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    public Task<TResult> Task => _completion.Task;

    /// <summary>Sends the first attempt and starts the timer and the caller's cancellation.</summary>
    public void Begin(CancellationToken cancellationToken)
    {
        lock (this)
        {
            _attempts = 1;
            _timer = Channel.Time.CreateTimer(static s => ((DatagramCall<TResult>)s!).OnTimer(), this, Due(), Timeout.InfiniteTimeSpan);
            Channel.Send(this, retransmission: false);
            if (cancellationToken.CanBeCanceled)
            {
                _token = cancellationToken;
                _registration = cancellationToken.UnsafeRegister(static s => ((DatagramCall<TResult>)s!).OnCancelled(), this);
            }
        }
    }

    private TimeSpan Due()
    {
        if (DeadlineTimestamp == 0)
        {
            return _interval;
        }

        var left = Channel.Time.GetElapsedTime(Channel.Time.GetTimestamp(), DeadlineTimestamp);
        return left < _interval ? TimeSpan.FromTicks(Math.Max(left.Ticks, TimeSpan.TicksPerMillisecond)) : _interval;
    }

    private void OnTimer()
    {
        lock (this)
        {
            if (_done)
            {
                return;
            }

            var time = Channel.Time;
            var now = time.GetTimestamp();
            if (DeadlineTimestamp != 0 && now >= DeadlineTimestamp)
            {
                Fail(new RemotingException(RemotingStatus.DeadlineExceeded, CompletionStatus.Maybe, $"The call to {Method.DisplayName} passed its deadline after {_attempts} attempts over UDP; it may have run."));
                return;
            }

            if (_attempts >= Channel.MaxAttempts)
            {
                Fail(new RemotingException(
                    RemotingStatus.Unavailable,
                    CompletionStatus.Maybe,
                    $"No reply from {Channel.Description} to {Method.DisplayName} after {_attempts} attempts over {time.GetElapsedTime(_started, now).TotalMilliseconds:F0} ms; the call may have run{(Method.Semantics == CallSemantics.AtLeastOnce ? " (perhaps more than once: it is idempotent)" : string.Empty)}."));
                return;
            }

            _attempts++;
            _interval = TimeSpan.FromTicks(Math.Min(_interval.Ticks * 2, Channel.MaxRetransmitInterval.Ticks));
            Channel.Send(this, retransmission: true);
            _timer!.Change(Due(), Timeout.InfiniteTimeSpan);
        }
    }

    public override void ResendNow()
    {
        lock (this)
        {
            if (!_done)
            {
                Channel.Send(this, retransmission: true);
            }
        }
    }

    public override bool OnReply(in ReplyMessage reply, EndPoint? source, TokenBytes responder)
    {
        if (!Claim(reply.Status))
        {
            return true; // a second copy of the reply: the call already has its outcome
        }

        if (reply.Status != RemotingStatus.Ok)
        {
            var error = ReplyErrors.ToException(reply);
            _completion.TrySetException(Channel.Rethrower?.Rethrow(error) ?? error);
            return true;
        }

        try
        {
            _completion.TrySetResult(Channel.ReadResult<TResult>(reply.Result));
        }
        catch (MarshallingException e)
        {
            _completion.TrySetException(new RemotingException(RemotingStatus.Internal, CompletionStatus.Yes, $"The method ran, but its result could not be unmarshalled as {typeof(TResult)}: {e.Message}", e));
        }

        return true;
    }

    public override void Close(Exception? failure)
    {
        if (Claim(RemotingStatus.Unavailable))
        {
            _completion.TrySetException(new RemotingException(RemotingStatus.Unavailable, CompletionStatus.Maybe, $"The client closed before the reply to {Method.DisplayName} arrived; it may have run.", failure));
        }
    }

    private void OnCancelled()
    {
        if (Claim(RemotingStatus.Cancelled))
        {
            _completion.TrySetException(new RemotingException(RemotingStatus.Cancelled, CompletionStatus.Maybe, $"The call to {Method.DisplayName} was cancelled by the caller; it may have run (the server is not told over UDP).", new OperationCanceledException(_token)));
        }
    }

    private void Fail(RemotingException error)
    {
        if (Claim(error.Status))
        {
            _completion.TrySetException(error);
        }
    }

    // Exactly one outcome: whoever claims the call stops its timer, forgets it and frees its buffer.
    private bool Claim(RemotingStatus status)
    {
        lock (this)
        {
            if (_done)
            {
                return false;
            }

            _done = true;
            _timer?.Dispose();
            _timer = null;
        }

        _registration.Unregister();
        Channel.Remove(this);
        Release();
        if (MetricsOn)
        {
            RemotingTelemetry.Finished(RemotingTelemetry.ClientSide, Method.DisplayName, status, _startedAt);
        }

        return true;
    }

    public override void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            ArrayPool<byte>.Shared.Return(Bytes);
        }
    }
}

/// <summary>A call sent once to a multicast group: every member's reply within the window is yielded, one per member.</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class GroupCall<TResult>(DatagramChannel channel, ulong requestId, RemoteMethod method, byte[] bytes, int length)
    : DatagramCall(channel, requestId, method, bytes, length), IGroupCall
{
    /// <summary>More replies than this to one group call are dropped (a group is not a flood).</summary>
    private const int MaxReplies = 1024;

    private readonly Channel<GroupReply<TResult>> _replies = System.Threading.Channels.Channel.CreateUnbounded<GroupReply<TResult>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    // A member's second copy of its reply (a duplicated request answered again from its reply cache, a duplicated
    // datagram) comes from the same address with the same responder id. The address alone does not tell members apart:
    // those on one host share the group's port, so their replies all come from one address and port.
    private readonly HashSet<(EndPoint From, TokenBytes Responder)> _seen = [];
    private ITimer? _timer;
    private CancellationTokenRegistration _registration;
    private bool _done;

    public ChannelReader<GroupReply<TResult>> Replies => _replies.Reader;

    public void Begin(TimeSpan window, CancellationToken cancellationToken)
    {
        lock (this)
        {
            _timer = Channel.Time.CreateTimer(static s => ((GroupCall<TResult>)s!).End(null), this, window, Timeout.InfiniteTimeSpan);
            Channel.Send(this, retransmission: false);
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (s, token) => ((GroupCall<TResult>)s!).End(new OperationCanceledException(token)), this);
            }
        }
    }

    public override bool OnReply(in ReplyMessage reply, EndPoint? source, TokenBytes responder)
    {
        source ??= new IPEndPoint(IPAddress.None, 0);
        lock (this)
        {
            if (_done)
            {
                return false;
            }

            if (!_seen.Add((source, responder)) || _seen.Count > MaxReplies)
            {
                return true; // a member's second copy
            }
        }

        GroupReply<TResult> answer;
        if (reply.Status != RemotingStatus.Ok)
        {
            answer = new GroupReply<TResult>(source, default!, ReplyErrors.ToException(reply));
        }
        else
        {
            try
            {
                answer = new GroupReply<TResult>(source, Channel.ReadResult<TResult>(reply.Result), null);
            }
            catch (MarshallingException e)
            {
                answer = new GroupReply<TResult>(source, default!, new RemotingException(RemotingStatus.Internal, CompletionStatus.Yes, $"The member ran the method, but its result could not be unmarshalled as {typeof(TResult)}: {e.Message}", e));
            }
        }

        _replies.Writer.TryWrite(answer);
        return true;
    }

    public override void Close(Exception? failure) => End(null);

    public override void ResendNow()
    {
    }

    private void End(Exception? error)
    {
        lock (this)
        {
            if (_done)
            {
                return;
            }

            _done = true;
            _timer?.Dispose();
        }

        _registration.Unregister();
        Channel.Remove(this);
        _replies.Writer.TryComplete(error);
    }
}
