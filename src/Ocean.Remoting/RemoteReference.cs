using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Ocean.Remoting;

/// <summary>
/// A remote object reference, as in the classic design: the server's endpoint, the server's incarnation, the object's
/// number there, and the interface it is reached through. Printed and parsed as
/// <c>ocean://HOST:PORT/INCARNATION/OBJECT?interface=NAME</c> (an IPv6 host in brackets, the interface's full name
/// as method ids spell it, percent-encoded where a URI needs it).
/// </summary>
public sealed record RemoteReference
{
    /// <summary>The longest printed form accepted by <see cref="Parse"/>.</summary>
    public const int MaxLength = 2048;

    private const string Scheme = "ocean://";
    private const string InterfaceQuery = "?interface=";

    /// <summary>Makes a reference.</summary>
    /// <param name="host">An IP address (IPv6 without brackets) or a DNS name, 1 to 253 characters.</param>
    /// <param name="port">1 to 65535.</param>
    /// <param name="incarnation">The run of the server that exported the object.</param>
    /// <param name="objectNumber">The object's number on that server.</param>
    /// <param name="interfaceName">The interface's full name (namespace, <c>+</c> for nesting), 1 to 1,024 characters.</param>
    /// <exception cref="ArgumentException">A part is out of range or empty.</exception>
    public RemoteReference(string host, int port, ServerIncarnation incarnation, ulong objectNumber, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(interfaceName);
        if (CheckHost(host) is { } hostError)
        {
            throw new ArgumentException(hostError, nameof(host));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (CheckInterface(interfaceName) is { } interfaceError)
        {
            throw new ArgumentException(interfaceError, nameof(interfaceName));
        }

        Host = host;
        Port = port;
        Incarnation = incarnation;
        ObjectNumber = objectNumber;
        InterfaceName = interfaceName;
    }

    /// <summary>The server's host: an IP address or a DNS name.</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>The run of the server that exported the object.</summary>
    public ServerIncarnation Incarnation { get; }

    /// <summary>The object's number on that server.</summary>
    public ulong ObjectNumber { get; }

    /// <summary>The full name of the interface the object is reached through.</summary>
    public string InterfaceName { get; }

    /// <summary>The endpoint to connect to: an <see cref="IPEndPoint"/> for an address, a <see cref="DnsEndPoint"/> for a name.</summary>
    public EndPoint EndPoint => IPAddress.TryParse(Host, out var address) ? new IPEndPoint(address, Port) : new DnsEndPoint(Host, Port);

    /// <summary>The printed form, <c>ocean://HOST:PORT/INCARNATION/OBJECT?interface=NAME</c>.</summary>
    /// <returns>The text; <see cref="Parse"/> reads it back.</returns>
    public override string ToString()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}{host}:{Port}/{Incarnation}/{ObjectNumber}{InterfaceQuery}{Uri.EscapeDataString(InterfaceName)}");
    }

    /// <summary>Reads a printed reference.</summary>
    /// <param name="text">The text, as <see cref="ToString"/> writes it.</param>
    /// <returns>The reference.</returns>
    /// <exception cref="FormatException">The text is not a reference; the message says which part is wrong.</exception>
    public static RemoteReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var reference, out var error)
            ? reference
            : throw new FormatException($"Not an Ocean remote reference ({error}): '{Shorten(text)}'. Expected ocean://HOST:PORT/INCARNATION/OBJECT?interface=NAME.");
    }

    /// <summary>Reads a printed reference, without throwing.</summary>
    /// <param name="text">The text.</param>
    /// <param name="reference">The reference, when the text is one.</param>
    /// <returns>Whether the text is a reference.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out RemoteReference? reference) =>
        TryParse(text, out reference, out _);

    private static bool TryParse(string? text, [NotNullWhen(true)] out RemoteReference? reference, out string error)
    {
        reference = null;
        if (text is null)
        {
            error = "no text";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"longer than {MaxLength} characters";
            return false;
        }

        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
        {
            error = "it does not start with ocean://";
            return false;
        }

        var rest = text.AsSpan(Scheme.Length);
        var query = rest.IndexOf('?');
        if (query < 0 || !rest[query..].StartsWith(InterfaceQuery, StringComparison.Ordinal))
        {
            error = "the interface is missing (?interface=NAME)";
            return false;
        }

        var path = rest[..query];
        var slash = path.IndexOf('/');
        if (slash < 0)
        {
            error = "the incarnation and object number are missing";
            return false;
        }

        if (!TryParseAuthority(path[..slash], out var host, out var port, out error))
        {
            return false;
        }

        path = path[(slash + 1)..];
        slash = path.IndexOf('/');
        if (slash < 0)
        {
            error = "the object number is missing";
            return false;
        }

        if (!ServerIncarnation.TryParse(path[..slash], out var incarnation, out var incarnationError))
        {
            error = $"the incarnation is wrong: {incarnationError}";
            return false;
        }

        var number = path[(slash + 1)..];
        if (number.IsEmpty || number.Length > 20 || !AllDigits(number) || (number.Length > 1 && number[0] == '0')
            || !ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var objectNumber))
        {
            error = "the object number must be a decimal number from 0 to 18446744073709551615, without leading zeros";
            return false;
        }

        var encoded = rest[(query + InterfaceQuery.Length)..].ToString();
        string name;
        try
        {
            name = Uri.UnescapeDataString(encoded);
        }
        catch (UriFormatException)
        {
            error = "the interface name is not percent-encoded correctly";
            return false;
        }

        if (encoded.Contains('&', StringComparison.Ordinal) || encoded.Contains('#', StringComparison.Ordinal))
        {
            error = "only the interface parameter is allowed";
            return false;
        }

        if (CheckInterface(name) is { } interfaceError)
        {
            error = interfaceError;
            return false;
        }

        reference = new RemoteReference(host, port, incarnation, objectNumber, name);
        error = string.Empty;
        return true;
    }

    private static bool TryParseAuthority(ReadOnlySpan<char> authority, out string host, out int port, out string error)
    {
        host = string.Empty;
        port = 0;
        int colon;
        if (authority.StartsWith("["))
        {
            var close = authority.IndexOf(']');
            if (close < 0 || close + 1 >= authority.Length || authority[close + 1] != ':')
            {
                error = "an IPv6 host must be in brackets and followed by :PORT";
                return false;
            }

            host = authority[1..close].ToString();
            if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = "the bracketed host is not an IPv6 address";
                return false;
            }

            colon = close + 1;
        }
        else
        {
            colon = authority.IndexOf(':');
            if (colon >= 0 && authority[(colon + 1)..].Contains(':'))
            {
                error = "an IPv6 host must be in brackets ([::1]:PORT)";
                return false;
            }

            if (colon < 0)
            {
                error = "the port is missing (HOST:PORT)";
                return false;
            }

            host = authority[..colon].ToString();
            if (CheckHost(host) is { } hostError)
            {
                error = hostError;
                return false;
            }
        }

        var digits = authority[(colon + 1)..];
        if (digits.IsEmpty || digits.Length > 5 || !AllDigits(digits) || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            error = "the port must be 1 to 65535";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static string? CheckHost(string host)
    {
        if (host.Length is < 1 or > 253)
        {
            return "a host takes 1 to 253 characters";
        }

        if (IPAddress.TryParse(host, out _))
        {
            return null;
        }

        foreach (var c in host)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.'))
            {
                return $"the host '{host}' is neither an IP address nor a DNS name (letters, digits, '-' and '.')";
            }
        }

        return null;
    }

    private static string? CheckInterface(string name)
    {
        if (name.Length is < 1 or > 1024)
        {
            return "the interface name takes 1 to 1,024 characters";
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or '+' or '<' or '>' or ',' or '[' or ']'))
            {
                return $"the interface name '{name}' has a character a type name cannot have ('{c}')";
            }
        }

        return null;
    }

    private static bool AllDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");

    /// <inheritdoc/>
    public bool Equals(RemoteReference? other) =>
        other is not null && Port == other.Port && ObjectNumber == other.ObjectNumber && Incarnation == other.Incarnation
        && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase) && string.Equals(InterfaceName, other.InterfaceName, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Host), Port, Incarnation, ObjectNumber, InterfaceName);
}
