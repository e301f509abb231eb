using System.IO.Pipelines;
using System.Net.Sockets;

namespace Ocean.Transport.Internal;

internal sealed partial class SocketConnection
{
    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var writer = _input.Writer;
        var budgeted = _budgetedInput;
        var receiveSize = new ReceiveSizer(MaxReadBufferSize);
        try
        {
            while (true)
            {
                if (_waitForData && !receiveSize.MoreQueued)
                {
                    // Wait for readability before renting a buffer, so an idle connection holds none. Skipped right
                    // after a receive that filled its buffer: more is probably queued, and the wait would cost a system call.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                var buffer = writer.GetMemory(receiveSize.Hint);
                var received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break; // the peer finished sending
                }

                receiveSize.Observe(received, buffer.Length);

                MarkActive();
                TransportMetrics.BytesReceived.Add(received);
                if (budgeted is not null && !budgeted.TryReserve(received))
                {
                    // Aborting, not waiting: a stalled peer would otherwise stall every connection of the server.
                    AbortOverBudget(budgeted.Budget, ApplicationId);
                    break;
                }

                writer.Advance(received);

                var flush = await DeliverAsync(writer).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    if (Volatile.Read(ref _closeStarted) != 0 && !IsAborted)
                    {
                        await DiscardUntilEndAsync().ConfigureAwait(false);
                    }

                    break; // the application stopped reading, or the connection is closing
                }
            }
        }
        catch (SocketException ex) when (SocketErrors.IsConnectionGone(ex.SocketErrorCode))
        {
            if (!IsAborted && Volatile.Read(ref _closeStarted) == 0)
            {
                Log.ConnectionGone(_logger, Id, ex.SocketErrorCode);
            }
        }
        catch (ObjectDisposedException)
        {
            // We closed the socket ourselves.
        }
        catch (Exception ex)
        {
            error = ex;
            Log.ConnectionError(_logger, Id, ex);
        }
        finally
        {
            budgeted?.EndWriting();
            await writer.CompleteAsync(IsAborted ? CreateAbortException() : error).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Flushes received bytes to the reader. Its pipe scheduler is inline, so a waiting reader runs on this thread
    /// before the flush returns; the burst observer then hears that the reader is done with this receive.
    /// </summary>
    private ValueTask<FlushResult> DeliverAsync(PipeWriter writer)
    {
        var observer = Volatile.Read(ref _burstObserver);
        if (observer is null)
        {
            return writer.FlushAsync();
        }

        ValueTask<FlushResult> flush;
        Volatile.Write(ref _deliveringThread, Environment.CurrentManagedThreadId);
        try
        {
            flush = writer.FlushAsync();
        }
        finally
        {
            Volatile.Write(ref _deliveringThread, 0);
        }

        observer.OnInputBurstDelivered();
        return flush;
    }

    /// <summary>While closing: read and drop whatever still arrives until the peer's FIN.</summary>
    private async Task DiscardUntilEndAsync()
    {
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(MinimumReceiveSize);
        try
        {
            while (await _socket.ReceiveAsync(scratch, SocketFlags.None).ConfigureAwait(false) > 0)
            {
                MarkActive();
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
