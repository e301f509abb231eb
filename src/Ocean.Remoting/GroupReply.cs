using System.Net;

namespace Ocean.Remoting;

/// <summary>One member's answer to a group call (<see cref="RemotingGroupClient.CallAsync{T, TResult}"/>): its result, or its error.</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
public sealed class GroupReply<TResult>
{
    private readonly TResult _result;

    internal GroupReply(EndPoint from, TResult result, RemotingException? error)
    {
        From = from;
        _result = result;
        Error = error;
    }

    /// <summary>The member that answered (the source of its reply).</summary>
    public EndPoint From { get; }

    /// <summary>Whether the member ran the method and returned a result.</summary>
    public bool IsSuccess => Error is null;

    /// <summary>The member's result.</summary>
    /// <exception cref="RemotingException">The member answered with an error (<see cref="Error"/>).</exception>
    public TResult Result => Error is null ? _result : throw new RemotingException(Error.Status, Error.Completion, $"{From} answered with an error: {Error.Message}", Error);

    /// <summary>The member's error, or <see langword="null"/>.</summary>
    public RemotingException? Error { get; }

    /// <inheritdoc/>
    public override string ToString() => Error is null ? $"{From}: {_result}" : $"{From}: {Error.Status}: {Error.Message}";
}
