namespace Ocean.Transport;

/// <summary>What went wrong in Ocean.Transport; carried by <see cref="TransportException.Error"/>.</summary>
public enum TransportError
{
    /// <summary>A failure that fits none of the other kinds; see the inner exception.</summary>
    Other = 0,

    /// <summary>A connect was refused: nothing listens on that port (TCP RST, or no socket file for Unix sockets).</summary>
    ConnectionRefused,

    /// <summary>A connect found no route to the host or its network.</summary>
    HostUnreachable,

    /// <summary>The connect timeout elapsed before the connection was established.</summary>
    ConnectTimedOut,

    /// <summary>The host name could not be resolved to an address.</summary>
    HostNotFound,

    /// <summary>The connection was aborted, locally or by a transport error, and can no longer be used.</summary>
    ConnectionAborted,
}
