using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Ocean.Transport.Internal;

/// <summary>
/// A connection over a connected stream socket (TCP or Unix domain): one receive loop fills the input
/// pipe, one send loop drains the output pipe.
/// </summary>
/// <remarks>
/// Both pipes use inline schedulers: a reply written while handling a receive goes out on the same
/// thread, with no hop through the thread pool (the hop costs more than anything else at this scale).
/// </remarks>
internal sealed partial class SocketConnection : Connection
{
    private const int MinimumReceiveSize = 4096;

    /// <summary>The pipe's segment size: receives of up to half of it share a segment (see <see cref="ReceiveSizer"/>).</summary>
    internal const int SegmentSize = 4096;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly IDuplexPipe _transport;
    private readonly BudgetedPipeReader? _budgetedInput;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly bool _waitForData;
    private readonly TimeSpan _closeTimeout;
    private readonly TagList _tags;
    private readonly CancellationTokenSource _closedSource = new();
    private readonly Lock _socketLock = new();
    private Task _receiveTask = Task.CompletedTask;
    private Task _sendTask = Task.CompletedTask;
    private Task _lifetimeTask = Task.CompletedTask;
    private Exception? _abortReason;
    private long _lastActivityTimestamp;
    private int _aborted;
    private int _closeStarted;
    private bool _socketDisposed;
    private volatile bool _skipIdleLinger;
    private volatile string? _applicationId;
    private IInputBurstObserver? _burstObserver;
    private int _deliveringThread;

    /// <param name="socket">The connected socket; the connection owns it.</param>
    /// <param name="options">Buffer bounds, timeouts and socket settings.</param>
    /// <param name="logger">Where connection events go.</param>
    /// <param name="tags">Metric tags (client, or server and its endpoint).</param>
    /// <param name="budget">The server's budget of unconsumed received bytes; <see langword="null"/> for client connections.</param>
    public SocketConnection(Socket socket, ConnectionOptions options, ILogger logger, in TagList tags, ReadBudget? budget = null)
    {
        _socket = socket;
        _logger = logger;
        _timeProvider = options.TimeProvider;
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        _closeTimeout = options.CloseTimeout;
        MaxReadBufferSize = options.MaxReadBufferSize;
        MaxWriteBufferSize = options.MaxWriteBufferSize;
        _tags = tags;
        LocalEndPoint = TryGetEndPoint(socket, local: true);
        RemoteEndPoint = TryGetEndPoint(socket, local: false);

        _input = CreatePipe(options.MaxReadBufferSize, options.MemoryPool);
        _output = CreatePipe(options.MaxWriteBufferSize, options.MemoryPool);
        _budgetedInput = budget is null ? null : new BudgetedPipeReader(_input.Reader, budget);
        _transport = new DuplexPipe(_budgetedInput ?? _input.Reader, _output.Writer);
        _lastActivityTimestamp = _timeProvider.GetTimestamp();
    }

    public override IDuplexPipe Transport => _transport;

    public override EndPoint? LocalEndPoint { get; }

    public override EndPoint? RemoteEndPoint { get; }

    public override CancellationToken ConnectionClosed => _closedSource.Token;

    /// <summary>When a byte last crossed the socket, in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    public long LastActivityTimestamp => Volatile.Read(ref _lastActivityTimestamp);

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>How long a graceful close waits for the peer's FIN; layers above reuse it.</summary>
    internal TimeSpan CloseTimeout => _closeTimeout;

    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>The options' read buffer bound; layers above size their own pipes with it.</summary>
    internal int MaxReadBufferSize { get; }

    /// <summary>The options' write buffer bound; layers above size their own pipes with it.</summary>
    internal int MaxWriteBufferSize { get; }

    /// <summary>The server's budget of unconsumed received bytes; <see langword="null"/> for client connections.</summary>
    internal ReadBudget? ReadBudget => _budgetedInput?.Budget;

    /// <summary>The underlying socket, for tests that check socket options.</summary>
    internal Socket Socket => _socket;

    /// <summary>
    /// From now on a graceful close lingers for the peer's FIN only while input is waiting in the socket. A stopping
    /// server sets it: closing a socket whose receive queue is empty sends a FIN, not a reset, so an idle peer
    /// loses nothing and the stop need not wait <see cref="ConnectionOptions.CloseTimeout"/> for it.
    /// </summary>
    internal void SkipLingerForIdlePeer() => _skipIdleLinger = true;

    /// <summary>Whether a close should wait for the peer's FIN (see <see cref="SkipLingerForIdlePeer"/>).</summary>
    internal bool ShouldLinger() => !_skipIdleLinger || HasUnreadSocketInput();

    /// <summary>Applies socket options common to client and server sockets.</summary>
    public static void Configure(Socket socket, ConnectionOptions options)
    {
        if (socket.ProtocolType != ProtocolType.Tcp)
        {
            return;
        }

        socket.NoDelay = options.NoDelay;
        if (options.KeepAlive is { } keepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)keepAlive.Time.TotalSeconds));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(1, (int)keepAlive.Interval.TotalSeconds));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, Math.Max(1, keepAlive.RetryCount));
        }
    }

    /// <summary>Starts the receive and send loops. Called once, right after construction.</summary>
    public void Start()
    {
        TransportMetrics.ActiveConnections.Add(1, _tags);
        Log.ConnectionOpened(_logger, Id, LocalEndPoint, RemoteEndPoint);
        _receiveTask = ReceiveLoopAsync();
        _sendTask = SendLoopAsync();
        _lifetimeTask = RunLifetimeAsync();
    }

    public override async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) == 0)
        {
            // Finish sending what the application wrote, then shut the socket.
            await _output.Writer.CompleteAsync().ConfigureAwait(false);
            try
            {
                // A peer that never reads cannot hold a close forever: the drain is bounded by the close timeout.
                await _sendTask.WaitAsync(_closeTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                Abort(new TimeoutException("Unsent data did not drain before the connection was closed.", ex));
            }

            // Linger: read and discard until the peer's FIN, so closing does not reset unread data away.
            var linger = ShouldLinger(); // asked before the discarding starts, which empties the socket's queue
            _input.Writer.CancelPendingFlush();
            if (linger)
            {
                await Linger.WaitAsync(_receiveTask, _closeTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            DisposeSocket();
        }

        await _lifetimeTask.ConfigureAwait(false);
    }

    public override void Abort(Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        _abortReason = reason;
        Log.ConnectionAborted(_logger, Id, reason?.Message ?? "aborted by the application");
        _output.Reader.CancelPendingRead();
        _input.Writer.CancelPendingFlush();
        DisposeSocket();
    }

    public override ValueTask DisposeAsync() => CloseAsync();

    internal override bool TrySetInputBurstObserver(IInputBurstObserver observer)
    {
        // Set before the reader's first read, so the receive loop sees it by the time there is anything to deliver.
        return Interlocked.CompareExchange(ref _burstObserver, observer, null) is null;
    }

    internal override bool IsDeliveringInputOnCurrentThread => Volatile.Read(ref _deliveringThread) == Environment.CurrentManagedThreadId;

    /// <summary>
    /// The application is done with the input (its handler returned): once the receive loop has ended too, what the
    /// connection still holds unconsumed goes back to the server's budget. Idempotent.
    /// </summary>
    internal void EndReading() => _budgetedInput?.EndReading();

    /// <summary>The id of the connection the application sees, for log events: this one's, or the TLS connection's over it.</summary>
    internal string ApplicationId
    {
        get => _applicationId ?? Id;
        set => _applicationId = value;
    }

    /// <summary>
    /// A receive found the server's buffer budget exhausted: log it, count it and abort this connection only.
    /// </summary>
    /// <param name="budget">The budget that refused the bytes.</param>
    /// <param name="connectionId">The id of the connection the application sees (the TLS connection over this one, if any).</param>
    /// <returns>The exception the connection's reader sees as the cause of the abort.</returns>
    internal ConnectionAbortedException AbortOverBudget(ReadBudget budget, string connectionId)
    {
        var reason = new ConnectionAbortedException(
            $"The server's receive buffer budget is exhausted (SocketServerOptions.MaxBufferedBytes: {budget.Limit} bytes held unconsumed by its connections); this connection was aborted.");
        Log.BufferBudgetExhausted(_logger, connectionId, budget.Limit);
        TransportMetrics.BudgetAbortedConnections.Add(1, _tags);
        Abort(reason);
        return reason;
    }

    /// <summary>Records that bytes crossed the socket, for the idle timeout.</summary>
    private void MarkActive() => Volatile.Write(ref _lastActivityTimestamp, _timeProvider.GetTimestamp());

    /// <summary>What readers see after an abort: says why, with the reason as the inner exception.</summary>
    /// <param name="fallbackInner">The inner exception when the abort gave no reason.</param>
    internal ConnectionAbortedException CreateAbortException(Exception? fallbackInner = null) =>
        new("The connection was aborted" + (_abortReason is null ? "." : ": " + _abortReason.Message), _abortReason ?? fallbackInner);

    private void DisposeSocket()
    {
        lock (_socketLock)
        {
            if (_socketDisposed)
            {
                return;
            }

            _socketDisposed = true;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already shut down or never fully connected: nothing left to tell the peer.
        }

        _socket.Dispose();
    }

    private async Task RunLifetimeAsync()
    {
        await _receiveTask.ConfigureAwait(false);
        await _sendTask.ConfigureAwait(false);
        DisposeSocket();
        TransportMetrics.ActiveConnections.Add(-1, _tags);
        TransportMetrics.ClosedConnections.Add(1, _tags);
        Log.ConnectionClosed(_logger, Id);

        // Token callbacks are user code: run them off the connection's own thread.
        ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), _closedSource, preferLocal: false);
    }

    /// <summary>Bytes the peer sent that sit in the kernel's receive queue: closing now would answer them with a reset.</summary>
    private bool HasUnreadSocketInput()
    {
        try
        {
            return _socket.Available > 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false; // already torn down: nothing left to reset
        }
    }

    private static EndPoint? TryGetEndPoint(Socket socket, bool local)
    {
        try
        {
            return local ? socket.LocalEndPoint : socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// A connection pipe: the writer pauses once <paramref name="pauseThreshold"/> bytes wait (resuming at half), and
    /// both sides run inline, so a reply written while handling a receive goes out without a thread hop.
    /// </summary>
    /// <param name="pauseThreshold">Unconsumed bytes at which the writer pauses.</param>
    /// <param name="pool">The segments' pool; <see langword="null"/> for the shared array pool.</param>
    internal static Pipe CreatePipe(int pauseThreshold, System.Buffers.MemoryPool<byte>? pool = null) => new(new PipeOptions(
        pool: pool,
        minimumSegmentSize: SegmentSize,
        pauseWriterThreshold: pauseThreshold,
        resumeWriterThreshold: pauseThreshold / 2,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false));
}
