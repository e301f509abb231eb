namespace Ocean.Transport;

/// <summary>A problem detected by Ocean.Transport: a failed connect, an aborted connection, a misuse of a transport.</summary>
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
}
