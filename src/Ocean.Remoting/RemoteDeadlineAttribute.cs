namespace Ocean.Remoting;

/// <summary>
/// The deadline of calls to a remote method (or to every method of an interface), overriding
/// <see cref="RemotingClientOptions.DefaultDeadline"/>; a <see cref="RemoteCallScope.WithDeadline"/> scope overrides it in turn.
/// </summary>
/// <remarks>
/// The deadline travels with the request as the time remaining; the server cancels the method's
/// <see cref="CancellationToken"/> when it passes, and the caller gets <see cref="RemotingStatus.DeadlineExceeded"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Interface, Inherited = false)]
public sealed class RemoteDeadlineAttribute : Attribute
{
    /// <summary>Sets the deadline in milliseconds.</summary>
    /// <param name="milliseconds">Milliseconds from the call's start; at least 1.</param>
    public RemoteDeadlineAttribute(int milliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(milliseconds, 1);
        Milliseconds = milliseconds;
    }

    /// <summary>The deadline in milliseconds from the call's start.</summary>
    public int Milliseconds { get; }

    /// <summary>The deadline as a time span.</summary>
    public TimeSpan Deadline => TimeSpan.FromMilliseconds(Milliseconds);
}
