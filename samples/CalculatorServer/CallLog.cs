using System.Diagnostics;
using Ocean.Remoting;

namespace Ocean.Samples;

/// <summary>
/// A server interceptor that prints one line per call: the caller, the object and method, how it ended and how long
/// it took. It runs around every call (gRPC style); an authorization check would be written the same way, throwing a
/// <see cref="RemotingException"/> with <see cref="RemotingStatus.PermissionDenied"/> instead of calling <c>next</c>.
/// </summary>
internal sealed class CallLog : IRemoteServerInterceptor
{
    public async ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next)
    {
        var start = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The method's token fires for a cancel from the caller and for the deadline; the time tells them apart
            // (within a timer tick: the token's timer and the deadline's timestamp are taken a moment apart).
            outcome = context.Deadline is { } deadline && DateTimeOffset.UtcNow >= deadline - TimeSpan.FromMilliseconds(20) ? "deadline passed" : "cancelled";
            throw;
        }
        catch (Exception ex)
        {
            outcome = $"threw {ex.GetType().Name}";
            throw;
        }
        finally
        {
            var tenant = context.GetMetadata("tenant") is { } t ? $" tenant={t}" : string.Empty;
            var udp = context.ConnectionId.Contains('/') ? "udp " : string.Empty; // a UDP call's id is "U..../client id"; a connection's has no '/'
            Console.WriteLine($"{udp}{context.PeerEndPoint}: {context.ObjectName}.{context.Method.Name}{tenant} -> {outcome} ({Stopwatch.GetElapsedTime(start).TotalMilliseconds:F1} ms)");
        }
    }
}
