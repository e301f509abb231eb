namespace Ocean.Transport;

/// <summary>
/// A problem detected by Ocean.Transport: a failed connect, an aborted connection, a misuse of a transport.
/// <see cref="Error"/> says which; <see cref="ConnectException"/> and <see cref="ConnectionAbortedException"/>
/// are the subtypes that carry more detail.
/// </summary>
public class TransportException : OceanException
{
    /// <summary>Creates an exception with a default message.</summary>
    public TransportException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public TransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public TransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception of the given kind.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">A description for people.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public TransportException(TransportError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What went wrong.</summary>
    public TransportError Error { get; }
}
