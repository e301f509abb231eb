namespace Ocean.Remoting;

/// <summary>
/// Code that runs around every call a client makes (gRPC's client interceptor): adding metadata (an auth token),
/// adjusting the deadline, logging. Interceptors run in the order listed in
/// <see cref="RemotingClientOptions.Interceptors"/>, the first outermost.
/// </summary>
/// <remarks>Throwing before <c>next</c> refuses the call locally: nothing is sent, and the caller sees that exception.</remarks>
public interface IRemoteClientInterceptor
{
    /// <summary>Runs around one call.</summary>
    /// <param name="context">The call.</param>
    /// <param name="next">Sends the call and awaits its reply; await it at most once. It throws what the call throws.</param>
    /// <returns>A task that completes when the call has completed.</returns>
    ValueTask InterceptAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next);
}
