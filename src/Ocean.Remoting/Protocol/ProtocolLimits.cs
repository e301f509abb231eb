namespace Ocean.Remoting.Protocol;

/// <summary>
/// The bounds a decoder checks on every count and length before it trusts it (and an encoder checks before it writes,
/// so it never produces what a decoder with the same limits refuses). The encoding's own field widths bound the rest:
/// an object key is at most 255 bytes, a metadata key 255, a metadata value 65,535, an error type name 65,535.
/// </summary>
internal sealed record ProtocolLimits
{
    /// <summary>The limits both sides use unless configured otherwise.</summary>
    public static ProtocolLimits Default { get; } = new();

    /// <summary>Metadata entries per request (64).</summary>
    public int MaxMetadataCount { get; init; } = 64;

    /// <summary>Bytes of one request's metadata section, counted as on the wire (16 KiB).</summary>
    public int MaxMetadataBytes { get; init; } = 16 * 1024;

    /// <summary>UTF-8 bytes of an error's remote type name (1,024).</summary>
    public int MaxErrorTypeNameLength { get; init; } = 1024;

    /// <summary>UTF-8 bytes of an error message (64 KiB); an encoder truncates a longer one at a character boundary.</summary>
    public int MaxErrorMessageLength { get; init; } = 64 * 1024;

    /// <summary>UTF-8 bytes of an error's stack text (64 KiB); an encoder truncates a longer one at a character boundary.</summary>
    public int MaxStackTextLength { get; init; } = 64 * 1024;

    /// <summary>UTF-8 bytes of a go-away message (1,024); an encoder truncates a longer one.</summary>
    public int MaxGoAwayMessageLength { get; init; } = 1024;
}
