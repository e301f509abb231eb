using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal;

/// <summary>How far a server call got: decides the completion status of its failure.</summary>
internal enum CallPhase
{
    /// <summary>Interceptors run; the arguments are not read.</summary>
    Accepted,

    /// <summary>The arguments are being read.</summary>
    ReadingArguments,

    /// <summary>The method runs.</summary>
    Running,

    /// <summary>The method returned; its result is being written.</summary>
    Replying,
}

/// <summary>
/// Where a <see cref="ServerCall"/> came from and where its outcome goes: a connection (TCP, TLS, Unix socket, message
/// connection) or a datagram endpoint (UDP, where each call has its own client and source).
/// </summary>
internal interface IServerCallHost
{
    IMarshaller Marshaller { get; }

    Microsoft.Extensions.Logging.ILogger Logger { get; }

    bool DetailedErrors { get; }

    IRemoteServerInterceptor[] ServerInterceptors { get; }

    /// <summary>The connection calls came on; <see langword="null"/> over UDP (no objects travel by reference there).</summary>
    RemotingConnection? Connection { get; }

    /// <summary>Sends an Ok reply.</summary>
    ValueTask SendReplyAsync<TResult>(ServerCall call, TResult result);

    /// <summary>Sends an error reply.</summary>
    ValueTask SendErrorAsync(ServerCall call, RemotingStatus status, CompletionStatus completion, string? typeName, string message, string? stackText);

    /// <summary>The call has ended (replied or not): its slot and object are free.</summary>
    void CallFinished(ServerCall call);
}

/// <summary>
/// One call a server runs: queued to the thread pool by the read loop (which never waits for it), with its own copy
/// of the arguments' bytes (pooled) and its own cancellation, which a cancel message, the deadline, the lost
/// connection or the server's stop trigger.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class ServerCall : IThreadPoolWorkItem, IServerInvocation, IDisposable
{
    private readonly IServerCallHost _owner;
    private readonly TimeProvider _time;
    private string _hostId = string.Empty;
    private System.Net.EndPoint? _peer;
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;
    private ExportedObject _exported = null!;
    private RemoteMethod _method = null!;
    private CancellationTokenSource _cancellation;
    private KeyValuePair<string, string>[] _metadata = [];
    private uint _deadlineMilliseconds;
    private byte[]? _buffer;
    private int _argumentsLength;
    private volatile bool _cancelledByClient;
    private volatile bool _stopping;
    private RemoteCallContext? _context;

    /// <summary>A call object for <paramref name="owner"/>'s pool; <see cref="Start"/> prepares each use.</summary>
    public ServerCall(IServerCallHost owner, TimeProvider time)
    {
        _owner = owner;
        _time = time;
        _cancellation = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    public uint RequestId { get; private set; }

    /// <summary>The connection the call came on; <see langword="null"/> over UDP.</summary>
    public RemotingConnection? Connection => _owner.Connection;

    /// <summary>The name under which the connection holds provisional leases (see <see cref="RemotingConnection.ProvisionalHolder"/>).</summary>
    public string? ProvisionalHolder => _owner.Connection?.ProvisionalHolder;

    /// <summary>Whether the request asked for no reply (<see cref="OneWayAttribute"/>): nothing is sent, whatever the outcome.</summary>
    public bool IsOneWay { get; private set; }

    /// <summary>What the host keeps with the call (over UDP: its client and cache entry).</summary>
    public object? HostState { get; set; }

    /// <summary>The method being run.</summary>
    public RemoteMethod Method => _method;

    public object Target => _exported.Target;

    public CancellationToken CancellationToken => _cancellation.Token;

    public DateTimeOffset? Deadline { get; private set; }

    /// <summary>The call's context, made on first use (by an interceptor or <see cref="RemoteCallContext.Current"/>).</summary>
    public RemoteCallContext Context => _context ??= new RemoteCallContext(
        _hostId, _peer, _certificate, _exported.Name, _method.Method, _method.Id, _method.CanonicalText, _metadata, Deadline, _cancellation.Token);

    /// <summary>Prepares this object for one request (under the host's lock, on its read loop).</summary>
    public void Start(ExportedObject exported, RemoteMethod method, in RequestMessage request, string hostId, System.Net.EndPoint? peer, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        _hostId = hostId;
        _peer = peer;
        _certificate = certificate;
        IsOneWay = (request.Flags & RequestFlags.OneWay) != 0;
        _exported = exported;
        _method = method;
        _context = null;
        RequestId = request.RequestId;
        Phase = CallPhase.Accepted;
        _cancelledByClient = false;
        _stopping = false;
        _deadlineMilliseconds = request.DeadlineMilliseconds;
        _metadata = request.Metadata.Count == 0 ? [] : request.Metadata.ToArray();

        // The message's bytes are the connection's until its next receive: keep a copy of the arguments.
        _argumentsLength = checked((int)request.Arguments.Length);
        if (_argumentsLength > 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(_argumentsLength);
            request.Arguments.CopyTo(_buffer);
        }

        if (!_cancellation.TryReset())
        {
            _cancellation.Dispose();
            _cancellation = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        }

        if (_deadlineMilliseconds == 0)
        {
            Deadline = null;
        }
        else
        {
            Deadline = _time.GetUtcNow().AddMilliseconds(_deadlineMilliseconds);
            _cancellation.CancelAfter(TimeSpan.FromMilliseconds(_deadlineMilliseconds));
        }
    }

    public CallPhase Phase { get; private set; }

    /// <summary>The caller sent a cancel for this call.</summary>
    public void CancelByClient()
    {
        _cancelledByClient = true;
        Cancel();
    }

    /// <summary>The connection is lost or the server stops for good: the method's token is cancelled.</summary>
    public void CancelForShutdown()
    {
        _stopping = true;
        Cancel();
    }

    public void ArgumentsRead(MarshallingReader reader)
    {
        if (!reader.IsAtEnd)
        {
            throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes follow the last argument.");
        }

        Phase = CallPhase.Running;
    }

    public MarshallingReader OpenArguments()
    {
        Phase = CallPhase.ReadingArguments;
        var bytes = _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, 0, _argumentsLength);
        return StreamCache.RentReader(_owner.Marshaller, bytes, _owner.Connection);
    }

    #pragma warning disable CA1822 // the pair of OpenArguments
    public void CloseArguments(MarshallingReader reader) => StreamCache.Return(reader);
#pragma warning restore CA1822

    public ValueTask SendResultAsync<TResult>(TResult result)
    {
        Phase = CallPhase.Replying;
        return IsOneWay ? default : _owner.SendReplyAsync(this, result);
    }

    #pragma warning disable CA2012 // RunAsync catches every failure and is awaited by nobody; its pooled box returns itself
    void IThreadPoolWorkItem.Execute() => _ = RunAsync();

    /// <summary>Runs the call on the current thread until its first await.</summary>
    public void RunInline() => _ = RunAsync();
#pragma warning restore CA2012

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAsync()
    {
        var metrics = RemotingTelemetry.MetricsEnabled;
        var start = metrics ? Stopwatch.GetTimestamp() : 0;
        var activity = RemotingTelemetry.Source.HasListeners() ? StartActivity() : null;
        if (metrics)
        {
            RemotingTelemetry.Started(RemotingTelemetry.ServerSide, _method.DisplayName);
        }

        var status = RemotingStatus.Ok;
        string? errorText = null;
        var holder = new CallHolder(this);
        RemoteCallContext.Enter(holder);
        try
        {
            var interceptors = _owner.ServerInterceptors;
            if (interceptors.Length == 0)
            {
                await _method.DispatchAsync(this).ConfigureAwait(false);
            }
            else
            {
                await Intercept(interceptors, 0, Context).ConfigureAwait(false);
                if (Phase == CallPhase.Accepted)
                {
                    // An interceptor returned without calling next and without throwing: the method did not run, and
                    // the caller must still get an answer.
                    throw new RemotingException(RemotingStatus.Internal, CompletionStatus.No, $"A server interceptor completed {_method.DisplayName} without calling next or refusing the call; the method did not run.");
                }
            }
        }
        catch (Exception e)
        {
            var (s, completion, typeName, message) = Classify(e);
            status = s;
            errorText = message;
            Log.CallFailed(_owner.Logger, _hostId, _method.DisplayName, _exported.Name, s, message);
            if (!IsOneWay)
            {
                await _owner.SendErrorAsync(this, s, completion, typeName, message, _owner.DetailedErrors && s == RemotingStatus.ApplicationException ? e.ToString() : null).ConfigureAwait(false);
            }
        }
        finally
        {
            holder.Call = null;
            if (_buffer is { } buffer)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (activity is not null)
            {
                activity.SetTag("rpc.ocean.status", status.ToString());
                if (status != RemotingStatus.Ok)
                {
                    activity.SetStatus(ActivityStatusCode.Error, errorText);
                }

                activity.Dispose();
            }

            if (metrics)
            {
                RemotingTelemetry.Finished(RemotingTelemetry.ServerSide, _method.DisplayName, status, start);
            }

            // Last: the connection may reuse this object for its next request from here on.
            _owner.CallFinished(this);
        }
    }

    private ValueTask Intercept(IRemoteServerInterceptor[] interceptors, int index, RemoteCallContext context) =>
        index == interceptors.Length
            ? Phase == CallPhase.Accepted
                ? _method.DispatchAsync(this)
                : ValueTask.FromException(new InvalidOperationException($"A server interceptor called next twice for {_method.DisplayName}; the method runs once per call."))
            : interceptors[index].InterceptAsync(context, c => Intercept(interceptors, index + 1, c));

    private (RemotingStatus Status, CompletionStatus Completion, string? TypeName, string Message) Classify(Exception e)
    {
        var ran = Phase is CallPhase.Running or CallPhase.Replying;
        if (e is OperationCanceledException && _cancellation.IsCancellationRequested)
        {
            var completion = ran ? CompletionStatus.Maybe : CompletionStatus.No;
            if (_cancelledByClient)
            {
                return (RemotingStatus.Cancelled, completion, null, "The call was cancelled by the caller.");
            }

            if (_stopping)
            {
                return (RemotingStatus.Unavailable, completion, null, "The server stopped before the call finished.");
            }

            return (RemotingStatus.DeadlineExceeded, completion, null, $"The call passed its deadline of {_deadlineMilliseconds} ms on the server.");
        }

        switch (Phase)
        {
            case CallPhase.Accepted:
                return e is RemotingException r
                    ? (r.Status == RemotingStatus.Ok ? RemotingStatus.Internal : r.Status, CompletionStatus.No, null, r.Message)
                    : (RemotingStatus.Internal, CompletionStatus.No, null, $"An interceptor failed: {e.GetType().FullName}: {e.Message}");
            case CallPhase.ReadingArguments:
                return (RemotingStatus.BadArguments, CompletionStatus.No, null, $"The arguments of {_method.DisplayName} could not be read: {e.Message}");
            case CallPhase.Replying when e is MarshallingException or FramingException:
                return (RemotingStatus.Internal, CompletionStatus.Yes, null, $"{_method.DisplayName} ran, but its result could not be sent: {e.Message}");
            default:
                return (RemotingStatus.ApplicationException, CompletionStatus.Yes, e.GetType().FullName, e.Message);
        }
    }

    private Activity? StartActivity()
    {
        string? parent = null;
        string? state = null;
        foreach (var (key, value) in _metadata)
        {
            if (key == RemotingTelemetry.TraceParent)
            {
                parent = value;
            }
            else if (key == RemotingTelemetry.TraceState)
            {
                state = value;
            }
        }

        ActivityContext.TryParse(parent, state, isRemote: true, out var parentContext);
        var activity = RemotingTelemetry.Source.StartActivity(_method.DisplayName, ActivityKind.Server, parentContext);
        if (activity is not null)
        {
            activity.SetTag("rpc.system", "ocean");
            activity.SetTag("rpc.service", _method.Method.DeclaringType!.FullName);
            activity.SetTag("rpc.method", _method.Method.Name);
            activity.SetTag("rpc.ocean.object", _exported.Name);
        }

        return activity;
    }

    // Called under the connection's lock, so never on an object already back in its pool.
    private void Cancel() =>
        _ = _cancellation.CancelAsync(); // the method's callbacks run on the thread pool, never on the read loop

    /// <summary>Releases the cancellation source when the connection drops its pool.</summary>
    public void Dispose() => _cancellation.Dispose();
}

/// <summary>What <see cref="RemoteCallContext.Current"/> reads: the running call, emptied when it ends.</summary>
internal sealed class CallHolder(ServerCall call)
{
    public ServerCall? Call { get; set; } = call;
}
