namespace Ocean.Marshalling;

/// <summary>
/// A value could not be marshalled or unmarshalled: the type is not supported, a value has no
/// representation (such as null in CDR), or the bytes are malformed (truncated, a length beyond the
/// remaining bytes, an enum ordinal out of range, a bad union discriminator). Unmarshalling raises this and
/// nothing else, whatever the bytes. <see cref="Error"/> says which kind of failure it is.
/// </summary>
public sealed class MarshallingException : OceanException
{
    /// <summary>Creates an exception with a default message.</summary>
    public MarshallingException()
        : base("The value could not be marshalled.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public MarshallingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public MarshallingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception of a given kind.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">The details.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public MarshallingException(MarshallingError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What went wrong; <see cref="MarshallingError.Unspecified"/> only when created without a kind.</summary>
    public MarshallingError Error { get; }
}
