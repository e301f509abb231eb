using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;
using Ocean.Transport;

namespace Ocean.Remoting.Internal.Datagrams;

/// <summary>
/// A client's side of remote calls over UDP: one request per datagram, retransmitted on a timer until its reply comes
/// (unless one-way), each carrying the client's id and incarnation, the token the server's welcome gave, and how far
/// the client has finished (so the server can drop cached replies). One receive loop completes calls.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class DatagramChannel : IAsyncDisposable
{
    private const int HelloLength = DatagramEnvelope.Length + Preamble.Length;

    // Where the deadline of a request sits in a datagram: after the envelope, at offset 16 of the request.
    private const int DeadlineOffset = DatagramEnvelope.Length + 16;

    private readonly MessageConnection _connection;
    private readonly ConnectionSettings _settings;
    private readonly RemotingClientOptions _options;
    private readonly ClientKey _key = ClientKey.New();
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, DatagramCall> _pending = [];

    // Every request id handed out and not yet finished (being encoded, waiting for its reply, or a one-way being sent):
    // the acknowledgement never passes one of them. An id enters here under the same lock that hands it out, so another
    // caller's request can never acknowledge a call still being encoded.
    private readonly HashSet<ulong> _unfinished = [];
    private readonly string _description;
    private readonly bool _toGroup;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<Preamble>? _welcome;
    private ulong _lastRequestId;
    private TokenBytes _token;
    private int _tokenVersion;
    private bool _isClosed;
    private Task? _loop;
    private long _retransmissions;
    private long _dropped;

    private DatagramChannel(MessageConnection connection, ConnectionSettings settings, RemotingClientOptions options, string description, bool toGroup)
    {
        _connection = connection;
        _settings = settings;
        _options = options;
        _description = description;
        _toGroup = toGroup;
    }

    public string Description => _description;

    /// <summary>Requests sent again so far (the first send of each call not counted).</summary>
    public long Retransmissions => Interlocked.Read(ref _retransmissions);

    /// <summary>Datagrams dropped on receipt: malformed, for another client, or replies to no call waiting.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public IMarshaller Marshaller => _settings.Marshaller;

    public int MaxDatagramSize => _connection.MaxMessageSize;

    public TimeProvider Time => _settings.TimeProvider;

    /// <summary>Opens a channel to one server: hello, retransmitted like a call, until its welcome (and token) arrives.</summary>
    /// <exception cref="RemotingException">No welcome within the attempts (<see cref="RemotingStatus.Unavailable"/>), or a refusal (<see cref="RemotingProtocolException"/>).</exception>
    public static async Task<DatagramChannel> ConnectAsync(MessageConnection connection, ConnectionSettings settings, RemotingClientOptions options, string description, CancellationToken cancellationToken)
    {
        var channel = new DatagramChannel(connection, settings, options, description, toGroup: false);
        channel._welcome = new TaskCompletionSource<Preamble>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Start();
        try
        {
            var hello = new byte[HelloLength];
            DatagramEnvelope.Write(hello, DatagramKind.Hello, DatagramFlags.None, (byte)settings.MarshallerId, channel._key, 0, 0, Preamble.Length);
            PreambleCodec.Write(hello.AsSpan(DatagramEnvelope.Length), settings.Hello);
            var interval = options.RetransmitInterval;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await connection.SendAsync(hello, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e) when (IsUnreachable(e))
                {
                    // an earlier hello's "port unreachable", reported on this send: as if this one were lost
                }
                try
                {
                    var answer = await channel._welcome.Task.WaitAsync(interval, settings.TimeProvider, cancellationToken).ConfigureAwait(false);
                    PreambleCodec.CheckAnswer(PreambleReadStatus.Complete, answer, settings.MarshallerId);
                    return channel;
                }
                catch (TimeoutException) when (attempt < options.MaxAttempts)
                {
                    interval = Next(interval, options.MaxRetransmitInterval);
                }
                catch (TimeoutException e)
                {
                    throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, $"{description} did not answer over UDP: no welcome after {attempt} hellos.", e);
                }
            }
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A channel that sends to a multicast group (no hello: group requests carry no token).</summary>
    public static DatagramChannel ForGroup(MessageConnection connection, ConnectionSettings settings, RemotingClientOptions options, string description)
    {
        var channel = new DatagramChannel(connection, settings, options, description, toGroup: true);
        channel.Start();
        return channel;
    }

    private void Start() => _loop = Task.Run(ReceiveLoopAsync);

    private static TimeSpan Next(TimeSpan interval, TimeSpan max) => TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, max.Ticks));

    // ---------------------------------------------------------------- calls

    /// <summary>Makes one call: at-most-once or at-least-once are retransmitted until answered; one-way is sent once.</summary>
    public ValueTask<TResult> CallAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, IReadOnlyList<KeyValuePair<string, string>>? metadata, TimeSpan? deadline, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException<TResult>(new RemotingException(RemotingStatus.Cancelled, CompletionStatus.No, $"The call to {method.DisplayName} was cancelled before it was sent.", new OperationCanceledException(cancellationToken)));
        }

        ulong id;
        lock (_lock)
        {
            if (_isClosed)
            {
                return ValueTask.FromException<TResult>(new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, "The client is closed."));
            }

            id = ++_lastRequestId;
            _unfinished.Add(id);
        }

        var oneWay = method.IsOneWay;
        if (System.Diagnostics.Activity.Current is { } activity)
        {
            RemotingConnection.AddTraceContext(activity, ref metadata);
        }

        var deadlineMilliseconds = deadline is { } d ? (uint)Math.Clamp(Math.Ceiling(d.TotalMilliseconds), 1, uint.MaxValue) : 0u;
        var writer = DatagramWriter.Rent(_connection.MaxMessageSize);
        byte[] bytes;
        int length;
        try
        {
            Encode(writer, id, objectKey, method, args, metadata, deadlineMilliseconds, oneWay ? RequestFlags.OneWay : RequestFlags.None, DatagramFlags.None);
            if (oneWay)
            {
                StampAndToken(writer.WrittenSpan, retransmission: false, out _);
                Finished(id); // acknowledged by the next request: a copy arriving after that is dropped, as maybe allows
                return SendOneWay<TResult>(writer.WrittenMemory, method.DisplayName);
            }

            length = writer.Written;
            bytes = ArrayPool<byte>.Shared.Rent(length);
            writer.WrittenSpan.CopyTo(bytes);
        }
        catch (Exception e)
        {
            Finished(id);
            return ValueTask.FromException<TResult>(EncodeError(method, e));
        }
        finally
        {
            writer.Return();
        }

        var call = new DatagramCall<TResult>(this, id, method, bytes, length, _options.RetransmitInterval, deadline is { } limit ? Time.GetTimestamp() + (long)(limit.TotalSeconds * Time.TimestampFrequency) : 0);
        lock (_lock)
        {
            if (_isClosed)
            {
                _unfinished.Remove(id);
                call.Release();
                return ValueTask.FromException<TResult>(new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, "The client is closed."));
            }

            _pending.Add(id, call);
        }

        if (RemotingTelemetry.MetricsEnabled)
        {
            call.MetricsOn = true;
            RemotingTelemetry.Started(RemotingTelemetry.ClientSide, method.DisplayName);
        }

        call.Begin(cancellationToken);
        return new ValueTask<TResult>(call.Task);
    }

    private RemotingException EncodeError(RemoteMethod method, Exception e) =>
        e is DatagramTooLargeException || e.InnerException is DatagramTooLargeException
            ? new RemotingException(RemotingStatus.BadArguments, CompletionStatus.No, $"The request for {method.DisplayName} does not fit in one datagram ({_connection.MaxMessageSize} bytes); nothing was sent. Pass less, or call it over TCP.", e)
            : RemotingConnection.UnsentError(method.DisplayName, e);

    private void Encode(DatagramWriter writer, ulong id, string objectKey, RemoteMethod method, object?[] args, IReadOnlyList<KeyValuePair<string, string>>? metadata, uint deadlineMilliseconds, RequestFlags flags, DatagramFlags datagramFlags)
    {
        writer.Advance(DatagramEnvelope.Length);
        MessageEncoder.WriteRequestHeader(writer, (uint)id, flags, method.Id, deadlineMilliseconds, objectKey, metadata, _settings.Limits);
        var output = StreamCache.RentWriter(_settings.Marshaller, writer, null);
        try
        {
            method.WriteArguments(output, args);
        }
        finally
        {
            StreamCache.Return(output);
        }

        DatagramEnvelope.Write(writer.WrittenSpan, DatagramKind.Request, datagramFlags, (byte)_settings.MarshallerId, _key, id, 0, writer.Written - DatagramEnvelope.Length);
    }

    // Before each send: what the client has finished, the token it holds, and whether this is a retransmission.
    private void StampAndToken(Span<byte> datagram, bool retransmission, out int tokenVersion)
    {
        ulong acknowledged;
        TokenBytes token;
        lock (_lock)
        {
            // Never past the datagram's own id, nor any id still unfinished.
            acknowledged = BinaryPrimitives.ReadUInt64BigEndian(datagram[32..]);
            foreach (var id in _unfinished)
            {
                acknowledged = Math.Min(acknowledged, id);
            }

            token = _token;
            tokenVersion = _tokenVersion;
        }

        BinaryPrimitives.WriteUInt64BigEndian(datagram[DatagramEnvelope.AcknowledgedOffset..], acknowledged);
        token.Write(datagram.Slice(DatagramEnvelope.TokenOffset, DatagramEnvelope.TokenLength));
        datagram[DatagramEnvelope.FlagsOffset] = (byte)((datagram[DatagramEnvelope.FlagsOffset] & ~(byte)DatagramFlags.Retransmission) | (retransmission ? (byte)DatagramFlags.Retransmission : 0));
    }

    private ValueTask<TResult> SendOneWay<TResult>(ReadOnlyMemory<byte> datagram, string method)
    {
        ValueTask send;
        try
        {
            send = _connection.SendAsync(datagram);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<TResult>(new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, $"The one-way request for {method} could not be sent: {e.Message}", e));
        }

        return send.IsCompletedSuccessfully ? default : Await(send, method);

        static async ValueTask<TResult> Await(ValueTask send, string method)
        {
            try
            {
                await send.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw new RemotingException(RemotingStatus.Unavailable, CompletionStatus.Maybe, $"The one-way request for {method} may not have been sent: {e.Message}", e);
            }

            return default!;
        }
    }

    /// <summary>Sends (or re-sends) a call's datagram; under the call's lock, so two sends never patch it at once.</summary>
    internal void Send(DatagramCall call, bool retransmission)
    {
        var datagram = call.Bytes.AsSpan(0, call.Length);
        StampAndToken(datagram, retransmission, out var version);
        call.TokenVersion = version;
        if (call.DeadlineTimestamp != 0 && DeadlineOffset + 4 <= call.Length)
        {
            var left = Time.GetElapsedTime(Time.GetTimestamp(), call.DeadlineTimestamp);
            BinaryPrimitives.WriteUInt32BigEndian(datagram[DeadlineOffset..], (uint)Math.Clamp(Math.Ceiling(left.TotalMilliseconds), 1, uint.MaxValue));
        }

        if (retransmission)
        {
            Interlocked.Increment(ref _retransmissions);
            RemotingTelemetry.Retransmissions.Add(1);
        }

        try
        {
            var sending = _connection.SendAsync(call.Bytes.AsMemory(0, call.Length)); // copied before it returns
            if (!sending.IsCompletedSuccessfully)
            {
                _ = Observe(sending, this);
            }
        }
        catch (Exception e) when (e is ConnectionAbortedException or FramingException or OceanException or ObjectDisposedException || e is SocketException s && IsUnreachable(s))
        {
            Log.ReplyNotSent(_settings.Logger, _connection.Id, e); // the timer sends it again, or the call fails
        }

        static async Task Observe(ValueTask sending, DatagramChannel channel)
        {
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (Exception e) when (e is ConnectionAbortedException or FramingException or OceanException or ObjectDisposedException || e is SocketException s && IsUnreachable(s))
            {
                Log.ReplyNotSent(channel._settings.Logger, channel._connection.Id, e);
            }
        }
    }

    /// <summary>Forgets a call (it completed, failed or gave up): later replies to it are dropped, and the next request acknowledges it.</summary>
    internal void Remove(DatagramCall call)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(call.RequestId, out var registered) && ReferenceEquals(registered, call))
            {
                _pending.Remove(call.RequestId);
                _unfinished.Remove(call.RequestId);
            }
        }
    }

    private void Finished(ulong id)
    {
        lock (_lock)
        {
            _unfinished.Remove(id);
        }
    }

    internal int MaxAttempts => _options.MaxAttempts;

    internal TimeSpan MaxRetransmitInterval => _options.MaxRetransmitInterval;

    internal ExceptionRethrower? Rethrower => _settings.Rethrower;

    // ---------------------------------------------------------------- group calls

    /// <summary>Sends one request to the group and yields the replies of every member that answers within <paramref name="window"/>.</summary>
    public ChannelReader<GroupReply<TResult>> CallGroup<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, TimeSpan window, int maxReplySize, CancellationToken cancellationToken)
    {
        ulong id;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_isClosed, this);
            id = ++_lastRequestId;
            _unfinished.Add(id);
        }

        var writer = DatagramWriter.Rent(_connection.MaxMessageSize);
        byte[] bytes;
        int length;
        try
        {
            Encode(writer, id, objectKey, method, args, null, (uint)Math.Clamp(Math.Ceiling(window.TotalMilliseconds), 1, uint.MaxValue), RequestFlags.None, DatagramFlags.Group);
            length = Math.Max(writer.Written, maxReplySize); // members answer with no more than this: the rest is padding
            bytes = new byte[length];
            writer.WrittenSpan.CopyTo(bytes);
        }
        catch (Exception e)
        {
            Finished(id);
            throw EncodeError(method, e);
        }
        finally
        {
            writer.Return();
        }

        var call = new GroupCall<TResult>(this, id, method, bytes, length);
        lock (_lock)
        {
            _pending.Add(id, call);
        }

        call.Begin(window, cancellationToken);
        return call.Replies;
    }

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
                catch (SocketException e) when (IsUnreachable(e))
                {
                    // An ICMP "port unreachable" for a datagram sent earlier, reported by the connected socket: nothing
                    // listens there now (the server restarts, say). Not the end of the channel: calls retransmit (a new
                    // server welcomes them) or give up after their attempts.
                    DropDatagram(_connection.RemoteEndPoint, e.Message);
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

                try
                {
                    OnDatagram(result.Message, result.RemoteEndPoint);
                }
                catch (RemotingProtocolException e)
                {
                    DropDatagram(result.RemoteEndPoint, e.Message);
                }
            }
        }
        catch (Exception e) when (e is ConnectionAbortedException or OceanException or ObjectDisposedException or OperationCanceledException)
        {
            // closed
        }
        catch (Exception e)
        {
            Log.ProtocolError(_settings.Logger, _connection.Id, e.Message, e);
        }

        Close(null);
    }

    private static bool IsUnreachable(SocketException e) => e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    private void DropDatagram(EndPoint? source, string reason)
    {
        Interlocked.Increment(ref _dropped);
        if (_settings.Logger.IsEnabled(LogLevel.Debug))
        {
            Log.DatagramDropped(_settings.Logger, _connection.Id, source?.ToString() ?? "?", reason);
        }
    }

    private void OnDatagram(in ReadOnlySequence<byte> datagram, EndPoint? source)
    {
        if (!DatagramEnvelope.TryRead(datagram, out var envelope, out var token, out var body, out var reason))
        {
            DropDatagram(source, reason!);
            return;
        }

        if (envelope.Client != _key)
        {
            DropDatagram(source, "for another client");
            return;
        }

        switch (envelope.Kind)
        {
            case DatagramKind.Welcome:
                OnWelcome(body, token, source);
                break;
            case DatagramKind.Reply:
                OnReply(envelope, body, source, token);
                break;
            default:
                DropDatagram(source, $"a {envelope.Kind} sent to a client");
                break;
        }
    }

    private void OnWelcome(in ReadOnlySequence<byte> body, TokenBytes token, EndPoint? source)
    {
        if (_toGroup)
        {
            DropDatagram(source, "a welcome on a group client");
            return;
        }

        if (PreambleCodec.TryRead(body, out var answer, out _, out _) is not PreambleReadStatus.Complete)
        {
            DropDatagram(source, "a welcome without a preamble");
            return;
        }

        if (answer.Status != PreambleStatus.Hello)
        {
            _welcome?.TrySetResult(answer); // a refusal fails the hello; later ones (the server stopping) leave calls to their retries
            return;
        }

        List<DatagramCall>? resend = null;
        lock (_lock)
        {
            if (token != _token)
            {
                _token = token;
                _tokenVersion++;
                foreach (var call in _pending.Values)
                {
                    if (call.TokenVersion != _tokenVersion && call is not IGroupCall)
                    {
                        (resend ??= []).Add(call);
                    }
                }
            }
        }

        _welcome?.TrySetResult(answer);

        // Calls sent with an older token (or none) were not run: send them again at once with the new one.
        if (resend is not null)
        {
            foreach (var call in resend)
            {
                call.ResendNow();
            }
        }
    }

    private void OnReply(in DatagramEnvelope envelope, in ReadOnlySequence<byte> body, EndPoint? source, TokenBytes responder)
    {
        var reply = MessageDecoder.ReadReply(body, _settings.Limits);
        if (reply.RequestId != (uint)envelope.RequestId)
        {
            DropDatagram(source, "the request id of the reply differs from the envelope's");
            return;
        }

        DatagramCall? call;
        lock (_lock)
        {
            _pending.TryGetValue(envelope.RequestId, out call);
        }

        if (call is null || !call.OnReply(reply, source, responder))
        {
            DropDatagram(source, $"a reply to request {envelope.RequestId}, which is not waiting");
        }
    }

    /// <summary>Reads a result from a reply's bytes (on the receive loop, while they are valid).</summary>
    internal TResult ReadResult<TResult>(in ReadOnlySequence<byte> bytes) =>
        typeof(TResult) == typeof(NoResult) ? default! : StreamCache.ReadResult<TResult>(_settings.Marshaller, bytes, null);

    // ---------------------------------------------------------------- closing

    private void Close(Exception? failure)
    {
        DatagramCall[] pending;
        lock (_lock)
        {
            if (_isClosed)
            {
                return;
            }

            _isClosed = true;
            pending = [.. _pending.Values];
            _pending.Clear();
            _unfinished.Clear();
        }

        foreach (var call in pending)
        {
            call.Close(failure);
        }

        _welcome?.TrySetException(new RemotingException(RemotingStatus.Unavailable, CompletionStatus.No, "The UDP socket closed before the server's welcome."));
        _closed.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        Close(null);
        await _connection.DisposeAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }
}
