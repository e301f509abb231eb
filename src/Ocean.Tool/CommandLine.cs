using System.Globalization;
using System.Net;

namespace Ocean.Tool;

/// <summary>A mistake on the command line: reported as one <c>error:</c> line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A failed exchange (a refused connection, a peer that closed early, a timeout): exit code 1.</summary>
internal sealed class ExchangeException(string message) : Exception(message);

/// <summary>
/// The parsed arguments of one command: options (<c>--name value</c> or <c>--name=value</c>; flags take no value)
/// and positional arguments. Every option the command does not declare is refused.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public bool Help { get; private set; }

    /// <summary>Parses <paramref name="args"/> against the command's flags and valued options.</summary>
    public static CommandLine Parse(string command, IReadOnlyList<string> args, string[] flags, string[] valued)
    {
        var result = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                result.Help = true;
                continue;
            }

            if (arg == "--")
            {
                result.Positional.AddRange(args.Skip(i + 1));
                break;
            }

            if (!arg.StartsWith('-') || arg == "-")
            {
                result.Positional.Add(arg);
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            if (flags.Contains(name))
            {
                if (equals >= 0)
                {
                    throw new UsageException($"{name} takes no value");
                }

                result._flags.Add(name);
            }
            else if (valued.Contains(name))
            {
                string value;
                if (equals >= 0)
                {
                    value = arg[(equals + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"{name} needs a value");
                }

                if (!result._values.TryGetValue(name, out var list))
                {
                    result._values[name] = list = [];
                }

                list.Add(value);
            }
            else
            {
                throw new UsageException($"unknown option '{name}' for '{command}' (see ocean {command} --help)");
            }
        }

        return result;
    }

    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The option's value; given twice is a mistake.</summary>
    public string? Get(string name)
    {
        if (!_values.TryGetValue(name, out var list))
        {
            return null;
        }

        return list.Count == 1 ? list[0] : throw new UsageException($"{name} is given {list.Count} times");
    }

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public static int ParsePort(string text, string what)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new UsageException($"{what} must be a port number from 0 to 65535, not '{text}'");
        }

        return port;
    }

    /// <summary>Parses HOST:PORT; an IPv6 address is written in brackets, [::1]:7000.</summary>
    public static (string Host, int Port) ParseHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new UsageException($"expected HOST:PORT, not '{text}'");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            throw new UsageException($"write an IPv6 address in brackets, as [::1]:7000, not '{text}'");
        }

        var port = ParsePort(text[(colon + 1)..], "the port");
        if (port == 0)
        {
            throw new UsageException("cannot connect to port 0");
        }

        return (host, port);
    }

    public static IPAddress ParseListenAddress(string? text)
    {
        if (text is null)
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(text, out var address)
            ? address
            : throw new UsageException($"--host must be an IP address to listen on (such as 127.0.0.1, ::1 or 0.0.0.0), not '{text}'");
    }

    public static TimeSpan ParseTimeout(string? text) => text is null ? TimeSpan.FromSeconds(5) : ParseTimeout(text, "--timeout");

    /// <summary>A number of seconds above 0, at most a day, given with the option <paramref name="name"/>.</summary>
    public static TimeSpan ParseTimeout(string text, string name)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds > 0) || seconds > 86400)
        {
            throw new UsageException($"{name} must be a number of seconds above 0 (at most 86400), not '{text}'");
        }

        return TimeSpan.FromSeconds(seconds);
    }
}
