namespace Ocean;

/// <summary>
/// The root of every exception that Ocean itself raises. Each layer derives its own subtype
/// (<see cref="Transport.TransportException"/> in Ocean.Transport); .NET's own exceptions (<see cref="System.Net.Sockets.SocketException"/>,
/// <see cref="IOException"/>, <see cref="OperationCanceledException"/>, <see cref="TimeoutException"/>)
/// pass through unchanged where they are the natural ones.
/// </summary>
public class OceanException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public OceanException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public OceanException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public OceanException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
