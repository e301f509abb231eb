using System.Net;

namespace Ocean.Transport;

/// <summary>
/// A connect attempt failed: the peer refused it, could not be reached, did not answer within the
/// connect timeout, or its host name did not resolve. <see cref="TransportException.Error"/> says which; the inner exception
/// is a <see cref="System.Net.Sockets.SocketException"/>: the one the OS reported or, when the connect
/// timeout elapsed, one with <see cref="System.Net.Sockets.SocketError.TimedOut"/>.
/// </summary>
/// <remarks>Cancellation through the caller's token is reported as <see cref="OperationCanceledException"/>, not as this type.</remarks>
public sealed class ConnectException : TransportException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ConnectException()
        : this("The connection could not be established.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public ConnectException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ConnectException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a failed connect to <paramref name="endPoint"/>.</summary>
    /// <param name="error">Why the connect failed: <see cref="TransportError.ConnectionRefused"/>,
    /// <see cref="TransportError.HostUnreachable"/>, <see cref="TransportError.ConnectTimedOut"/>,
    /// <see cref="TransportError.HostNotFound"/> or <see cref="TransportError.Other"/>.</param>
    /// <param name="endPoint">The endpoint that was being connected to.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public ConnectException(TransportError error, EndPoint endPoint, Exception? innerException = null)
        : base(error, Describe(error, endPoint), innerException)
    {
        EndPoint = endPoint;
    }

    /// <summary>Creates an exception for a failed connect with a message of the caller's own.</summary>
    internal ConnectException(string message, TransportError error, EndPoint endPoint, Exception? innerException)
        : base(error, message, innerException)
    {
        EndPoint = endPoint;
    }

    /// <summary>The endpoint that was being connected to, when known.</summary>
    public EndPoint? EndPoint { get; }

    private static string Describe(TransportError error, EndPoint endPoint) => Describe(error, Internal.EndPointText.Format(endPoint));

    private static string Describe(TransportError error, string endPoint) => error switch
    {
        TransportError.ConnectionRefused => $"Connection to {endPoint} was refused: nothing is listening there.",
        TransportError.HostUnreachable => $"Connection to {endPoint} failed: the host or network is unreachable.",
        TransportError.ConnectTimedOut => $"Connection to {endPoint} timed out.",
        TransportError.HostNotFound => $"Connection to {endPoint} failed: the host name could not be resolved.",
        _ => $"Connection to {endPoint} failed.",
    };
}
