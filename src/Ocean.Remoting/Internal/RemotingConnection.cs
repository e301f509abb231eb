using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Internal.Leases;
using Ocean.Remoting.Protocol;
using Ocean.Transport;

namespace Ocean.Remoting.Internal;

/// <summary>
/// One open remoting connection, after the handshake: both a caller (its pending calls by request id) and, where the
/// side exports objects, a dispatcher. One read loop per connection completes replies, queues requests to the thread
/// pool and never waits for a method or a dispatch slot; sends go straight into the frame from any thread.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class RemotingConnection : IAsyncDisposable, IRemoteCaller, IServerCallHost
{
    private readonly MessageConnection _connection;
    private readonly ConnectionSettings _settings;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, PendingCall> _pending = [];
    private readonly Dictionary<uint, ServerCall> _running = [];

    /// <summary>
    /// How many calls on the built-in lease service may run at once on a connection, besides the announced limit: lease
    /// bookkeeping (a dirty sent the moment a peer makes a proxy) must not take the slot of the call it came with, so a
    /// side allowing one call at a time still runs that call.
    /// </summary>
    internal const int LeaseCallAllowance = 4;

    private int _runningLeaseCalls;
    private readonly Stack<ServerCall> _idleCalls = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _lastRequestId;
    private bool _isClosed;
    private volatile bool _draining;
    private volatile bool _peerGoingAway;
    private Task? _readLoop;
    private ITimer? _pingTimer;
    private long _lastReceived;
    private long _pingSentAt;
    private readonly long _sendLimit;

    public RemotingConnection(MessageConnection connection, ConnectionSettings settings, Preamble peer, X509Certificate2? clientCertificate = null, bool framedHere = false)
    {
        _connection = connection;
        // A connection framed here has both limits in its codec; one a user supplied (the in-memory pair) is checked here.
        _sendLimit = framedHere ? 0 : Math.Min((long)peer.MaxFrameLength, int.MaxValue);
        _settings = settings;
        Peer = peer;
        ClientCertificate = clientCertificate;
        ServerInterceptors = settings.ServerInterceptors;
    }

    private static long s_connections;
    private DgcLeaseOwner? _leaseOwner;

    public string Id => _connection.Id;

    /// <summary>
    /// Who holds the provisional lease of an object this side wrote to this connection, until the peer's first dirty or
    /// clean arrives over it: unique among this process's connections.
    /// </summary>
    public string ProvisionalHolder { get; } = $"connection:{Interlocked.Increment(ref s_connections)}";

    /// <summary>How this side's lease renewer reaches the peer's lease service, for proxies bound to this connection.</summary>
    public DgcLeaseOwner LeaseOwner
    {
        get
        {
            var owner = Volatile.Read(ref _leaseOwner);
            if (owner is null)
            {
                owner = new DgcLeaseOwner(this, Marshaller, $"connection {Id} ({RemoteEndPoint})", static c => ((RemotingConnection)c).IsClosedForExports);
                owner = Interlocked.CompareExchange(ref _leaseOwner, owner, null) ?? owner;
            }

            return owner;
        }
    }

    public EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    public EndPoint? LocalEndPoint => _connection.LocalEndPoint;

    /// <summary>The side's objects (exports, references, proxies).</summary>
    public ObjectSpace Space => _settings.Space;

    /// <summary>Whether the connection has closed, so no object can be bound to it any more (read under the space's lock).</summary>
    public bool IsClosedForExports => Volatile.Read(ref _isClosed);

    public X509Certificate2? ClientCertificate { get; }

    public Preamble Peer { get; }

    public IMarshaller Marshaller => _settings.Marshaller;

    public ILogger Logger => _settings.Logger;

    public bool DetailedErrors => _settings.DetailedErrors;

    public ExceptionRethrower? Rethrower => _settings.Rethrower;

    public bool InlineContinuations => _settings.InlineContinuations;

    public IRemoteServerInterceptor[] ServerInterceptors { get; }

    RemotingConnection? IServerCallHost.Connection => this;

    /// <summary>Whether new calls may start on this connection: open, and the peer has not said go-away.</summary>
    public bool IsAcceptingCalls => !_peerGoingAway && !Volatile.Read(ref _isClosed);

    /// <summary>Completes when the connection has closed and every pending call has failed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>The number of calls from the peer running now.</summary>
    public int RunningCalls
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Invoked (on the thread pool) once the peer says go-away or the connection closes.</summary>
    public Action<RemotingConnection>? Retired { get; set; }

    public void Start()
    {
        Log.Opened(Logger, Id, Peer.MaxConcurrentCalls, Peer.MaxFrameLength);
        _lastReceived = _settings.TimeProvider.GetTimestamp();
        if (_settings.PingInterval != Timeout.InfiniteTimeSpan)
        {
            var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, Math.Min(_settings.PingInterval.Ticks, _settings.PingTimeout.Ticks) / 4));
            _pingTimer = _settings.TimeProvider.CreateTimer(static s => ((RemotingConnection)s!).OnPingTimer(), this, period, period);
        }

        _readLoop = Task.Run(ReadLoopAsync);
    }

    // ---------------------------------------------------------------- client side

    /// <summary>Sends a call and returns its pending result.</summary>
    // nested: the call is made by code handling a call from the peer on this connection (a callback calling back); it
    // still goes out after the peer said go-away, since the peer's call in flight waits for it.
    public ValueTask<TResult> CallAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, IReadOnlyList<KeyValuePair<string, string>>? metadata, TimeSpan? deadline, CancellationToken cancellationToken, bool nested = false)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException<TResult>(new RemotingException(RemotingStatus.Cancelled, CompletionStatus.No, $"The call to {method.DisplayName} was cancelled before it was sent.", new OperationCanceledException(cancellationToken)));
        }

        if (method.IsOneWay)
        {
            return SendOneWay(objectKey, method, args, metadata, nested);
        }

        var call = PendingCall<TResult>.Rent(this, method, objectKey);
        var sequence = call.Sequence;
        var task = call.Task;
        if (RemotingTelemetry.Source.HasListeners())
        {
            call.Activity = StartClientActivity(method, objectKey, ref metadata);
        }
        else if (Activity.Current is { } current)
        {
            AddTraceContext(current, ref metadata);
        }

        if (RemotingTelemetry.MetricsEnabled)
        {
            call.MetricsOn = true;
            RemotingTelemetry.Started(RemotingTelemetry.ClientSide, method.DisplayName);
        }

        lock (_lock)
        {
            if (_isClosed || (_peerGoingAway && !nested))
            {
                call.TryFail(sequence, new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, _isClosed ? "The connection is closed." : "The server is going away; the call was not sent."));
                return task;
            }

            call.RequestId = NextRequestId();
            _pending.Add(call.RequestId, call);
        }

        var deadlineMilliseconds = deadline is { } d ? (uint)Math.Clamp(Math.Ceiling(d.TotalMilliseconds), 1, uint.MaxValue) : 0u;

        // From here the server may run it (set before sending: the call may complete, and be reused, before SendAsync
        // returns). The deadline and the caller's token are watched only once the request's frame is in the
        // connection's output, so a cancel message they send always follows the request.
        ValueTask send;
        call.Sent = true;
        try
        {
            send = _connection.SendAsync(
                (Call: call, Args: args, Metadata: metadata, Deadline: deadlineMilliseconds, Settings: _settings, Flags: nested ? RequestFlags.Nested : RequestFlags.None),
                static (s, output) =>
                {
                    if (s.Call.Owner._sendLimit > 0)
                    {
                        output = new SizeCheckedWriter(output, s.Call.Owner._sendLimit);
                    }

                    MessageEncoder.WriteRequestHeader(output, s.Call.RequestId, s.Flags, s.Call.Method.Id, s.Deadline, s.Call.ObjectKey, s.Metadata, s.Settings.Limits);
                    var writer = StreamCache.RentWriter(s.Settings.Marshaller, output, s.Call.Owner);
                    try
                    {
                        s.Call.Method.WriteArguments(writer, s.Args);
                    }
                    finally
                    {
                        StreamCache.Return(writer);
                    }
                },
                CancellationToken.None); // the caller's token cancels the call (a cancel message), never half a frame
        }
        catch (Exception e)
        {
            FailUnsent(call, sequence, e);
            return task;
        }

        if (deadline is not null || cancellationToken.CanBeCanceled)
        {
            call.Watch(sequence, deadline, _settings.TimeProvider, cancellationToken);
        }

        return send.IsCompletedSuccessfully ? task : AwaitSend(send, call, sequence, task);
    }

    // Under _lock.
    private uint NextRequestId()
    {
        do
        {
            _lastRequestId++;
        }
        while (_lastRequestId == 0 || _pending.ContainsKey(_lastRequestId));

        return _lastRequestId;
    }

    // A one-way call: no pending entry, no reply; done once the request is in the connection's output.
    private ValueTask<TResult> SendOneWay<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, IReadOnlyList<KeyValuePair<string, string>>? metadata, bool nested)
    {
        uint requestId;
        lock (_lock)
        {
            if (_isClosed || (_peerGoingAway && !nested))
            {
                return ValueTask.FromException<TResult>(new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, _isClosed ? "The connection is closed." : "The server is going away; the call was not sent."));
            }

            requestId = NextRequestId();
        }

        if (Activity.Current is { } current)
        {
            AddTraceContext(current, ref metadata);
        }

        ValueTask send;
        try
        {
            send = _connection.SendAsync(
                (Owner: this, Id: requestId, Method: method, Key: objectKey, Args: args, Metadata: metadata, Flags: RequestFlags.OneWay | (nested ? RequestFlags.Nested : RequestFlags.None)),
                static (s, output) =>
                {
                    if (s.Owner._sendLimit > 0)
                    {
                        output = new SizeCheckedWriter(output, s.Owner._sendLimit);
                    }

                    MessageEncoder.WriteRequestHeader(output, s.Id, s.Flags, s.Method.Id, 0, s.Key, s.Metadata, s.Owner._settings.Limits);
                    var writer = StreamCache.RentWriter(s.Owner.Marshaller, output, s.Owner);
                    try
                    {
                        s.Method.WriteArguments(writer, s.Args);
                    }
                    finally
                    {
                        StreamCache.Return(writer);
                    }
                },
                CancellationToken.None);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<TResult>(UnsentError(method.DisplayName, e));
        }

        return send.IsCompletedSuccessfully ? default : AwaitOneWay(send, method.DisplayName);

        static async ValueTask<TResult> AwaitOneWay(ValueTask send, string name)
        {
            try
            {
                await send.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.Maybe, $"The one-way request for {name} may have been sent, but the connection failed while sending it: {e.Message}", e);
            }

            return default!;
        }
    }

    /// <summary>A pending call gave up (its caller cancelled, its deadline passed): forget it and tell the server.</summary>
    public void Abandon(uint requestId, bool sent)
    {
        bool wasPending;
        lock (_lock)
        {
            wasPending = _pending.Remove(requestId);
        }

        if (wasPending && sent)
        {
            FireSend(requestId, static (id, output) => MessageEncoder.WriteCancel(output, id));
        }
    }

    private async ValueTask<TResult> AwaitSend<TResult>(ValueTask send, PendingCall call, long sequence, ValueTask<TResult> task)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The frame was whole in the pipe and the flush failed: some or all of it may have left.
            var method = call.Method?.DisplayName;
            lock (_lock)
            {
                if (_pending.TryGetValue(call.RequestId, out var registered) && ReferenceEquals(registered, call) && registered.Sequence == sequence)
                {
                    _pending.Remove(call.RequestId);
                }
            }

            call.TryFail(sequence, new RemotingException(RemotingStatus.Unavailable, CompletionStatus.Maybe, $"The request for {method} may have been sent, but the connection failed while sending it: {e.Message}", e));
        }

        return await task.ConfigureAwait(false);
    }

    private void FailUnsent(PendingCall call, long sequence, Exception e)
    {
        var method = call.Method?.DisplayName;
        lock (_lock)
        {
            if (_pending.TryGetValue(call.RequestId, out var registered) && ReferenceEquals(registered, call) && registered.Sequence == sequence)
            {
                _pending.Remove(call.RequestId);
            }
        }

        call.TryFail(sequence, UnsentError(method, e));
    }

    /// <summary>The error of a request that could not be written or sent (nothing left): completion no.</summary>
    public static RemotingException UnsentError(string? method, Exception e) =>
        e switch
        {
            RemotingException r => r,
            MarshallingException or NotSupportedException or InvalidCastException => new RemotingException(RemotingStatus.BadArguments, CompletionStatus.No, $"The arguments of {method} could not be marshalled: {e.Message}", e),
            ArgumentException => new RemotingException(RemotingStatus.BadArguments, CompletionStatus.No, $"The request for {method} could not be written: {e.Message}", e),
            FramingException => new RemotingException(RemotingStatus.BadArguments, CompletionStatus.No, $"The request for {method} is larger than the server accepts: {e.Message}", e),
            OperationCanceledException => new RemotingException(RemotingStatus.Cancelled, CompletionStatus.No, "The call was cancelled before it was sent.", e),
            _ => new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, $"The request could not be sent: {e.Message}", e),
        };

    private static Activity? StartClientActivity(RemoteMethod method, string objectKey, ref IReadOnlyList<KeyValuePair<string, string>>? metadata)
    {
        var activity = RemotingTelemetry.Source.StartActivity(method.DisplayName, ActivityKind.Client);
        if (activity is null)
        {
            if (Activity.Current is { } current)
            {
                AddTraceContext(current, ref metadata);
            }

            return null;
        }

        activity.SetTag("rpc.system", "ocean");
        activity.SetTag("rpc.service", method.Method.DeclaringType!.FullName);
        activity.SetTag("rpc.method", method.Method.Name);
        activity.SetTag("rpc.ocean.object", objectKey);
        AddTraceContext(activity, ref metadata);
        return activity;
    }

    internal static void AddTraceContext(Activity activity, ref IReadOnlyList<KeyValuePair<string, string>>? metadata)
    {
        if (activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } id)
        {
            return;
        }

        var list = new List<KeyValuePair<string, string>>((metadata?.Count ?? 0) + 2);
        if (metadata is not null)
        {
            foreach (var entry in metadata)
            {
                if (entry.Key is not (RemotingTelemetry.TraceParent or RemotingTelemetry.TraceState))
                {
                    list.Add(entry);
                }
            }
        }

        list.Add(new(RemotingTelemetry.TraceParent, id));
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            list.Add(new(RemotingTelemetry.TraceState, activity.TraceStateString));
        }

        metadata = list;
    }

    // Calls on a proxy bound to this connection (an object of the peer passed by reference): the scope's deadline and
    // metadata apply, as on a client.
    ValueTask<TResult> IRemoteCaller.CallAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, CancellationToken cancellationToken)
    {
        var scope = RemoteCallScope.Current;
        var deadline = scope?.Deadline ?? method.Deadline ?? _settings.DefaultDeadline;
        var metadata = scope is { Metadata.Count: > 0 } ? scope.Metadata : null;
        return CallAsync(objectKey, method, args, metadata, deadline, cancellationToken, nested: ReferenceEquals(RemoteCallContext.CurrentConnection, this));
    }

    string IRemoteCaller.Describe() => $"connection {Id} ({RemoteEndPoint})";

    // ---------------------------------------------------------------- server side

    /// <summary>Stops taking new calls: tells the peer go-away; calls in flight go on.</summary>
    public void BeginDrain(string message)
    {
        if (_draining)
        {
            return;
        }

        _draining = true;
        lock (_lock)
        {
            if (_running.Count == 0)
            {
                _idle.TrySetResult();
            }
        }

        FireSend((Message: message, _settings.Limits), static (s, output) => MessageEncoder.WriteGoAway(output, RemotingStatus.Unavailable, s.Message, s.Limits));
    }

    /// <summary>Completes once draining and no call from the peer is running.</summary>
    public Task WhenIdleAsync() => _idle.Task;

    /// <summary>Cancels the token of every call still running (the server stops for good).</summary>
    public void CancelRunningCalls()
    {
        lock (_lock)
        {
            foreach (var call in _running.Values)
            {
                call.CancelForShutdown();
            }
        }
    }

    /// <summary>Sends an Ok reply; <paramref name="call"/>'s slot is freed once the frame is in the output, before it can reach the caller.</summary>
    public ValueTask SendReplyAsync<TResult>(ServerCall call, TResult result) =>
        _connection.SendAsync((Call: call, Result: result, Connection: this), static (s, output) =>
        {
            var connection = s.Connection;
            if (connection._sendLimit > 0)
            {
                output = new SizeCheckedWriter(output, connection._sendLimit);
            }

            MessageEncoder.WriteReplyOkHeader(output, s.Call.RequestId);
            if (typeof(TResult) != typeof(NoResult))
            {
                var writer = StreamCache.RentWriter(connection.Marshaller, output, connection);
                try
                {
                    writer.Write(s.Result);
                }
                finally
                {
                    StreamCache.Return(writer);
                }
            }

            connection.ReleaseSlot(s.Call);
        });

    ValueTask IServerCallHost.SendErrorAsync(ServerCall call, RemotingStatus status, CompletionStatus completion, string? typeName, string message, string? stackText) =>
        SendErrorAsync(call.RequestId, status, completion, typeName, message, stackText, call);

    /// <summary>Sends an error reply; <paramref name="call"/>'s slot, if any, is freed once the frame is in the output.</summary>
    public async ValueTask SendErrorAsync(uint requestId, RemotingStatus status, CompletionStatus completion, string? typeName, string message, string? stackText, ServerCall? call = null)
    {
        try
        {
            await _connection.SendAsync(
                (Id: requestId, Status: status, Completion: completion, Type: typeName, Message: message, Stack: stackText, _settings.Limits, Call: call, Connection: this),
                static (s, output) =>
                {
                    MessageEncoder.WriteReplyError(output, s.Id, s.Status, s.Completion, s.Type, s.Message, s.Stack, s.Limits);
                    if (s.Call is not null)
                    {
                        s.Connection.ReleaseSlot(s.Call);
                    }
                }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConnectionAbortedException or FramingException or ArgumentException or ObjectDisposedException)
        {
            Log.ReplyNotSent(Logger, Id, e);
        }
    }

    /// <summary>
    /// The call's reply is handed to the connection: its slot is free for the caller's next request (which may follow the
    /// reply at once), though the call object goes back to the pool only when <see cref="CallFinished"/> runs.
    /// </summary>
    public void ReleaseSlot(ServerCall call)
    {
        lock (_lock)
        {
            RemoveRunning(call);
        }
    }

    // Only this call's entry: once its slot is freed, a peer may reuse the request id for a new call.
    private void RemoveRunning(ServerCall call)
    {
        if (_running.TryGetValue(call.RequestId, out var running) && ReferenceEquals(running, call))
        {
            _running.Remove(call.RequestId);
            if (ReferenceEquals(call.Target, Space.LeaseService))
            {
                _runningLeaseCalls--;
            }

            if (_draining && _running.Count == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    public void CallFinished(ServerCall call)
    {
        lock (_lock)
        {
            RemoveRunning(call);
            if (!_isClosed && _idleCalls.Count < _settings.MaxConcurrentCalls)
            {
                _idleCalls.Push(call);
            }
            else
            {
                call.Dispose();
            }

            if (_draining && _running.Count == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    private void OnRequest(in ReadOnlySequence<byte> message)
    {
        var request = MessageDecoder.ReadRequest(message, _settings.Limits);
        var oneWay = (request.Flags & RequestFlags.OneWay) != 0;
        if (_draining && !((request.Flags & RequestFlags.Nested) != 0 && RunningCalls > 0))
        {
            Reply(request.RequestId, oneWay, RemotingStatus.Unavailable, "The server is stopping; the call was not run.");
            return;
        }

        var key = request.ObjectKey;
        Span<byte> copy = stackalloc byte[255];
        var keyBytes = key.IsSingleSegment ? key.FirstSpan : copy[..(int)key.Length]; // a key is at most 255 bytes
        if (!key.IsSingleSegment)
        {
            key.CopyTo(copy);
        }

        if (!Space.TryFind(keyBytes, this, out var exported, out var unknown))
        {
            Reply(request.RequestId, oneWay, RemotingStatus.UnknownObject, unknown!);
            return;
        }

        if (!exported.Interface.TryGetMethod(request.MethodId, out var method))
        {
            Reply(request.RequestId, oneWay, RemotingStatus.UnknownMethod, $"'{exported.Name}' ({exported.Interface.InterfaceType.Name}) has no method with id 0x{request.MethodId:X16}: the client's interface differs from the server's.");
            return;
        }

        ServerCall call;
        var leaseCall = ReferenceEquals(exported.Target, Space.LeaseService);
        lock (_lock)
        {
            if (leaseCall ? _runningLeaseCalls >= LeaseCallAllowance : _running.Count - _runningLeaseCalls >= _settings.MaxConcurrentCalls)
            {
                call = null!;
            }
            else if (_running.ContainsKey(request.RequestId))
            {
                throw new RemotingProtocolException(RemotingProtocolError.Malformed, CompletionStatus.No, $"Request id {request.RequestId} is already in use by a running call.");
            }
            else
            {
                call = _idleCalls.TryPop(out var idle) ? idle : new ServerCall(this, _settings.TimeProvider);
                call.Start(exported, method, request, Id, RemoteEndPoint, ClientCertificate);
                _running.Add(request.RequestId, call);
                if (leaseCall)
                {
                    _runningLeaseCalls++;
                }
            }
        }

        if (call is null)
        {
            Reply(request.RequestId, oneWay, RemotingStatus.Busy, leaseCall
                ? $"This side runs its limit of {LeaseCallAllowance} lease calls on this connection; the call was not run."
                : $"The server runs its limit of {_settings.MaxConcurrentCalls} calls on this connection; the call was not run.");
            return;
        }

        // An async method starts here, on the read loop, and runs until its first await: one that completes at once
        // replies inline, and replies to a pipelined batch leave in one write. A synchronous method may block, so it
        // always starts on the thread pool (as does every method with inline dispatch off).
        if (_settings.InlineDispatch && method.Shape is not (ReturnShape.Void or ReturnShape.Value))
        {
            call.RunInline();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(call, preferLocal: false);
        }
    }

    // An error found before the call starts; a one-way request gets no answer, so it is only logged.
    private void Reply(uint requestId, bool oneWay, RemotingStatus status, string message)
    {
        if (oneWay)
        {
            Log.OneWayNotRun(Logger, Id, status, message);
            return;
        }

        Fire(SendErrorAsync(requestId, status, CompletionStatus.No, null, message, null));
    }

    // ---------------------------------------------------------------- the read loop

    private async Task ReadLoopAsync()
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await _connection.ReceiveAsync().ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }

                if (_pingTimer is not null)
                {
                    Volatile.Write(ref _lastReceived, _settings.TimeProvider.GetTimestamp()); // only pings read it
                }
                var message = result.Message;
                if (message.Length > _settings.MaxFrameLength)
                {
                    throw new RemotingProtocolException(RemotingProtocolError.LimitExceeded, CompletionStatus.Maybe, $"A {message.Length}-byte message is larger than the {_settings.MaxFrameLength} bytes this side announced.");
                }

                // Marks the thread as a read loop while the message is handled: code run inline here (an async method
                // up to its first await, a caller's continuation) is refused a synchronous remote call, which would
                // wait for a reply this very loop has to read.
                ReadLoopThread.Current = this;
                try
                {
                    switch (MessageDecoder.ReadKind(message))
                    {
                        case MessageKind.Reply:
                            OnReply(message);
                            break;
                        case MessageKind.Request:
                            OnRequest(message);
                            break;
                        case MessageKind.Cancel:
                            OnCancel(MessageDecoder.ReadCancel(message));
                            break;
                        case MessageKind.Ping:
                            var payload = MessageDecoder.ReadPing(message);
                            FireSend(payload, static (p, output) => MessageEncoder.WritePing(output, p, pong: true));
                            break;
                        case MessageKind.Pong:
                            MessageDecoder.ReadPing(message, MessageKind.Pong);
                            Volatile.Write(ref _pingSentAt, 0);
                            break;
                        case MessageKind.GoAway:
                            var goAway = MessageDecoder.ReadGoAway(message, _settings.Limits);
                            Log.GoAwayReceived(Logger, Id, goAway.Reason, goAway.Message);
                            _peerGoingAway = true;
                            NotifyRetired();
                            break;
                    }
                }
                finally
                {
                    ReadLoopThread.Current = null;
                }
            }
        }
        catch (RemotingProtocolException e)
        {
            failure = e;
            Log.ProtocolError(Logger, Id, e.Message, e);
            try
            {
                await _connection.SendAsync((e.Message, _settings.Limits), static (s, output) => MessageEncoder.WriteGoAway(output, RemotingStatus.ProtocolError, s.Message, s.Limits)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // the connection is going anyway
            }
        }
        catch (FramingException e)
        {
            failure = e;
            Log.ProtocolError(Logger, Id, e.Message, e);
        }
        catch (Exception e) when (e is ConnectionAbortedException or OceanException or ObjectDisposedException or OperationCanceledException)
        {
            failure = e;
        }
        catch (Exception e)
        {
            // Anything else thrown while handling a message (a marshaller failing in an unexpected way, a bug) still
            // closes the connection and fails its calls: a read loop that died silently would leave them hanging.
            failure = e;
            Log.ProtocolError(Logger, Id, e.Message, e);
        }

        await ShutDownAsync(failure).ConfigureAwait(false);
    }

    private void OnReply(in ReadOnlySequence<byte> message)
    {
        var reply = MessageDecoder.ReadReply(message, _settings.Limits);
        PendingCall? call;
        long sequence = 0;
        lock (_lock)
        {
            if (_pending.Remove(reply.RequestId, out call))
            {
                sequence = call.Sequence;
            }
        }

        if (call is null)
        {
            Log.UnknownReply(Logger, Id, reply.RequestId);
            return;
        }

        call.Complete(sequence, reply);
    }

    private void OnCancel(uint requestId)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(requestId, out var call))
            {
                call.CancelByClient();
            }
        }
    }

    private void OnPingTimer()
    {
        if (Volatile.Read(ref _isClosed))
        {
            return;
        }

        var time = _settings.TimeProvider;
        var now = time.GetTimestamp();
        var sentAt = Volatile.Read(ref _pingSentAt);
        if (sentAt != 0)
        {
            if (time.GetElapsedTime(sentAt, now) >= _settings.PingTimeout && time.GetElapsedTime(Volatile.Read(ref _lastReceived), now) >= _settings.PingTimeout)
            {
                Log.PingTimedOut(Logger, Id, _settings.PingTimeout);
                _connection.Abort(new RemotingException(RemotingStatus.Unavailable, CompletionStatus.Maybe, "The server did not answer a ping in time."));
            }

            return;
        }

        if (time.GetElapsedTime(Volatile.Read(ref _lastReceived), now) >= _settings.PingInterval)
        {
            Volatile.Write(ref _pingSentAt, now);
            FireSend((ulong)now, static (p, output) => MessageEncoder.WritePing(output, p));
        }
    }

    // ---------------------------------------------------------------- closing

    private async Task ShutDownAsync(Exception? failure)
    {
        (PendingCall Call, long Sequence, bool Sent, string? Method)[] pending;
        lock (_lock)
        {
            _isClosed = true;
            pending = [.. _pending.Values.Select(c => (c, c.Sequence, c.Sent, c.Method?.DisplayName))];
            _pending.Clear();
            foreach (var call in _running.Values)
            {
                call.CancelForShutdown();
            }

            while (_idleCalls.TryPop(out var idle))
            {
                idle.Dispose();
            }
        }

        _pingTimer?.Dispose();
        Space.ConnectionClosed(this);

        var reason = failure is null ? "the connection was closed" : $"the connection was lost ({failure.Message})";
        foreach (var (call, sequence, sent, method) in pending)
        {
            call.TryFail(sequence, new RemotingException(
                RemotingStatus.Unavailable,
                sent ? CompletionStatus.Maybe : CompletionStatus.No,
                sent ? $"The call to {method} was sent, but {reason} before its reply arrived; it may have run." : $"The call to {method} was not sent: {reason}.",
                failure));
        }

        Log.Closed(Logger, Id, pending.Length);
        NotifyRetired();
        _idle.TrySetResult();
        await _connection.DisposeAsync().ConfigureAwait(false);
        _closed.TrySetResult();
    }

    private void NotifyRetired()
    {
        if (Retired is { } retired)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Retired!(s), this, preferLocal: false);
        }
    }

    /// <summary>Closes the connection: pending calls fail (<see cref="CompletionStatus.Maybe"/> if sent).</summary>
    public async ValueTask CloseAsync()
    {
        _connection.Abort();
        if (_readLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
        else
        {
            await ShutDownAsync(null).ConfigureAwait(false);
        }
    }

    /// <summary>Closes gracefully: what is queued is sent, then the connection ends.</summary>
    public async ValueTask CloseGracefullyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _connection.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            _connection.Abort();
        }

        if (_readLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => CloseAsync();

    // A send nobody awaits (a cancel, a pong, a go-away, an error reply from the read loop): a closed connection,
    // whether it fails at once or later, is logged, never thrown into the read loop or a stopping server.
    private void FireSend<TState>(TState state, Action<TState, IBufferWriter<byte>> write)
    {
        ValueTask sending;
        try
        {
            sending = _connection.SendAsync(state, write, CancellationToken.None);
        }
        catch (Exception e) when (e is ConnectionAbortedException or FramingException or OceanException or ObjectDisposedException or OperationCanceledException)
        {
            Log.ReplyNotSent(Logger, Id, e);
            return;
        }

        Fire(sending);
    }

    private void Fire(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }

        _ = Observe(task, this);

        static async Task Observe(ValueTask task, RemotingConnection connection)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception e) when (e is ConnectionAbortedException or FramingException or OceanException or ObjectDisposedException or OperationCanceledException)
            {
                Log.ReplyNotSent(connection.Logger, connection.Id, e);
            }
        }
    }
}
