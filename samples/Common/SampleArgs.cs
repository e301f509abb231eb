using System.Globalization;
using System.Net;

namespace Ocean.Samples;

/// <summary>
/// The samples' shared command line: <c>--host</c>, <c>--port</c>, <c>--message</c> (where it sends) and
/// <c>--interface</c> (multicast), plus sample-specific options. Each sample names the options it takes; any
/// other, including a convention option that does not apply to it, is refused rather than ignored.
/// </summary>
internal sealed class SampleArgs
{
    /// <summary>The convention's options: named in the message when one is given to a sample that does not use it.</summary>
    private static readonly string[] s_convention = ["--host", "--port", "--message", "--interface"];

    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    private SampleArgs()
    {
    }

    public string Host => Get("--host") ?? "127.0.0.1";

    public string? Message => Get("--message");

    public string? Interface => Get("--interface");

    /// <summary>The address a server listens on: <c>--host</c>, which must be an IP address (default 127.0.0.1).</summary>
    public IPAddress ListenAddress => IPAddress.TryParse(Host, out var address)
        ? address
        : throw new ArgumentException($"--host must be an IP address to listen on (such as 127.0.0.1, ::1 or 0.0.0.0), not '{Host}'.");

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

    /// <summary>Refuses <paramref name="option"/> without <paramref name="needed"/>, instead of silently ignoring it.</summary>
    public void Requires(string option, string needed)
    {
        if (Flag(option) && !Flag(needed))
        {
            throw new ArgumentException($"{option} applies only with {needed}.");
        }
    }

    /// <summary>
    /// Parses <c>--name value</c> pairs and bare <c>--flag</c>s. <paramref name="accepted"/> lists every option
    /// the sample takes: a name ending in <c>=</c> takes a value (<c>"--port="</c>), any other is a bare flag.
    /// An option not listed, or given twice, is an error.
    /// </summary>
    public static SampleArgs Parse(string[] args, params string[] accepted)
    {
        var flags = accepted.Where(e => !e.EndsWith('=')).ToArray();
        var known = accepted.Select(e => e.TrimEnd('=')).ToArray();
        var result = new SampleArgs();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!known.Contains(name))
            {
                var takes = known.Length == 0 ? "it takes no options" : $"it takes: {string.Join(' ', known)}";
                throw new ArgumentException(s_convention.Contains(name)
                    ? $"option '{name}' does not apply to {SampleName}; {takes}"
                    : $"unknown option '{name}'; {takes}");
            }

            if (result._values.ContainsKey(name))
            {
                throw new ArgumentException($"option '{name}' is given twice");
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

    private static string SampleName => System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "this sample";
}
