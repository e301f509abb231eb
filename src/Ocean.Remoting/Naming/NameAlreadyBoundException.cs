namespace Ocean.Remoting;

/// <summary>
/// <see cref="INamingService.BindAsync"/> or <see cref="NameRegistry.Bind"/> was given a name that is already bound (as
/// Java RMI's <c>AlreadyBoundException</c> and CosNaming's <c>AlreadyBound</c>); use rebind to replace a binding.
/// </summary>
public class NameAlreadyBoundException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NameAlreadyBoundException()
        : base("The name is already bound.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NameAlreadyBoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause (the form a client's <c>RethrownExceptions</c> needs).</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public NameAlreadyBoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
