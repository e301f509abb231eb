using System.Globalization;

namespace Ocean.Samples;

/// <summary>
/// The samples' shared command line: <c>--host</c>, <c>--port</c>, <c>--message</c> (where it sends) and
/// <c>--interface</c> (multicast), plus sample-specific flags.
/// </summary>
internal sealed class SampleArgs
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    private SampleArgs()
    {
    }

    public string Host => Get("--host") ?? "127.0.0.1";

    public string? Message => Get("--message");

    public string? Interface => Get("--interface");

    public int Port(int fallback)
    {
        var text = Get("--port");
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new ArgumentException($"--port must be a number from 0 to 65535, not '{text}'.");
    }

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;

    /// <summary>
    /// Parses <c>--name value</c> pairs and bare <c>--flag</c>s; unknown names are an error. Each extra name is
    /// a bare flag, or takes a value when written with a trailing <c>=</c> (<c>"--pin="</c>).
    /// </summary>
    public static SampleArgs Parse(string[] args, params string[] extra)
    {
        var flags = extra.Where(e => !e.EndsWith('=')).ToArray();
        string[] known = ["--host", "--port", "--message", "--interface", .. extra.Select(e => e.TrimEnd('='))];
        var result = new SampleArgs();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!known.Contains(name))
            {
                throw new ArgumentException($"unknown option '{name}'; known: {string.Join(' ', known)}");
            }

            if (flags.Contains(name))
            {
                result._values[name] = null;
            }
            else if (i + 1 < args.Length)
            {
                result._values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"option '{name}' needs a value");
            }
        }

        return result;
    }
}
