using System.Buffers;

namespace Ocean.Remoting.Protocol;

/// <summary>
/// A decoded request. Its slices point into the received frame: valid only until the connection's next receive
/// (the read loop unmarshals the arguments, or copies what it keeps, before reading again).
/// </summary>
internal readonly struct RequestMessage
{
    public required uint RequestId { get; init; }

    public required RequestFlags Flags { get; init; }

    public required ulong MethodId { get; init; }

    /// <summary>The caller's remaining budget in milliseconds when it sent the request; 0 means no deadline.</summary>
    public required uint DeadlineMilliseconds { get; init; }

    /// <summary>The target object's key, validated UTF-8 (1 to 255 bytes).</summary>
    public required ReadOnlySequence<byte> ObjectKey { get; init; }

    public required MetadataSection Metadata { get; init; }

    /// <summary>The arguments: one marshalling stream, starting at an offset that is a multiple of 8 in the message.</summary>
    public required ReadOnlySequence<byte> Arguments { get; init; }

    public string GetObjectKey() => WireReader.Decode(ObjectKey, "object key");
}

/// <summary>A decoded reply. <see cref="Result"/> points into the received frame (valid until the next receive).</summary>
internal readonly struct ReplyMessage
{
    public required uint RequestId { get; init; }

    public required RemotingStatus Status { get; init; }

    public required CompletionStatus Completion { get; init; }

    /// <summary>For <see cref="RemotingStatus.Ok"/>: the marshalled result (empty for a method without one), starting at offset 8.</summary>
    public ReadOnlySequence<byte> Result { get; init; }

    /// <summary>For an error: the remote exception's type name, or empty.</summary>
    public string? ErrorTypeName { get; init; }

    /// <summary>For an error: its message.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>For an error: the remote stack text, or <see langword="null"/> when the server sent none.</summary>
    public string? StackText { get; init; }
}

/// <summary>A decoded go-away.</summary>
internal readonly record struct GoAwayMessage(RemotingStatus Reason, string Message);
