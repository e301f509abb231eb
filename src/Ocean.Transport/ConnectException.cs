using System.Net;

namespace Ocean.Transport;

/// <summary>
/// A connect attempt failed: the peer refused it, could not be reached, did not answer within the
/// connect timeout, or its host name did not resolve. <see cref="Failure"/> says which; the inner exception
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
    /// <param name="failure">Why the connect failed.</param>
    /// <param name="endPoint">The endpoint that was being connected to.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public ConnectException(ConnectFailure failure, EndPoint endPoint, Exception? innerException = null)
        : base(Describe(failure, endPoint), innerException)
    {
        Failure = failure;
        EndPoint = endPoint;
    }

    /// <summary>Creates an exception for a failed connect with a message of the caller's own.</summary>
    internal ConnectException(string message, ConnectFailure failure, EndPoint endPoint, Exception? innerException)
        : base(message, innerException)
    {
        Failure = failure;
        EndPoint = endPoint;
    }

    /// <summary>Why the connect failed.</summary>
    public ConnectFailure Failure { get; }

    /// <summary>The endpoint that was being connected to, when known.</summary>
    public EndPoint? EndPoint { get; }

    private static string Describe(ConnectFailure failure, EndPoint endPoint) => Describe(failure, Internal.EndPointText.Format(endPoint));

    private static string Describe(ConnectFailure failure, string endPoint) => failure switch
    {
        ConnectFailure.Refused => $"Connection to {endPoint} was refused: nothing is listening there.",
        ConnectFailure.Unreachable => $"Connection to {endPoint} failed: the host or network is unreachable.",
        ConnectFailure.TimedOut => $"Connection to {endPoint} timed out.",
        ConnectFailure.HostNotFound => $"Connection to {endPoint} failed: the host name could not be resolved.",
        _ => $"Connection to {endPoint} failed.",
    };
}
