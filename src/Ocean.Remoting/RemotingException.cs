namespace Ocean.Remoting;

/// <summary>
/// A remote call failed: <see cref="Status"/> says why, <see cref="Completion"/> whether the method ran. For an
/// exception thrown by the remote method (<see cref="RemotingStatus.ApplicationException"/>) it also carries the
/// remote exception's type name and, when the server sends detailed errors, its stack text.
/// </summary>
public class RemotingException : OceanException
{
    /// <summary>Creates an exception with a default message, <see cref="RemotingStatus.Internal"/> and <see cref="CompletionStatus.Maybe"/>.</summary>
    public RemotingException()
        : this(RemotingStatus.Internal, CompletionStatus.Maybe, "The remote call failed.")
    {
    }

    /// <summary>Creates an exception with the given message, <see cref="RemotingStatus.Internal"/> and <see cref="CompletionStatus.Maybe"/>.</summary>
    /// <param name="message">What went wrong.</param>
    public RemotingException(string message)
        : this(RemotingStatus.Internal, CompletionStatus.Maybe, message)
    {
    }

    /// <summary>Creates an exception with the given message and cause, <see cref="RemotingStatus.Internal"/> and <see cref="CompletionStatus.Maybe"/>.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public RemotingException(string message, Exception? innerException)
        : this(RemotingStatus.Internal, CompletionStatus.Maybe, message, innerException)
    {
    }

    /// <summary>Creates an exception with a status and a completion status.</summary>
    /// <param name="status">Why the call failed.</param>
    /// <param name="completion">Whether the method ran.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public RemotingException(RemotingStatus status, CompletionStatus completion, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        Completion = completion;
    }

    /// <summary>Why the call failed.</summary>
    public RemotingStatus Status { get; }

    /// <summary>Whether the method ran: <see cref="CompletionStatus.No"/> means a retry is safe.</summary>
    public CompletionStatus Completion { get; }

    /// <summary>The full name of the exception type the remote method threw, for <see cref="RemotingStatus.ApplicationException"/>; otherwise <see langword="null"/>.</summary>
    public string? RemoteTypeName { get; init; }

    /// <summary>
    /// The message of the exception the remote method threw, as the server sent it (<see cref="Exception.Message"/> is
    /// that message prefixed with <see cref="RemoteTypeName"/>); otherwise <see langword="null"/>.
    /// </summary>
    public string? RemoteMessage { get; init; }

    /// <summary>The remote stack text, only when the server enables detailed errors; otherwise <see langword="null"/>.</summary>
    public string? RemoteStackText { get; init; }
}
