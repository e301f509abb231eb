using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Ocean.Remoting;

/// <summary>
/// The in-process table of names and the references bound to them: what a <see cref="NamingService"/> serves, and the
/// default (first) <see cref="INameResolver"/> of its lookups. Thread-safe; every operation is one short critical section.
/// </summary>
/// <remarks>
/// <para>
/// <b>Names.</b> 1 to <see cref="MaxNameBytes"/> (255) bytes in UTF-8, no control characters (C0, DEL, C1) and no
/// unpaired surrogates; compared ordinally (case matters). Any other text is allowed (<c>bank/accounts/42</c>,
/// <c>calculator</c>): the registry is flat, and a slash is just a character that <see cref="List"/>'s prefix can
/// select on. Over the CDR marshaller a name must also be ISO-8859-1 (CDR strings are); the graph marshaller carries
/// any name.
/// </para>
/// <para>
/// <b>Limit.</b> At most <see cref="MaxNames"/> names are bound at once; binding one more is refused with
/// <see cref="InvalidOperationException"/> (rebinding a bound name is always allowed), so a peer allowed to bind cannot
/// grow the table without bound.
/// </para>
/// </remarks>
public sealed class NameRegistry : INameResolver
{
    /// <summary>The longest name, in UTF-8 bytes (the protocol's object-key width).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>The default of <see cref="MaxNames"/>.</summary>
    public const int DefaultMaxNames = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, RemoteReference> _bindings = new(StringComparer.Ordinal);

    /// <summary>Makes an empty registry.</summary>
    /// <param name="maxNames">How many names may be bound at once, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNames"/> is below 1.</exception>
    public NameRegistry(int maxNames = DefaultMaxNames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNames, 1);
        MaxNames = maxNames;
    }

    /// <summary>How many names may be bound at once.</summary>
    public int MaxNames { get; }

    /// <summary>How many names are bound now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _bindings.Count;
            }
        }
    }

    /// <summary>Binds <paramref name="name"/> to <paramref name="reference"/>; refused if the name is already bound.</summary>
    /// <param name="name">The name (see the naming rules in the remarks).</param>
    /// <param name="reference">The object's reference.</param>
    /// <exception cref="ArgumentException">The name breaks the naming rules (the message says which).</exception>
    /// <exception cref="NameAlreadyBoundException">The name is bound (to anything, even the same reference).</exception>
    /// <exception cref="InvalidOperationException">The registry holds <see cref="MaxNames"/> names already.</exception>
    public void Bind(string name, RemoteReference reference)
    {
        CheckName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(reference);
        lock (_lock)
        {
            if (_bindings.ContainsKey(name))
            {
                throw new NameAlreadyBoundException($"The name '{name}' is already bound; unbind it first or rebind it.");
            }

            CheckRoom();
            _bindings.Add(name, reference);
        }
    }

    /// <summary>Binds <paramref name="name"/> to <paramref name="reference"/>, replacing what it was bound to.</summary>
    /// <param name="name">The name (see the naming rules in the remarks).</param>
    /// <param name="reference">The object's reference.</param>
    /// <returns>The reference the name was bound to before, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    /// <exception cref="InvalidOperationException">The name is new and the registry holds <see cref="MaxNames"/> names already.</exception>
    public RemoteReference? Rebind(string name, RemoteReference reference)
    {
        CheckName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(reference);
        lock (_lock)
        {
            if (_bindings.TryGetValue(name, out var previous))
            {
                _bindings[name] = reference;
                return previous;
            }

            CheckRoom();
            _bindings.Add(name, reference);
            return null;
        }
    }

    /// <summary>Removes the binding of <paramref name="name"/>.</summary>
    /// <param name="name">The name.</param>
    /// <returns>Whether it was bound.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    public bool Unbind(string name)
    {
        CheckName(name, nameof(name));
        lock (_lock)
        {
            return _bindings.Remove(name);
        }
    }

    /// <summary>The reference bound to <paramref name="name"/>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="reference">The reference, when bound.</param>
    /// <returns>Whether the name is bound.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    public bool TryLookup(string name, [NotNullWhen(true)] out RemoteReference? reference)
    {
        CheckName(name, nameof(name));
        lock (_lock)
        {
            return _bindings.TryGetValue(name, out reference);
        }
    }

    /// <summary>The bound names that start with <paramref name="prefix"/>, in ordinal order.</summary>
    /// <param name="prefix">An ordinal prefix; empty for every name.</param>
    /// <returns>A new array (a snapshot).</returns>
    /// <exception cref="ArgumentException">The prefix is longer than a name can be, or has a control character.</exception>
    public string[] List(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length > 0)
        {
            CheckName(prefix, nameof(prefix));
        }

        string[] names;
        lock (_lock)
        {
            if (prefix.Length == 0)
            {
                names = [.. _bindings.Keys];
            }
            else
            {
                var matching = new List<string>();
                foreach (var key in _bindings.Keys)
                {
                    if (key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        matching.Add(key);
                    }
                }

                names = [.. matching];
            }
        }

        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    /// <summary>The reference bound to <paramref name="name"/> in this registry, or <see langword="null"/>; completes at once.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Not used: the answer is immediate.</param>
    /// <returns>The reference, or <see langword="null"/> when the name is not bound.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    public ValueTask<RemoteReference?> ResolveAsync(string name, CancellationToken cancellationToken) =>
        new(TryLookup(name, out var reference) ? reference : null);

    /// <summary>Whether <paramref name="name"/> follows the naming rules (see the remarks).</summary>
    /// <param name="name">The text.</param>
    /// <returns><see langword="true"/> when it may be bound.</returns>
    public static bool IsValidName([NotNullWhen(true)] string? name) => name is not null && Validate(name) is null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the rule <paramref name="name"/> breaks.</summary>
    internal static void CheckName(string name, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        if (Validate(name) is { } error)
        {
            throw new ArgumentException(error, parameterName);
        }
    }

    private static string? Validate(string name)
    {
        if (name.Length == 0)
        {
            return "A name takes 1 to 255 UTF-8 bytes; it is empty.";
        }

        // A UTF-16 character is at most 3 UTF-8 bytes: text this long cannot fit, whatever it holds.
        if (name.Length > MaxNameBytes)
        {
            return $"A name takes 1 to {MaxNameBytes} UTF-8 bytes; this one has {name.Length} characters: '{Shorten(name)}'.";
        }

        var bytes = 0;
        var rest = name.AsSpan();
        var index = 0;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done)
            {
                return $"A name must be valid Unicode text; '{Shorten(name)}' has an unpaired surrogate at index {index}.";
            }

            if (Rune.IsControl(rune))
            {
                return $"A name cannot hold control characters; '{Shorten(name)}' has U+{rune.Value:X4} at index {index}.";
            }

            bytes += rune.Utf8SequenceLength;
            index += used;
            rest = rest[used..];
        }

        return bytes > MaxNameBytes
            ? $"A name takes 1 to {MaxNameBytes} UTF-8 bytes; '{Shorten(name)}' takes {bytes}."
            : null;
    }

    private static string Shorten(string name)
    {
        // Control characters and unpaired surrogates are printed escaped: a message never carries them into a log line
        // or onto the wire (where strings must be valid UTF-8).
        var shown = name.AsSpan(0, Math.Min(name.Length, 64));
        var builder = new StringBuilder(shown.Length + 8);
        for (var i = 0; i < shown.Length; i++)
        {
            var c = shown[i];
            if (char.IsHighSurrogate(c) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1]))
            {
                builder.Append(c).Append(shown[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (name.Length > shown.Length)
        {
            builder.Append('…');
        }

        return builder.ToString();
    }

    private void CheckRoom()
    {
        if (_bindings.Count >= MaxNames)
        {
            throw new InvalidOperationException($"The name registry is full: it holds its limit of {MaxNames} names. Unbind some, or raise the limit.");
        }
    }
}
