namespace Ocean.Remoting;

/// <summary>
/// The outcome of a remote call, carried in every reply (one byte on the wire) and by <see cref="RemotingException.Status"/>.
/// </summary>
/// <remarks>
/// The numbers are those of the gRPC status code with the same meaning, where there is one, so a bridge maps them
/// one to one; <see cref="ProtocolError"/> has none and is 32. The README's table says, for each, whether the method
/// ran (<see cref="CompletionStatus"/>).
/// </remarks>
public enum RemotingStatus
{
    /// <summary>The method ran and returned; the reply carries its result.</summary>
    Ok = 0,

    /// <summary>The caller cancelled the call.</summary>
    Cancelled = 1,

    /// <summary>The method ran and threw; the reply carries the remote exception's type name and message.</summary>
    ApplicationException = 2,

    /// <summary>The arguments could not be marshalled by the client or unmarshalled by the server.</summary>
    BadArguments = 3,

    /// <summary>The call's deadline passed before a reply arrived.</summary>
    DeadlineExceeded = 4,

    /// <summary>No object is exported under the target name on the server.</summary>
    UnknownObject = 5,

    /// <summary>An interceptor refused the call (authorization).</summary>
    PermissionDenied = 7,

    /// <summary>The server already runs its limit of concurrent calls on this connection; the call was not run.</summary>
    Busy = 8,

    /// <summary>The target object has no method with the requested method id (the client's interface differs from the server's).</summary>
    UnknownMethod = 12,

    /// <summary>The library failed in a way that is none of the above (a result that could not be marshalled, say).</summary>
    Internal = 13,

    /// <summary>No connection to the server, it was lost, or the server is shutting down.</summary>
    Unavailable = 14,

    /// <summary>The peer sent bytes that break the protocol.</summary>
    ProtocolError = 32,
}
