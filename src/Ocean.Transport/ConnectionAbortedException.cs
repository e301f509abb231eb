namespace Ocean.Transport;

/// <summary>
/// Raised by a connection's pipes after the connection was aborted, locally (<see cref="Connection.Abort"/>,
/// an idle timeout, a server shutdown past its deadline) or because of a transport error.
/// </summary>
public sealed class ConnectionAbortedException : TransportException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ConnectionAbortedException()
        : base(TransportError.ConnectionAborted, "The connection was aborted.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">Why the connection was aborted.</param>
    public ConnectionAbortedException(string message)
        : base(TransportError.ConnectionAborted, message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">Why the connection was aborted.</param>
    /// <param name="innerException">The exception that caused the abort.</param>
    public ConnectionAbortedException(string message, Exception? innerException)
        : base(TransportError.ConnectionAborted, message, innerException)
    {
    }
}
