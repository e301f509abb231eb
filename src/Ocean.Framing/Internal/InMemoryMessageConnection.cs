using System.Buffers;
using System.Net;
using System.Threading.Channels;

namespace Ocean.Framing.Internal;

/// <summary>
/// One end of <see cref="MessageConnection.CreatePair"/>: messages are copied into pooled buffers and queued,
/// bounded, for the other end. Reliable and ordered; no sockets.
/// </summary>
internal sealed class InMemoryMessageConnection : MessageConnection
{
    private readonly Channel<QueuedDatagram> _inbox;
    private readonly int _maxMessageSize;
    private readonly ConnectionLifetime _lifetime = new();
    private readonly ReceiveCancellation _cancel = new();
    private readonly Lock _currentLock = new();
    private InMemoryMessageConnection _peer = null!;
    private byte[]? _current;
    private int _reading;

    private InMemoryMessageConnection(int maxMessageSize, int capacity)
    {
        _maxMessageSize = maxMessageSize;
        _inbox = Channel.CreateBounded<QueuedDatagram>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false, // a close drains it while a read may be running
            SingleWriter = false, // senders are concurrent
            FullMode = BoundedChannelFullMode.Wait, // a full inbox makes the sender wait: back-pressure
        });
    }

    public override string Id { get; } = ConnectionIds.Next('M');

    public override int MaxMessageSize => _maxMessageSize;

    public override bool IsReliable => true;

    public override bool IsOrdered => true;

    public override CancellationToken ConnectionClosed => _lifetime.Token;

    public override EndPoint? LocalEndPoint => null;

    public override EndPoint? RemoteEndPoint => null;

    public static (MessageConnection First, MessageConnection Second) CreateConnectedPair(int maxMessageSize, int capacity)
    {
        var first = new InMemoryMessageConnection(maxMessageSize, capacity);
        var second = new InMemoryMessageConnection(maxMessageSize, capacity);
        first._peer = second;
        second._peer = first;
        return (first, second);
    }

    public override ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("Another read is in progress on this message connection.");
        }

        return ReceiveCoreAsync(cancellationToken);
    }

    public override void CancelPendingReceive() => _cancel.Cancel();

    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        _lifetime.ThrowIfClosed();
        if (message.Length > _maxMessageSize)
        {
            throw TooLarge(message.Length);
        }

        return DeliverAsync(Copy(message.Span), cancellationToken);
    }

    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        _lifetime.ThrowIfClosed();
        var scratch = PooledBufferWriter.Rent(_maxMessageSize);
        QueuedDatagram message;
        try
        {
            writeMessage(state, scratch);
            message = Copy(scratch.WrittenSpan);
        }
        finally
        {
            PooledBufferWriter.Return(scratch);
        }

        return DeliverAsync(message, cancellationToken);
    }

    public override ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        Close(abort: false);
        return ValueTask.CompletedTask;
    }

    public override void Abort(Exception? reason = null) => Close(abort: true, reason);

    public override ValueTask DisposeAsync()
    {
        Close(abort: false);
        ReleaseCurrent();
        return ValueTask.CompletedTask;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageReceiveResult> ReceiveCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            ReleaseCurrent();
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
            using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(woken, cancellationToken) : null;
            try
            {
                do
                {
                    if (_inbox.Reader.TryRead(out var message))
                    {
                        lock (_currentLock)
                        {
                            _current = message.Buffer;
                        }

                        FramingMetrics.FramesReceived.Add(1);
                        return new MessageReceiveResult(new ReadOnlySequence<byte>(message.Buffer, 0, message.Length), isCanceled: false, isCompleted: false, remoteEndPoint: null);
                    }
                }
                while (await _inbox.Reader.WaitToReadAsync(linked?.Token ?? woken).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && woken.IsCancellationRequested && _cancel.TryConsume())
            {
                return MessageReceiveResult.Canceled;
            }

            // The inbox is completed: this end closed, or the peer did and everything it sent has been read.
            _lifetime.ThrowIfAborted();
            _lifetime.Signal();
            return MessageReceiveResult.Completed;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DeliverAsync(QueuedDatagram message, CancellationToken cancellationToken)
    {
        try
        {
            if (!_peer._inbox.Writer.TryWrite(message))
            {
                await _peer._inbox.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ChannelClosedException)
        {
            ArrayPool<byte>.Shared.Return(message.Buffer);
            _lifetime.ThrowIfClosed();
            _lifetime.Signal(); // the peer is gone: this end can send no more
            throw new Transport.ConnectionAbortedException("The peer has closed the connection; the message was not delivered.");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(message.Buffer);
            throw;
        }

        FramingMetrics.FramesSent.Add(1);
    }

    private void Close(bool abort, Exception? reason = null)
    {
        if (!_lifetime.TryClose(abort, reason))
        {
            return;
        }

        // This end reads nothing more; the peer reads what was already sent, then sees the end.
        _inbox.Writer.TryComplete();
        _peer._inbox.Writer.TryComplete();
        while (_inbox.Reader.TryRead(out var unread))
        {
            ArrayPool<byte>.Shared.Return(unread.Buffer);
        }
    }

    private void ReleaseCurrent()
    {
        byte[]? current;
        lock (_currentLock)
        {
            current = _current;
            _current = null;
        }

        if (current is not null)
        {
            ArrayPool<byte>.Shared.Return(current);
        }
    }

    private FramingException TooLarge(int length) =>
        new(FramingError.FrameTooLarge, $"A message of {length} bytes is larger than the connection's maximum of {_maxMessageSize}.");

    private static QueuedDatagram Copy(ReadOnlySpan<byte> message)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(message.Length, 1));
        message.CopyTo(buffer);
        return new QueuedDatagram(buffer, message.Length);
    }
}
