namespace Ocean.Remoting;

/// <summary>
/// The bytes a peer sent break the remoting protocol (truncated, oversized, corrupted, an unknown message kind, bad
/// UTF-8), or the connection's preamble showed a peer that cannot be spoken to (not Ocean, another version or
/// marshaller). Decoding raises this and nothing else, whatever the bytes. <see cref="RemotingException.Status"/> is
/// <see cref="RemotingStatus.ProtocolError"/>, or <see cref="RemotingStatus.Unavailable"/> for <see cref="RemotingProtocolError.Refused"/>.
/// </summary>
public sealed class RemotingProtocolException : RemotingException
{
    /// <summary>Creates an exception with a default message.</summary>
    public RemotingProtocolException()
        : this(RemotingProtocolError.Unspecified, CompletionStatus.Maybe, "The bytes break the remoting protocol.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public RemotingProtocolException(string message)
        : this(RemotingProtocolError.Unspecified, CompletionStatus.Maybe, message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public RemotingProtocolException(string message, Exception? innerException)
        : this(RemotingProtocolError.Unspecified, CompletionStatus.Maybe, message, innerException)
    {
    }

    /// <summary>Creates an exception of a given kind.</summary>
    /// <param name="error">What was wrong with the bytes.</param>
    /// <param name="completion">Whether a call affected by it ran: <see cref="CompletionStatus.No"/> for a connection refused at its preamble, <see cref="CompletionStatus.Maybe"/> when a message decoder cannot tell.</param>
    /// <param name="message">The details.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public RemotingProtocolException(RemotingProtocolError error, CompletionStatus completion, string message, Exception? innerException = null)
        : base(error == RemotingProtocolError.Refused ? RemotingStatus.Unavailable : RemotingStatus.ProtocolError, completion, message, innerException)
    {
        Error = error;
    }

    /// <summary>What was wrong with the bytes.</summary>
    public RemotingProtocolError Error { get; }
}
