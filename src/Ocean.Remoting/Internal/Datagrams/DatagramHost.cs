using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.Extensions.Logging;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;
using Ocean.Transport;

namespace Ocean.Remoting.Internal.Datagrams;

/// <summary>What a datagram call carries besides its <see cref="ServerCall"/>: its client, cache entry and where to reply.</summary>
internal sealed class DatagramCallState(ClientState client, ClientKey key, ulong requestId, CacheEntry? entry, EndPoint replyTo, int budget)
{
    public ClientState Client { get; } = client;

    public ClientKey Key { get; } = key;

    public ulong RequestId { get; } = requestId;

    public CacheEntry? Entry { get; } = entry;

    public EndPoint ReplyTo { get; } = replyTo;

    /// <summary>The largest reply it may get: one datagram, or for a group request the request's own size.</summary>
    public int Budget { get; } = budget;
}

/// <summary>The limits of a server's UDP side.</summary>
/// <param name="MaxReplyCacheEntries">See <see cref="RemotingServerOptions.MaxReplyCacheEntries"/>.</param>
/// <param name="MaxReplyCacheBytes">See <see cref="RemotingServerOptions.MaxReplyCacheBytes"/>.</param>
/// <param name="ReplyCacheExpiry">See <see cref="RemotingServerOptions.ReplyCacheExpiry"/>.</param>
/// <param name="AcceptGroupCalls">Whether requests flagged as sent to a group are served (the server joined a group): they carry no token, so the flag must not let a spoofed source have a call run on a server that is no group member.</param>
internal sealed record DatagramHostOptions(int MaxReplyCacheEntries, long MaxReplyCacheBytes, TimeSpan ReplyCacheExpiry, bool AcceptGroupCalls);

/// <summary>
/// Serves remote calls over one unconnected UDP message connection: one request per datagram, replies to each datagram's
/// sender. Every datagram is checked before anything else is done: malformed ones are dropped and counted; a unicast
/// request must carry the token of its source address (else it gets a welcome holding one, never more bytes than it
/// sent); at-most-once calls go through the <see cref="ReplyCache"/>.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class DatagramHost : IServerCallHost, IAsyncDisposable
{
    /// <summary>A welcome: the envelope and the server's preamble. Every well-formed request is at least this long.</summary>
    private const int WelcomeLength = DatagramEnvelope.Length + Preamble.Length;

    private readonly MessageConnection _connection;
    private readonly ConnectionSettings _settings;
    private readonly ReplyCache _cache;
    private readonly TokenMinter _tokens = new();

    // Written in the token field of every reply: tells apart the replies of members on one host, which share an address
    // and port, so a group client keeps one reply per member, not per address.
    private readonly TokenBytes _responder = TokenBytes.Read(System.Security.Cryptography.RandomNumberGenerator.GetBytes(DatagramEnvelope.TokenLength));
    private readonly Lock _lock = new();
    private readonly Stack<ServerCall> _idleCalls = new();
    private readonly HashSet<ServerCall> _running = [];
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _sweeper;
    private readonly Func<bool> _stopping;
    private readonly bool _acceptGroupCalls;
    private Task? _loop;
    private volatile bool _draining;
    private long _received;
    private long _malformed;
    private long _unvalidated;
    private long _duplicates;
    private long _replayed;
    private long _busy;
    private long _calls;

    public DatagramHost(MessageConnection connection, ConnectionSettings settings, DatagramHostOptions options, Func<bool> stopping)
    {
        _connection = connection;
        _settings = settings;
        _stopping = stopping;
        _acceptGroupCalls = options.AcceptGroupCalls;
        var time = settings.TimeProvider;
        var expiry = (long)(options.ReplyCacheExpiry.TotalSeconds * time.TimestampFrequency);
        _cache = new ReplyCache(options.MaxReplyCacheEntries, options.MaxReplyCacheBytes, Math.Max(expiry, 1));
        var period = TimeSpan.FromTicks(Math.Max(options.ReplyCacheExpiry.Ticks / 4, TimeSpan.TicksPerMillisecond * 5));
        _sweeper = time.CreateTimer(static s => ((DatagramHost)s!).Sweep(), this, period, period);
    }

    public string Id => _connection.Id;

    public EndPoint? LocalEndPoint => _connection.LocalEndPoint;

    public IMarshaller Marshaller => _settings.Marshaller;

    public ILogger Logger => _settings.Logger;

    public bool DetailedErrors => _settings.DetailedErrors;

    public IRemoteServerInterceptor[] ServerInterceptors => _settings.ServerInterceptors;

    public RemotingConnection? Connection => null;

    /// <summary>Completes when the receive loop has ended (the connection closed).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    public DatagramServerStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new DatagramServerStatistics(
                    Interlocked.Read(ref _received), Interlocked.Read(ref _malformed), Interlocked.Read(ref _unvalidated), Interlocked.Read(ref _duplicates),
                    Interlocked.Read(ref _replayed), Interlocked.Read(ref _busy), Interlocked.Read(ref _calls), _cache.Entries, _cache.Bytes, _cache.Clients);
            }
        }
    }

    public void Start() => _loop = Task.Run(ReceiveLoopAsync);

    // ---------------------------------------------------------------- receiving

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                MessageReceiveResult result;
                try
                {
                    result = await _connection.ReceiveAsync().ConfigureAwait(false);
                }
                catch (System.Net.Sockets.SocketException e) when (IsTransient(e))
                {
                    // An ICMP error for an earlier datagram (nobody listening there now, unreachable): the socket
                    // still works, and the call it concerned is retransmitted or given up on its own timer.
                    continue;
                }

                if (result.IsCompleted)
                {
                    break;
                }

                if (result.IsCanceled)
                {
                    continue;
                }

                Interlocked.Increment(ref _received);

                // Marks the thread as a read loop while the datagram is handled: an async method started inline here
                // is refused a synchronous remote call, which would block the loop.
                ReadLoopThread.Current = this;
                try
                {
                    OnDatagram(result.Message, result.RemoteEndPoint);
                }
                catch (RemotingProtocolException e)
                {
                    Drop(result.RemoteEndPoint, e.Message);
                }
                finally
                {
                    ReadLoopThread.Current = null;
                }
            }
        }
        catch (Exception e) when (e is ConnectionAbortedException or OceanException or ObjectDisposedException or OperationCanceledException)
        {
            // closed
        }
        catch (Exception e)
        {
            Log.ProtocolError(Logger, Id, e.Message, e);
        }
        finally
        {
            CancelRunningCalls();
        }
    }

    internal static bool IsTransient(System.Net.Sockets.SocketException e) =>
        e.SocketErrorCode is System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.ConnectionReset
            or System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable or System.Net.Sockets.SocketError.HostDown
            or System.Net.Sockets.SocketError.NetworkDown or System.Net.Sockets.SocketError.MessageSize;

    private void Drop(EndPoint? source, string reason)
    {
        Interlocked.Increment(ref _malformed);
        RemotingTelemetry.Dropped("malformed");
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            Log.DatagramDropped(Logger, Id, source?.ToString() ?? "?", reason);
        }
    }

    private void OnDatagram(in ReadOnlySequence<byte> datagram, EndPoint? source)
    {
        if (source is null)
        {
            Drop(null, "no source address");
            return;
        }

        if (!DatagramEnvelope.TryRead(datagram, out var envelope, out var token, out var body, out var reason))
        {
            Drop(source, reason!);
            return;
        }

        switch (envelope.Kind)
        {
            case DatagramKind.Hello:
                OnHello(envelope, body, source, (int)datagram.Length);
                break;
            case DatagramKind.Request:
                OnRequest(envelope, token, body, source, (int)datagram.Length);
                break;
            default:
                Drop(source, $"a {envelope.Kind} sent to a server");
                break;
        }
    }

    private void OnHello(in DatagramEnvelope envelope, in ReadOnlySequence<byte> body, EndPoint source, int length)
    {
        if (length < WelcomeLength || (envelope.Flags & DatagramFlags.Group) != 0)
        {
            Drop(source, "a hello shorter than the welcome it asks for, or sent to a group");
            return;
        }

        var read = PreambleCodec.TryRead(body, out var preamble, out _, out _);
        if (read is not (PreambleReadStatus.Complete or PreambleReadStatus.OtherVersion))
        {
            Drop(source, "a hello without a preamble");
            return;
        }

        var status = PreambleCodec.Evaluate(preamble, read, _settings.MarshallerId);
        if (status == PreambleStatus.Hello && (_draining || _stopping()))
        {
            status = PreambleStatus.Unavailable;
        }

        SendWelcome(envelope.Client, source, status);
    }

    private void SendWelcome(in ClientKey client, EndPoint source, PreambleStatus status)
    {
        var writer = DatagramWriter.Rent(WelcomeLength);
        try
        {
            var span = writer.GetSpan(WelcomeLength);
            DatagramEnvelope.Write(span, DatagramKind.Welcome, DatagramFlags.None, (byte)_settings.MarshallerId, client, 0, 0, Preamble.Length);
            if (status == PreambleStatus.Hello)
            {
                _tokens.Mint(client, source).Write(span.Slice(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
            }

            PreambleCodec.Write(span[DatagramEnvelope.Length..], new Preamble(Preamble.CurrentVersion, status, (byte)_settings.MarshallerId, 0, (uint)_settings.MaxFrameLength, (uint)_settings.MaxConcurrentCalls));
            writer.Advance(WelcomeLength);
            Send(writer.WrittenMemory, source);
        }
        finally
        {
            writer.Return();
        }
    }

    private void OnRequest(in DatagramEnvelope envelope, TokenBytes token, in ReadOnlySequence<byte> body, EndPoint source, int length)
    {
        var group = (envelope.Flags & DatagramFlags.Group) != 0;
        if (group && !_acceptGroupCalls)
        {
            Drop(source, "a group request, and this server is no group member");
            return;
        }

        if (!group && !IsValid(envelope.Client, token, source))
        {
            // No token, or one for another address (the client moved: NAT rebinding): a welcome with the right one, as
            // small as the request, and the call is not run. The client sends it again at once.
            Interlocked.Increment(ref _unvalidated);
            RemotingTelemetry.Dropped("unvalidated");
            if (length >= WelcomeLength)
            {
                SendWelcome(envelope.Client, source, _draining || _stopping() ? PreambleStatus.Unavailable : PreambleStatus.Hello);
            }

            return;
        }

        if (envelope.Marshaller != (byte)_settings.MarshallerId)
        {
            Drop(source, $"marshaller {PreambleCodec.Describe(envelope.Marshaller)}, not this server's");
            return;
        }

        var request = MessageDecoder.ReadRequest(body, _settings.Limits);
        if (envelope.RequestId == 0 || request.RequestId != (uint)envelope.RequestId)
        {
            Drop(source, "the request id of the message differs from the envelope's");
            return;
        }

        var oneWay = (request.Flags & RequestFlags.OneWay) != 0;
        var silent = oneWay || group; // a group member that cannot serve a call stays silent: others may
        var budget = group ? length : _connection.MaxMessageSize;
        var key = request.ObjectKey;
        Span<byte> copy = stackalloc byte[255];
        var keyBytes = key.IsSingleSegment ? key.FirstSpan : copy[..(int)key.Length];
        if (!key.IsSingleSegment)
        {
            key.CopyTo(copy);
        }

        if (!_settings.Space.TryFind(keyBytes, null, out var exported, out var unknown))
        {
            if (!silent)
            {
                SendError(envelope.Client, envelope.RequestId, source, budget, RemotingStatus.UnknownObject, CompletionStatus.No, null, unknown!, null, null);
            }

            return;
        }

        if (!exported.Interface.TryGetMethod(request.MethodId, out var method))
        {
            if (!silent)
            {
                SendError(envelope.Client, envelope.RequestId, source, budget, RemotingStatus.UnknownMethod, CompletionStatus.No, null, $"'{exported.Name}' ({exported.Interface.InterfaceType.Name}) has no method with id 0x{request.MethodId:X16}: the client's interface differs from the server's.", null, null);
            }

            return;
        }

        var atMostOnce = method.Semantics != CallSemantics.AtLeastOnce;
        var now = _settings.TimeProvider.GetTimestamp();
        ServerCall? call = null;
        Admission admission;
        byte[]? replay;
        lock (_lock)
        {
            admission = _cache.Admit(envelope.Client, envelope.RequestId, envelope.AcknowledgedBelow, atMostOnce, now, _settings.MaxConcurrentCalls, out var client, out var entry, out replay);
            if (admission == Admission.Run)
            {
                if (_draining || _stopping())
                {
                    _cache.Abandon(client!, envelope.RequestId, entry);
                    admission = Admission.CacheFull; // answered below as unavailable
                    call = null;
                }
                else
                {
                    call = _idleCalls.TryPop(out var idle) ? idle : new ServerCall(this, _settings.TimeProvider);
                    call.Start(exported, method, request, client!.HostId ??= $"{Id}/{envelope.Client}", source, null);
                    call.HostState = new DatagramCallState(client!, envelope.Client, envelope.RequestId, entry, source, budget);
                    _running.Add(call);
                }
            }
        }

        switch (admission)
        {
            case Admission.Run when call is not null:
                Interlocked.Increment(ref _calls);
                if (_settings.InlineDispatch && method.Shape is not (ReturnShape.Void or ReturnShape.Value))
                {
                    call.RunInline();
                }
                else
                {
                    ThreadPool.UnsafeQueueUserWorkItem(call, preferLocal: false);
                }

                break;
            case Admission.Replay when replay is not null:
                Interlocked.Increment(ref _replayed);
                Send(replay, source);
                break;
            case Admission.Replay: // finished without a reply to keep (one-way, or over the byte budget): dropped, never run again
            case Admission.InProgress:
            case Admission.Stale:
                Interlocked.Increment(ref _duplicates);
                RemotingTelemetry.Dropped("duplicate");
                break;
            default:
                var stopping = _draining || _stopping();
                if (!stopping)
                {
                    Interlocked.Increment(ref _busy);
                    RemotingTelemetry.Dropped("busy");
                }

                if (!silent)
                {
                    var (status, text) = stopping
                        ? (RemotingStatus.Unavailable, "The server is stopping; the call was not run.")
                        : admission == Admission.ClientBusy
                            ? (RemotingStatus.Busy, $"The server runs its limit of {_settings.MaxConcurrentCalls} calls for this client; the call was not run.")
                            : (RemotingStatus.Busy, "The server's reply cache is full; the call was not run (running it could not be guaranteed to be at most once).");
                    SendError(envelope.Client, envelope.RequestId, source, budget, status, CompletionStatus.No, null, text, null, null);
                }

                break;
        }
    }

    // The token must be the one minted for this client at this source. The HMAC runs once per client and address: the
    // client's state remembers the last source and token that passed (the receive loop is this method's only caller).
    private bool IsValid(in ClientKey client, TokenBytes token, EndPoint source)
    {
        if (token.IsZero)
        {
            return false;
        }

        lock (_lock)
        {
            if (_cache.Find(client) is { } state && state.ValidatedToken == token && source.Equals(state.ValidatedSource))
            {
                return true;
            }
        }

        if (token != _tokens.Mint(client, source))
        {
            return false;
        }

        lock (_lock)
        {
            if (_cache.Find(client) is { } state)
            {
                state.ValidatedSource = source;
                state.ValidatedToken = token;
            }
        }

        return true;
    }

    // ---------------------------------------------------------------- replying

    public ValueTask SendReplyAsync<TResult>(ServerCall call, TResult result)
    {
        var state = (DatagramCallState)call.HostState!;
        var writer = DatagramWriter.Rent(state.Budget);
        try
        {
            writer.Advance(DatagramEnvelope.Length);
            MessageEncoder.WriteReplyOkHeader(writer, (uint)state.RequestId);
            if (typeof(TResult) != typeof(NoResult))
            {
                var output = StreamCache.RentWriter(_settings.Marshaller, writer, null);
                try
                {
                    output.Write(result);
                }
                finally
                {
                    StreamCache.Return(output);
                }
            }

            Finish(state, writer);
        }
        catch (Exception e) when (IsTooLarge(e))
        {
            writer.Return();
            var text = state.Budget < _connection.MaxMessageSize
                ? $"{call.Method.DisplayName} ran, but its result does not fit in the {state.Budget} bytes this group request allows (its size): ask for a larger reply size."
                : $"{call.Method.DisplayName} ran, but its result does not fit in one datagram ({state.Budget} bytes): return less, or call it over TCP.";
            return SendErrorAsync(call, RemotingStatus.Internal, CompletionStatus.Yes, null, text, null);
        }
        finally
        {
            writer.Return();
        }

        return default;
    }

    public ValueTask SendErrorAsync(ServerCall call, RemotingStatus status, CompletionStatus completion, string? typeName, string message, string? stackText)
    {
        var state = (DatagramCallState)call.HostState!;
        SendError(state.Key, state.RequestId, state.ReplyTo, state.Budget, status, completion, typeName, message, stackText, state);
        return default;
    }

    // An error reply cut to the budget: type name, message and stack text shortened as needed (an error is never refused for its length).
    private void SendError(in ClientKey client, ulong requestId, EndPoint destination, int budget, RemotingStatus status, CompletionStatus completion, string? typeName, string message, string? stackText, DatagramCallState? state)
    {
        var room = budget - DatagramEnvelope.Length - 10 - 8;
        var typeLength = typeName is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(typeName);
        if (typeLength > Math.Min(room / 2, _settings.Limits.MaxErrorTypeNameLength))
        {
            typeName = null;
            typeLength = 0;
        }

        room -= typeLength;
        var messageRoom = Math.Max(0, Math.Min(room, _settings.Limits.MaxErrorMessageLength));
        var messageLength = Math.Min(System.Text.Encoding.UTF8.GetByteCount(message), messageRoom);
        var limits = _settings.Limits with
        {
            MaxErrorMessageLength = messageRoom,
            MaxStackTextLength = Math.Max(0, Math.Min(room - messageLength, _settings.Limits.MaxStackTextLength)),
        };
        var writer = DatagramWriter.Rent(budget);
        try
        {
            writer.Advance(DatagramEnvelope.Length);
            MessageEncoder.WriteReplyError(writer, (uint)requestId, status, completion, typeName, message, stackText, limits);
            if (state is not null)
            {
                Finish(state, writer);
            }
            else
            {
                DatagramEnvelope.Write(writer.WrittenSpan, DatagramKind.Reply, DatagramFlags.None, (byte)_settings.MarshallerId, client, requestId, 0, writer.Written - DatagramEnvelope.Length);
                _responder.Write(writer.WrittenSpan.Slice(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
                Send(writer.WrittenMemory, destination);
            }
        }
        catch (Exception e) when (IsTooLarge(e))
        {
            Log.ReplyNotSent(Logger, Id, e); // cannot happen: the budget is at least a request's size
        }
        finally
        {
            writer.Return();
        }
    }

    // The envelope goes in front; an at-most-once call's reply is kept (a copy) before it leaves.
    private void Finish(DatagramCallState state, DatagramWriter writer)
    {
        DatagramEnvelope.Write(writer.WrittenSpan, DatagramKind.Reply, DatagramFlags.None, (byte)_settings.MarshallerId, state.Key, state.RequestId, 0, writer.Written - DatagramEnvelope.Length);
        _responder.Write(writer.WrittenSpan.Slice(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
        if (state.Entry is { } entry)
        {
            var copy = writer.WrittenSpan.ToArray();
            lock (_lock)
            {
                _cache.Complete(entry, copy, _settings.TimeProvider.GetTimestamp());
            }
        }

        Send(writer.WrittenMemory, state.ReplyTo);
    }

    private static bool IsTooLarge(Exception e) => e is DatagramTooLargeException || e.InnerException is DatagramTooLargeException;

    // The bytes are copied before SendAsync returns; a failed send is logged (the client retransmits, the cache answers).
    private void Send(ReadOnlyMemory<byte> datagram, EndPoint destination)
    {
        ValueTask sending;
        try
        {
            sending = _connection.SendAsync(datagram, destination);
        }
        catch (Exception e) when (e is ConnectionAbortedException or FramingException or OceanException or ObjectDisposedException or System.Net.Sockets.SocketException or NotSupportedException)
        {
            Log.ReplyNotSent(Logger, Id, e);
            return;
        }

        if (!sending.IsCompletedSuccessfully)
        {
            _ = Observe(sending, this);
        }

        static async Task Observe(ValueTask sending, DatagramHost host)
        {
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (Exception e) when (e is ConnectionAbortedException or FramingException or OceanException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                Log.ReplyNotSent(host.Logger, host.Id, e);
            }
        }
    }

    public void CallFinished(ServerCall call)
    {
        var state = (DatagramCallState)call.HostState!;
        call.HostState = null;
        lock (_lock)
        {
            _cache.Finished(state.Client);
            if (state.Entry is { Done: false } entry)
            {
                _cache.Complete(entry, null, _settings.TimeProvider.GetTimestamp()); // one-way, or no reply could be made: never run again
            }

            _running.Remove(call);
            if (_idleCalls.Count < 64)
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

    // ---------------------------------------------------------------- lifetime

    private void Sweep()
    {
        lock (_lock)
        {
            _cache.Sweep(_settings.TimeProvider.GetTimestamp());
        }
    }

    /// <summary>New calls are answered unavailable (not run); retransmissions of finished ones still get their replies.</summary>
    public void BeginDrain()
    {
        _draining = true;
        lock (_lock)
        {
            if (_running.Count == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    public Task WhenIdleAsync() => _idle.Task;

    public void CancelRunningCalls()
    {
        lock (_lock)
        {
            foreach (var call in _running)
            {
                call.CancelForShutdown();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _sweeper.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }
}
