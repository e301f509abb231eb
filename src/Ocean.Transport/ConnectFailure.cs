namespace Ocean.Transport;

/// <summary>Why a connect attempt failed; carried by <see cref="ConnectException.Failure"/>.</summary>
public enum ConnectFailure
{
    /// <summary>A failure that fits none of the other kinds; see the inner exception.</summary>
    Other = 0,

    /// <summary>The peer answered that nothing listens on that port (TCP RST, or no socket file for Unix sockets).</summary>
    Refused,

    /// <summary>No route to the host or its network.</summary>
    Unreachable,

    /// <summary>The connect timeout elapsed before the connection was established.</summary>
    TimedOut,

    /// <summary>The host name could not be resolved to an address.</summary>
    HostNotFound,
}
