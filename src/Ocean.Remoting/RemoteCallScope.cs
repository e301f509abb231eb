namespace Ocean.Remoting;

/// <summary>
/// Settings for the remote calls made in a scope (on this async flow, until the scope is disposed): a deadline and
/// metadata headers. Scopes nest: an inner deadline replaces an outer one, metadata accumulates.
/// </summary>
/// <remarks>
/// Dispose scopes in reverse order (<c>using</c> does). A scope disposed while an inner one is still open keeps applying
/// through the inner one (whose settings include it) until that one is disposed; then neither applies.
/// </remarks>
/// <example>
/// <code>
/// using (RemoteCallScope.WithDeadline(TimeSpan.FromSeconds(2)))
/// using (RemoteCallScope.WithMetadata("tenant", "acme"))
/// {
///     int sum = await calculator.AddAsync(2, 3);
/// }
/// </code>
/// </example>
public sealed class RemoteCallScope : IDisposable
{
    private static readonly AsyncLocal<RemoteCallScope?> s_current = new();

    private readonly RemoteCallScope? _outer;
    private bool _disposed;

    private RemoteCallScope(RemoteCallScope? outer, TimeSpan? deadline, KeyValuePair<string, string>? entry)
    {
        _outer = outer;
        Deadline = deadline ?? outer?.Deadline;
        Metadata = entry is { } e ? [.. outer?.Metadata ?? [], e] : outer?.Metadata ?? [];
    }

    /// <summary>The deadline of calls in this scope, if one was set here or in an enclosing scope.</summary>
    public TimeSpan? Deadline { get; }

    /// <summary>The metadata entries sent with every call in this scope (enclosing scopes' first).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; }

    internal static RemoteCallScope? Current => s_current.Value;

    /// <summary>Calls in the scope get <paramref name="deadline"/>, whatever the client options or attributes say.</summary>
    /// <param name="deadline">The time each call may take, from its start; positive.</param>
    /// <returns>The scope; dispose it to end it.</returns>
    public static RemoteCallScope WithDeadline(TimeSpan deadline)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(deadline, TimeSpan.Zero);
        return Push(deadline, null);
    }

    /// <summary>Calls in the scope carry the header <paramref name="key"/>=<paramref name="value"/>.</summary>
    /// <param name="key">1 to 255 characters from <c>a-z 0-9 - _ .</c> (lower case, as in gRPC).</param>
    /// <param name="value">The value, up to 65,535 UTF-8 bytes.</param>
    /// <returns>The scope; dispose it to end it.</returns>
    /// <exception cref="ArgumentException">The key or value breaks those rules.</exception>
    public static RemoteCallScope WithMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!Protocol.MessageDecoder.IsValidKey(key))
        {
            throw new ArgumentException($"Metadata key '{key}' is not 1 to 255 characters from a-z 0-9 - _ .", nameof(key));
        }

        if (System.Text.Encoding.UTF8.GetByteCount(value) > ushort.MaxValue)
        {
            throw new ArgumentException("A metadata value takes at most 65,535 UTF-8 bytes.", nameof(value));
        }

        return Push(null, new KeyValuePair<string, string>(key, value));
    }

    /// <summary>Ends the scope: the enclosing one applies again.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (ReferenceEquals(s_current.Value, this))
        {
            // Skip enclosing scopes already disposed (out of order, while this one was open): they must not come back.
            var outer = _outer;
            while (outer is { _disposed: true })
            {
                outer = outer._outer;
            }

            s_current.Value = outer;
        }
    }

    private static RemoteCallScope Push(TimeSpan? deadline, KeyValuePair<string, string>? entry)
    {
        var scope = new RemoteCallScope(s_current.Value, deadline, entry);
        s_current.Value = scope;
        return scope;
    }
}
