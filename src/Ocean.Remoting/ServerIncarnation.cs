using System.Globalization;
using System.Security.Cryptography;

namespace Ocean.Remoting;

/// <summary>
/// One run of a server: a random id and the time it started. A <see cref="RemoteReference"/> names the incarnation
/// its object was exported by, so a reference kept from an earlier run of the server is recognised as stale rather
/// than dispatched to whatever object now has its number.
/// </summary>
/// <param name="Id">16 random bytes.</param>
/// <param name="StartedAt">When the server started, to the millisecond.</param>
public readonly record struct ServerIncarnation(Guid Id, DateTimeOffset StartedAt)
{
    /// <summary>A new incarnation: 16 bytes from a cryptographic random source and the current time.</summary>
    /// <param name="time">The clock (<see cref="TimeProvider.System"/> if <see langword="null"/>).</param>
    /// <returns>The incarnation.</returns>
    public static ServerIncarnation New(TimeProvider? time = null)
    {
        Span<byte> id = stackalloc byte[16];
        RandomNumberGenerator.Fill(id);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        return new ServerIncarnation(new Guid(id), DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()));
    }

    /// <summary>The printed form: 32 lower-case hex digits, a dot, the start time in Unix milliseconds (<c>5f0c…e1.1764460800000</c>).</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Id:N}.{StartedAt.ToUnixTimeMilliseconds()}");

    /// <summary>Reads the printed form.</summary>
    /// <param name="text">32 hex digits, a dot, 1 to 15 decimal digits.</param>
    /// <returns>The incarnation.</returns>
    /// <exception cref="FormatException">The text is not in that form.</exception>
    public static ServerIncarnation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var incarnation, out var error) ? incarnation : throw new FormatException($"'{text}' is not a server incarnation: {error}");
    }

    internal static bool TryParse(ReadOnlySpan<char> text, out ServerIncarnation incarnation, out string error)
    {
        incarnation = default;
        var dot = text.IndexOf('.');
        if (dot != 32)
        {
            error = "it must be 32 hex digits, a dot and the start time in Unix milliseconds";
            return false;
        }

        foreach (var c in text[..32])
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                error = "the id must be 32 lower-case hex digits";
                return false;
            }
        }

        var millis = text[33..];
        if (millis.IsEmpty || millis.Length > 15 || !IsDigits(millis) || !long.TryParse(millis, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            error = "the start time must be 1 to 15 decimal digits of Unix milliseconds";
            return false;
        }

        incarnation = new ServerIncarnation(Guid.ParseExact(text[..32], "N"), DateTimeOffset.FromUnixTimeMilliseconds(ms));
        error = string.Empty;
        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
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
}
