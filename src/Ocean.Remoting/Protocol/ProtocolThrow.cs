using System.Diagnostics.CodeAnalysis;

namespace Ocean.Remoting.Protocol;

/// <summary>Throws off the hot path: every decoding failure is a <see cref="RemotingProtocolException"/>.</summary>
internal static class ProtocolThrow
{
    [DoesNotReturn]
    public static void Truncated(string what) =>
        throw new RemotingProtocolException(RemotingProtocolError.Truncated, CompletionStatus.Maybe, $"The message ended inside {what}.");

    [DoesNotReturn]
    public static void Claimed(string what, long claimed, long present) =>
        throw new RemotingProtocolException(RemotingProtocolError.Truncated, CompletionStatus.Maybe, $"The {what} claims {claimed} bytes but only {present} are left in the message.");

    [DoesNotReturn]
    public static void Limit(string what, long value, long limit) =>
        throw new RemotingProtocolException(RemotingProtocolError.LimitExceeded, CompletionStatus.Maybe, $"The {what} is {value}, more than the limit of {limit}.");

    [DoesNotReturn]
    public static void Malformed(string message) =>
        throw new RemotingProtocolException(RemotingProtocolError.Malformed, CompletionStatus.Maybe, message);

    [DoesNotReturn]
    public static void InvalidText(string what) =>
        throw new RemotingProtocolException(RemotingProtocolError.InvalidText, CompletionStatus.Maybe, $"The {what} is not valid UTF-8.");

    [DoesNotReturn]
    public static void Trailing(string what, long count) =>
        throw new RemotingProtocolException(RemotingProtocolError.TrailingBytes, CompletionStatus.Maybe, $"{count} bytes are left over after the {what}.");

    [DoesNotReturn]
    public static void UnknownKind(int kind) =>
        throw new RemotingProtocolException(RemotingProtocolError.UnknownMessageKind, CompletionStatus.Maybe, $"0x{kind:X2} names no message kind.");
}
