using System.Buffers;
using Ocean.Transport;

namespace Ocean.Framing.Internal;

internal sealed partial class StreamMessageConnection
{
    private readonly Lock _writeLock = new();
    private bool _flushing;
    private bool _flushAgain;
    private TaskCompletionSource? _nextFlush;

    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_writeLock)
        {
            _codec.WriteFrame(message.Span, _writer);
        }

        FramingMetrics.FramesSent.Add(1);
        return FlushAsync();
    }

    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        cancellationToken.ThrowIfCancellationRequested();

        // The message is written aside first, so a writer that throws leaves the stream untouched.
        var scratch = PooledBufferWriter.Rent();
        try
        {
            writeMessage(state, scratch);
            lock (_writeLock)
            {
                _codec.WriteFrame(scratch.WrittenSpan, _writer);
            }
        }
        finally
        {
            PooledBufferWriter.Return(scratch);
        }

        FramingMetrics.FramesSent.Add(1);
        return FlushAsync();
    }

    /// <summary>
    /// Flushes what is written. While one flush is in progress, later senders do not flush on their own:
    /// the flushing sender flushes once more for all of them, so their frames go out together.
    /// </summary>
    private ValueTask FlushAsync()
    {
        ValueTask<System.IO.Pipelines.FlushResult> flush;
        lock (_writeLock)
        {
            if (_flushing)
            {
                _flushAgain = true;
                return new ValueTask((_nextFlush ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task);
            }

            flush = _writer.FlushAsync();
            if (flush.IsCompletedSuccessfully)
            {
                // The common case: the pipe took the bytes at once.
                var result = flush.Result;
                return result.IsCompleted || result.IsCanceled ? ValueTask.FromException(Closed()) : ValueTask.CompletedTask;
            }

            _flushing = true;
        }

        return FlushLoopAsync(flush);
    }

    private async ValueTask FlushLoopAsync(ValueTask<System.IO.Pipelines.FlushResult> pending)
    {
        TaskCompletionSource? served = null; // the senders whose frames the pending flush carries
        try
        {
            while (true)
            {
                var result = await pending.ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled)
                {
                    throw Closed();
                }

                served?.TrySetResult();
                lock (_writeLock)
                {
                    if (!_flushAgain)
                    {
                        _flushing = false;
                        return;
                    }

                    _flushAgain = false;
                    served = _nextFlush;
                    _nextFlush = null;
                    pending = _writer.FlushAsync();
                }
            }
        }
        catch (Exception ex)
        {
            served?.TrySetException(ex);
            lock (_writeLock)
            {
                _nextFlush?.TrySetException(ex);
                _nextFlush = null;
                _flushAgain = false;
                _flushing = false;
            }

            throw;
        }
    }

    private static ConnectionAbortedException Closed() => new("The connection is closed; the message may not have been delivered.");
}
