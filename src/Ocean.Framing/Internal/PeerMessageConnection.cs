using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

/// <summary>One UDP peer of a <see cref="DatagramMessageListener"/>: its datagrams arrive through a bounded queue.</summary>
internal sealed class PeerMessageConnection : MessageConnection
{
    private readonly DatagramMessageListener _listener;
    private readonly IPEndPoint _peer;
    private readonly Channel<Datagram> _queue;
    private Datagram? _current;
    private long _lastActivity;
    private int _closed;

    public PeerMessageConnection(DatagramMessageListener listener, IPEndPoint peer, int capacity, long now)
    {
        _listener = listener;
        _peer = peer;
        _lastActivity = now;
        _queue = Channel.CreateBounded<Datagram>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the listener drops and counts
        });
    }

    public override EndPoint? LocalEndPoint => _listener.EndPoint;

    public override EndPoint? RemoteEndPoint => _peer;

    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Called by the listener's receive loop.</summary>
    public bool TryEnqueue(Datagram datagram, long now)
    {
        Volatile.Write(ref _lastActivity, now);
        return _queue.Writer.TryWrite(datagram);
    }

    /// <summary>Ends the connection: reads complete once queued datagrams are read.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<MessageReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        _current?.Dispose();
        _current = null;
        while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_queue.Reader.TryRead(out var datagram))
            {
                _current = datagram;
                FramingMetrics.FramesReceived.Add(1);
                return new MessageReadResult(new ReadOnlySequence<byte>(datagram.Payload), isCompleted: false);
            }
        }

        return new MessageReadResult(default, isCompleted: true);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        await _listener.Socket.SendToAsync(message, _peer, cancellationToken).ConfigureAwait(false);
        FramingMetrics.FramesSent.Add(1);
    }

    public override async ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        ThrowIfClosed();
        var scratch = PooledBufferWriter.Rent();
        try
        {
            writeMessage(state, scratch);
            await _listener.Socket.SendToAsync(scratch.WrittenMemory, _peer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            PooledBufferWriter.Return(scratch);
        }

        FramingMetrics.FramesSent.Add(1);
    }

    public override ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        Abort();
        return ValueTask.CompletedTask;
    }

    public override void Abort(Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _listener.Remove(_peer, this);
        Complete();
        while (_queue.Reader.TryRead(out var pending))
        {
            pending.Dispose();
        }
    }

    public override ValueTask DisposeAsync()
    {
        Abort();
        _current?.Dispose();
        _current = null;
        return ValueTask.CompletedTask;
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new ConnectionAbortedException("The message connection is closed.");
        }
    }
}
