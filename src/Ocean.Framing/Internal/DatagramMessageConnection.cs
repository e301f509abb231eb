using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

/// <summary>
/// Messages over a UDP socket: one datagram, one message. Connected, it talks to its one peer; unconnected,
/// it sends to a fixed destination (a peer or a multicast group), or to any endpoint it is given, and reads
/// whatever arrives, telling who sent each datagram.
/// </summary>
internal sealed class DatagramMessageConnection(DatagramSocket socket, MessageConnectionOptions options, IPEndPoint? destination = null) : MessageConnection
{
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(DatagramSocket.MaxIPv6DatagramSize);
    private readonly int _maxDatagramSize = DatagramSocket.MaxDatagramSize(destination ?? socket.RemoteEndPoint!);
    private readonly ConnectionLifetime _lifetime = new();
    private readonly ReceiveCancellation _cancel = new();
    private ExceptionDispatchInfo? _failure;
    private CancellationTokenSource? _readSource; // what a read waits on when it needs more than _cancel's token; reused while never cancelled
    private int _reading;

    public override string Id { get; } = ConnectionIds.Next('U');

    public override int MaxMessageSize => _maxDatagramSize;

    public override bool IsReliable => false;

    public override bool IsOrdered => false;

    public override CancellationToken ConnectionClosed => _lifetime.Token;

    public override EndPoint? LocalEndPoint => socket.LocalEndPoint;

    public override EndPoint? RemoteEndPoint => destination ?? socket.RemoteEndPoint;

    public override ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            // Refused before anything else: a second read must not take a CancelPendingReceive meant for the first.
            throw new InvalidOperationException("Another read is in progress on this message connection.");
        }

        return ReceiveCoreAsync(cancellationToken);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageReceiveResult> ReceiveCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            _failure?.Throw();
            _lifetime.ThrowIfAborted();
            if (_lifetime.IsClosed)
            {
                return MessageReceiveResult.Completed;
            }

            if (_cancel.TryConsume())
            {
                return MessageReceiveResult.Canceled;
            }

            var woken = _cancel.Token;
            var idleTimeout = options.IdleTimeout;
            CancellationTokenSource? read = null;
            CancellationTokenRegistration wokenRegistration = default;
            CancellationTokenRegistration callerRegistration = default;
            DatagramReceiveResult result;
            try
            {
                var token = woken;
                if (idleTimeout != Timeout.InfiniteTimeSpan || cancellationToken.CanBeCanceled)
                {
                    // One source for the read, reused from read to read (no timer source and linked source per read): the
                    // idle timer arms it, and the other two tokens cancel it through registrations, whose nodes their
                    // sources recycle.
                    read = _readSource ??= new CancellationTokenSource(Timeout.InfiniteTimeSpan, options.TimeProvider);
                    wokenRegistration = woken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), read);
                    if (cancellationToken.CanBeCanceled)
                    {
                        callerRegistration = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), read);
                    }

                    if (idleTimeout != Timeout.InfiniteTimeSpan)
                    {
                        read.CancelAfter(idleTimeout);
                    }

                    token = read.Token;
                }

                result = await socket.ReceiveAsync(_buffer, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted } or OperationCanceledException && _lifetime.IsClosed)
            {
                _lifetime.ThrowIfAborted();
                return MessageReceiveResult.Completed;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && woken.IsCancellationRequested && _cancel.TryConsume())
            {
                return MessageReceiveResult.Canceled;
            }
            catch (OperationCanceledException ex) when (read?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested && !woken.IsCancellationRequested)
            {
                // Neither the caller's token nor a CancelPendingReceive: the idle timer.
                FramingMetrics.CountError("IdleTimeout");
                var timeout = new TimeoutException($"No message arrived for {options.IdleTimeout}.", ex);
                _failure = ExceptionDispatchInfo.Capture(timeout);
                Close(abort: false);
                throw timeout;
            }
            finally
            {
                if (read is not null)
                {
                    // Disposing waits for a callback running now, so once done nothing cancels the source behind our back.
                    wokenRegistration.Dispose();
                    callerRegistration.Dispose();
                    if (idleTimeout != Timeout.InfiniteTimeSpan)
                    {
                        read.CancelAfter(Timeout.InfiniteTimeSpan);
                    }

                    if (read.IsCancellationRequested)
                    {
                        // Spent (a source cannot be reset once cancelled): the next read takes a new one.
                        _readSource = null;
                        read.Dispose();
                    }
                }
            }

            FramingMetrics.FramesReceived.Add(1);
            return new MessageReceiveResult(new ReadOnlySequence<byte>(_buffer, 0, result.Length), isCanceled: false, isCompleted: false, result.RemoteEndPoint);
        }
        finally
        {
            Volatile.Write(ref _reading, 0); // set by ReceiveAsync: one read at a time
        }
    }

    public override void CancelPendingReceive() => _cancel.Cancel();

    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        _lifetime.ThrowIfClosed();
        return SendDatagramAsync(message, destination, cancellationToken);
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, EndPoint destination, CancellationToken cancellationToken = default)
    {
        var to = Destination(destination);
        _lifetime.ThrowIfClosed();
        return SendDatagramAsync(message, to, cancellationToken);
    }

    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default) =>
        SendWrittenAsync(state, writeMessage, destination, cancellationToken);

    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, EndPoint destination, CancellationToken cancellationToken = default) =>
        SendWrittenAsync(state, writeMessage, Destination(destination), cancellationToken);

    public override ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        Close(abort: false);
        return ValueTask.CompletedTask;
    }

    public override void Abort(Exception? reason = null) => Close(abort: true, reason);

    public override ValueTask DisposeAsync() => CloseAsync();

    private void Close(bool abort, Exception? reason = null)
    {
        if (_lifetime.TryClose(abort, reason))
        {
            socket.Dispose(); // wakes a pending receive
        }
    }

    /// <summary>An explicit destination: only for an unconnected socket (a connected one cannot send elsewhere).</summary>
    private IPEndPoint Destination(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (socket.RemoteEndPoint is not null)
        {
            throw new NotSupportedException("This UDP socket is connected to one peer; it cannot send to another endpoint.");
        }

        return endPoint as IPEndPoint ?? throw new ArgumentException("A UDP destination must be an IPEndPoint.", nameof(endPoint));
    }

    private async ValueTask SendWrittenAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, IPEndPoint? to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        _lifetime.ThrowIfClosed();
        var scratch = PooledBufferWriter.Rent(to is null ? _maxDatagramSize : DatagramSocket.MaxDatagramSize(to));
        try
        {
            writeMessage(state, scratch);
            await SendDatagramAsync(scratch.WrittenMemory, to, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            PooledBufferWriter.Return(scratch);
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendDatagramAsync(ReadOnlyMemory<byte> datagram, IPEndPoint? to, CancellationToken cancellationToken)
    {
        var max = to is null ? _maxDatagramSize : DatagramSocket.MaxDatagramSize(to);
        if (datagram.Length > max)
        {
            // The same error as an oversized frame on a stream, before the socket would refuse it differently.
            throw new FramingException(FramingError.FrameTooLarge, $"A message of {datagram.Length} bytes does not fit in one UDP datagram to {to ?? RemoteEndPoint} (at most {max} bytes).");
        }

        try
        {
            if (to is null)
            {
                await socket.SendAsync(datagram, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.SendAsync(datagram, to, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted } && _lifetime.IsClosed)
        {
            throw _lifetime.SendFailure();
        }

        FramingMetrics.FramesSent.Add(1);
    }
}
