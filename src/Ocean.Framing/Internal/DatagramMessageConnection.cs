using System.Buffers;
using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

/// <summary>
/// Messages over a UDP socket: one datagram, one message. Connected, it talks to its one peer; unconnected,
/// it sends to a fixed destination (a peer or a multicast group) and reads whatever arrives.
/// </summary>
internal sealed class DatagramMessageConnection(DatagramSocket socket, MessageConnectionOptions options, IPEndPoint? destination = null) : MessageConnection
{
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(DatagramSocket.MaxIPv6DatagramSize);
    private readonly int _maxDatagramSize = DatagramSocket.MaxDatagramSize(destination ?? socket.RemoteEndPoint!);
    private int _closed;

    public override EndPoint? LocalEndPoint => socket.LocalEndPoint;

    public override EndPoint? RemoteEndPoint => destination ?? socket.RemoteEndPoint;

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return new MessageReceiveResult(default, isCompleted: true);
        }

        DatagramReceiveResult result;
        try
        {
            if (options.IdleTimeout == Timeout.InfiniteTimeSpan)
            {
                result = await socket.ReceiveAsync(_buffer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var idle = new CancellationTokenSource(options.IdleTimeout, options.TimeProvider);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, cancellationToken);
                try
                {
                    result = await socket.ReceiveAsync(_buffer, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    FramingMetrics.CountError("IdleTimeout");
                    throw new TimeoutException($"No message arrived for {options.IdleTimeout}.", ex);
                }
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.OperationAborted } && Volatile.Read(ref _closed) != 0)
        {
            return new MessageReceiveResult(default, isCompleted: true);
        }

        FramingMetrics.FramesReceived.Add(1);
        return new MessageReceiveResult(new ReadOnlySequence<byte>(_buffer, 0, result.Length), isCompleted: false);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        await SendDatagramAsync(message, cancellationToken).ConfigureAwait(false);
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
            await SendDatagramAsync(scratch.WrittenMemory, cancellationToken).ConfigureAwait(false);
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
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            socket.Dispose();
        }
    }

    public override ValueTask DisposeAsync() => CloseAsync();

    private ValueTask SendDatagramAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        if (datagram.Length > _maxDatagramSize)
        {
            throw new FramingException(FramingError.FrameTooLarge, $"A message of {datagram.Length} bytes does not fit in one UDP datagram to {RemoteEndPoint} (at most {_maxDatagramSize} bytes).");
        }

        return destination is null ? socket.SendAsync(datagram, cancellationToken) : socket.SendAsync(datagram, destination, cancellationToken);
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new ConnectionAbortedException("The message connection is closed.");
        }
    }
}
