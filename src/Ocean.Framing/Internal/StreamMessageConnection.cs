using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

/// <summary>
/// Messages over a stream connection: the read side owns the pipe reader and the codec's decoder; the send side
/// is a <see cref="ReplyBatcher"/> over the pipe writer. The reader tells the batcher only when it returns a frame
/// and when it is about to wait.
/// </summary>
internal sealed partial class StreamMessageConnection : MessageConnection
{
    private static readonly TimerCallback s_onDeadline = static state => ((StreamMessageConnection)state!)._reader.CancelPendingRead();

    private readonly Connection _connection;
    private readonly PipeReader _reader;
    private readonly ReplyBatcher _replies;
    private readonly ConnectionLifetime _lifetime = new();
    private readonly CancellationTokenRegistration _transportClosed;
    private readonly FrameCodec _codec;
    private readonly EndPoint? _remoteEndPoint;
    private readonly IFrameDecoder _decoder;
    private readonly TimeProvider _time;
    private readonly TimeSpan _frameTimeout;
    private readonly TimeSpan _idleTimeout;
    private readonly ILogger _logger;
    private readonly ByteBudget? _budget;
    private readonly long _budgetAllowance;
    private readonly Lock _budgetLock = new();
    private long _reserved;
    private bool _budgetReleased;
    private ITimer? _deadline;
    private bool _holding;
    private ReadOnlySequence<byte> _buffer;
    private bool _completed;
    private MessageReceiveResult? _completedAfterRelease;
    private long _frameStart;
    private long _lastFrameEnd;
    private int _reading;
    private int _cancelRequested;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _disposed;
    private volatile bool _closedByApplication;

    public StreamMessageConnection(Connection connection, FrameCodec codec, MessageConnectionOptions options)
        : this(connection, codec, options, budget: null, budgetAllowance: 0)
    {
    }

    /// <summary>A connection of a server: what it buffers beyond <paramref name="budgetAllowance"/> is reserved from <paramref name="budget"/>.</summary>
    public StreamMessageConnection(Connection connection, FrameCodec codec, MessageConnectionOptions options, ByteBudget? budget, long budgetAllowance)
    {
        _budget = budget;
        _budgetAllowance = budgetAllowance;
        _connection = connection;
        _reader = connection.Transport.Input;
        _codec = codec;
        _remoteEndPoint = connection.RemoteEndPoint; // fixed for a stream: taken once, not per message
        _decoder = codec.CreateDecoder();
        _time = options.TimeProvider;
        _frameTimeout = options.FrameTimeout;
        _idleTimeout = options.IdleTimeout;
        _replies = new ReplyBatcher(connection.Transport.Output, options.MaxHeldReplyBytes, options.TimeProvider, SendFailure, connection);
        _logger = options.LoggerFactory?.CreateLogger("Ocean.Framing.MessageConnection") ?? NullLogger.Instance;
        _lastFrameEnd = _time.GetTimestamp();
        _transportClosed = connection.ConnectionClosed.UnsafeRegister(static state => ((ConnectionLifetime)state!).Signal(), _lifetime);
    }

    /// <summary>The transport connection's id: Transport's and Framing's logs name this connection alike.</summary>
    public override string Id => _connection.Id;

    public override int MaxMessageSize => _codec.MaxPayloadLength;

    public override bool IsReliable => true;

    public override bool IsOrdered => true;

    public override CancellationToken ConnectionClosed => _lifetime.Token;

    public override EndPoint? LocalEndPoint => _connection.LocalEndPoint;

    public override EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <summary>The input error this connection failed with, if any (the server tells it from handler failures).</summary>
    internal Exception? Failure => _failure?.SourceException;

    public override ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        _failure?.Throw();
        _lifetime.ThrowIfAborted();
        if (_disposed || _closedByApplication)
        {
            // The pipe and its buffers are gone, or going: a late reader (say, a task a server's handler left behind) ends cleanly.
            return new ValueTask<MessageReceiveResult>(new MessageReceiveResult(default, isCompleted: true));
        }

        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("Another read is in progress on this message connection.");
        }

        var handedOff = false;
        try
        {
            if (Volatile.Read(ref _cancelRequested) != 0 && Interlocked.Exchange(ref _cancelRequested, 0) != 0)
            {
                // Cancelled before this read began (the pipe's own cancel, still pending, is ignored as stale).
                return new ValueTask<MessageReceiveResult>(MessageReceiveResult.Canceled);
            }

            // Fast path: the next frame is already in the buffer of the last pipe read; no pipe call, no await.
            if (_holding)
            {
                if (TryTakeFrame(out var message))
                {
                    return new ValueTask<MessageReceiveResult>(message);
                }

                if (_completedAfterRelease is { } end)
                {
                    _completedAfterRelease = null;
                    return new ValueTask<MessageReceiveResult>(end);
                }
            }

            handedOff = true;
            return ReadSlowAsync(cancellationToken);
        }
        finally
        {
            if (!handedOff)
            {
                Volatile.Write(ref _reading, 0);
            }
        }
    }

    // Pooled builder: a read that waits reuses its state machine box, so steady state allocates nothing.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageReceiveResult> ReadSlowAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // About to wait for the peer: send the replies held back for this batch, but wait only on the peer's
                // bytes: a peer that does not read would otherwise hold this read on back-pressure (DESIGN.md).
                _replies.StartFlushHeld();

                ArmDeadline();
                ReadResult result;
                try
                {
                    result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException && _lifetime.IsAborted)
                {
                    throw _lifetime.Aborted(); // the same exception, with the abort's reason, whatever the transport raised
                }
                finally
                {
                    _deadline?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }

                if (_lifetime.IsAborted)
                {
                    // Aborted while waiting: whatever the transport made of it, the reader sees the abort and its reason.
                    _reader.AdvanceTo(result.Buffer.Start);
                    throw _lifetime.Aborted();
                }

                _holding = true;
                _buffer = result.Buffer;
                _completed = result.IsCompleted;
                if (result.IsCanceled)
                {
                    CheckDeadlines();
                    if (Interlocked.Exchange(ref _cancelRequested, 0) != 0)
                    {
                        // CancelPendingReceive: keep the bytes held; the next read decodes them first (the fast path),
                        // so a frame that arrived with the cancel is not left waiting for more bytes.
                        return MessageReceiveResult.Canceled;
                    }
                }

                if (TryTakeFrame(out var message))
                {
                    return message;
                }

                if (_completedAfterRelease is { } end)
                {
                    _completedAfterRelease = null;
                    return end;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>
    /// Decodes the next frame from the held buffer. When there is none, hands the buffer back to the pipe
    /// (consumed and examined as the decoder says) and notes whether the stream ended.
    /// </summary>
    private bool TryTakeFrame(out MessageReceiveResult message)
    {
        message = default;
        var input = _buffer;
        ReadOnlySequence<byte> frame;
        SequencePosition consumed, examined;
        while (true)
        {
            bool found;
            try
            {
                found = _decoder.TryReadFrame(input, out frame, out consumed, out examined);
            }
            catch (FramingException ex)
            {
                Release(_buffer.Start, _buffer.End);
                throw Fail(ex, ex.Error.ToString());
            }

            if (found)
            {
                _buffer = input.Slice(consumed);
                _replies.NoteFrameReturned(moreBuffered: !_buffer.IsEmpty);
                _frameStart = 0;
                if (_idleTimeout != Timeout.InfiniteTimeSpan)
                {
                    _lastFrameEnd = _time.GetTimestamp(); // only the idle timeout needs it: skip the clock otherwise
                }

                FramingMetrics.FramesReceived.Add(1);
                message = new MessageReceiveResult(frame, isCanceled: false, isCompleted: false, _remoteEndPoint);
                return true;
            }

            var rest = input.Slice(consumed);
            if (rest.Length == input.Length)
            {
                break;
            }

            // The decoder skipped bytes without a frame (an oversized frame being discarded). Ask again at once:
            // if the skip just ended it has something to say now, not when more bytes happen to arrive.
            input = rest;
        }

        var remaining = input.Slice(consumed);
        if (_frameStart == 0 && (!remaining.IsEmpty || _decoder is LengthPrefixedCodec.Decoder { IsDiscarding: true }))
        {
            _frameStart = _time.GetTimestamp(); // the frame's first byte has arrived (a frame being skipped counts too)
        }

        if (_budget is not null && !TryReserveFor(remaining.Length))
        {
            Release(_buffer.Start, _buffer.End);
            throw Fail(
                new FramingException(FramingError.BufferBudgetExhausted, $"A partial frame of {remaining.Length} bytes needs more buffer than the server has left ({_budget.Used} of {_budget.Limit} bytes in use beyond each connection's {_budgetAllowance})."),
                nameof(FramingError.BufferBudgetExhausted));
        }

        var completed = _completed;
        Release(consumed, examined);
        if (completed)
        {
            if (!remaining.IsEmpty)
            {
                throw Fail(new FramingException(FramingError.TruncatedFrame, $"The peer closed the connection in the middle of a frame ({remaining.Length} bytes of it had arrived)."), nameof(FramingError.TruncatedFrame));
            }

            _completedAfterRelease = MessageReceiveResult.Completed;
            _lifetime.Signal(); // the peer's clean end: nothing more will arrive
        }

        return false;
    }

    private void Release(SequencePosition consumed, SequencePosition examined)
    {
        _holding = false;
        _buffer = default;
        _reader.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingReceive()
    {
        // The flag tells this cancel from the deadline timer's, which cancels the same pipe read.
        Volatile.Write(ref _cancelRequested, 1);
        _reader.CancelPendingRead();
    }

    public override ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        _closedByApplication = true;
        MarkClosed();
        ReleaseBudget();
        return _connection.CloseAsync(cancellationToken);
    }

    public override void Abort(Exception? reason = null)
    {
        MarkClosed(abort: true, reason);
        ReleaseBudget();
        _connection.Abort(reason);
    }

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        MarkClosed();
        ReleaseBudget();
        await _connection.DisposeAsync().ConfigureAwait(false);
        _deadline?.Dispose();
        await _transportClosed.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the sending side (later sends fail) and fires <see cref="ConnectionClosed"/>.</summary>
    private void MarkClosed(bool abort = false, Exception? reason = null)
    {
        _lifetime.TryClose(abort, reason);
        _replies.Close();
    }

    /// <summary>What a send raises once the connection is closed, by this side or by the transport.</summary>
    private ConnectionAbortedException SendFailure() =>
        _lifetime.IsAborted ? _lifetime.Aborted() : new ConnectionAbortedException("The connection is closed; the message may not have been delivered.");

    /// <summary>Records a fatal input error, closes the connection, and returns the exception to throw.</summary>
    /// <remarks>
    /// A peer that closed in the middle of a frame has finished sending: the connection closes gracefully, so
    /// replies already sent (or held for the batch) still reach it. Any other bad input aborts at once.
    /// </remarks>
    private Exception Fail(Exception exception, string kind)
    {
        _failure = ExceptionDispatchInfo.Capture(exception);
        FramingMetrics.CountError(kind);
        Log.BadInput(_logger, _connection.Id, RemoteEndPoint, kind, exception.Message);
        MarkClosed();
        ReleaseBudget();
        if (exception is FramingException { Error: FramingError.TruncatedFrame })
        {
            _ = CloseAfterTruncationAsync();
        }
        else
        {
            _connection.Abort(exception);
        }

        return exception;
    }

    private async Task CloseAfterTruncationAsync()
    {
        try
        {
            await _connection.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection went away meanwhile: nothing more to send it.
        }
    }
}
