namespace Ocean.Remoting;

/// <summary>
/// Code that runs around every call a server dispatches (gRPC's server interceptor): logging, authorization,
/// metrics. Interceptors run in the order they are listed in <see cref="RemotingServerOptions.Interceptors"/>, the
/// first outermost, before the arguments are read.
/// </summary>
/// <remarks>
/// To refuse a call, throw a <see cref="RemotingException"/> without calling <c>next</c>: its status reaches the
/// caller with completion <see cref="CompletionStatus.No"/> (use <see cref="RemotingStatus.PermissionDenied"/> for
/// authorization). Any other exception thrown before <c>next</c> reaches the caller as
/// <see cref="RemotingStatus.Internal"/>, also with completion no.
/// </remarks>
public interface IRemoteServerInterceptor
{
    /// <summary>Runs around one call.</summary>
    /// <param name="context">The call.</param>
    /// <param name="next">Runs the rest of the chain and the method; await it at most once.</param>
    /// <returns>A task that completes when the call has been handled.</returns>
    ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next);
}
