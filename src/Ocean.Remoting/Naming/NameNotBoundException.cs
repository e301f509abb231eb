namespace Ocean.Remoting;

/// <summary>
/// A name that must be bound is not (as Java RMI's <c>NotBoundException</c> and CosNaming's <c>NotFound</c>): thrown by
/// the lookup conveniences that return a proxy, which cannot return one for nothing.
/// </summary>
public class NameNotBoundException : KeyNotFoundException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NameNotBoundException()
        : base("The name is not bound.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NameNotBoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public NameNotBoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
