namespace Ocean.Framing;

/// <summary>
/// The bytes on a connection do not form valid frames: a line or frame too long, a bad length prefix, a
/// truncated frame, malformed text, or a frame that took longer than its deadline. A message connection
/// that raises it has closed its transport; other connections are unaffected.
/// </summary>
public sealed class FramingException : OceanException
{
    /// <summary>Creates an exception with a default message.</summary>
    public FramingException()
        : base("The bytes do not form a valid frame.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public FramingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public FramingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception of a given kind.</summary>
    /// <param name="error">What was wrong.</param>
    /// <param name="message">The details.</param>
    public FramingException(FramingError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>What was wrong with the bytes.</summary>
    public FramingError Error { get; }
}
