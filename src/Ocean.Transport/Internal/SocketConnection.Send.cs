using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ocean.Transport.Internal;

internal sealed partial class SocketConnection
{
    private const int MaxGatherSegments = 64;

    private List<ArraySegment<byte>>? _gatherList;
    private GatherSender? _gatherSender;

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        var reader = _output.Reader;
        var graceful = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break; // aborted
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await SendAsync(buffer).ConfigureAwait(false);
                    MarkActive();
                    TransportMetrics.BytesSent.Add(buffer.Length);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    graceful = true;
                    break;
                }
            }

            if (graceful && !IsAborted)
            {
                _socket.Shutdown(SocketShutdown.Send); // half-close: the peer reads end-of-stream
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
            await reader.CompleteAsync(IsAborted ? CreateAbortException() : error).ConfigureAwait(false);
            _gatherSender?.Dispose(); // no send is in flight once the loop has ended
            if (!graceful)
            {
                // Sending failed: nothing more can be said on this connection, so stop receiving too.
                _input.Writer.CancelPendingFlush();
                DisposeSocket();
            }
        }
    }

    private async ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int sent;
            if (buffer.IsSingleSegment)
            {
                sent = await _socket.SendAsync(buffer.First, SocketFlags.None).ConfigureAwait(false);
            }
            else if (TryBuildGatherList(buffer))
            {
                sent = await (_gatherSender ??= new GatherSender()).SendAsync(_socket, _gatherList!).ConfigureAwait(false);
            }
            else
            {
                sent = await _socket.SendAsync(buffer.First, SocketFlags.None).ConfigureAwait(false);
            }

            buffer = buffer.Slice(sent);
        }
    }

    /// <summary>Collects up to <see cref="MaxGatherSegments"/> array-backed segments for one vectored send.</summary>
    private bool TryBuildGatherList(in ReadOnlySequence<byte> buffer)
    {
        var list = _gatherList ??= new List<ArraySegment<byte>>(MaxGatherSegments);
        list.Clear();
        foreach (var segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out var array))
            {
                return false;
            }

            list.Add(array);
            if (list.Count == MaxGatherSegments)
            {
                break;
            }
        }

        return true;
    }
}
