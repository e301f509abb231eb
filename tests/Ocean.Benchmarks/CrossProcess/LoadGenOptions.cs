using System.Globalization;
using System.Net;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>The wire format the load generator speaks.</summary>
internal enum WireFormat
{
    /// <summary>TCP, each message a 4-byte big-endian length then the payload.</summary>
    LengthPrefixed,

    /// <summary>TCP, each message the payload (printable ASCII) then a line feed.</summary>
    Line,

    /// <summary>UDP, each datagram one payload.</summary>
    Datagram,
}

/// <summary>Command-line options of <c>Ocean.Benchmarks loadgen</c>.</summary>
internal sealed class LoadGenOptions
{
    /// <summary>The payload carries its sequence number as 16 hex digits, so it cannot be shorter.</summary>
    public const int MinPayload = 16;
    public const int MaxPayload = 1024 * 1024;
    public const int MaxConnections = 4096;
    public const int MaxDepth = 4096;
    public const double MaxSeconds = 3600;

    public required IPEndPoint Target { get; init; }

    public required string TargetText { get; init; }

    public WireFormat Format { get; init; }

    public bool PingPong { get; init; }

    public int Connections { get; init; } = 1;

    /// <summary>Messages in flight per connection (1 for ping-pong).</summary>
    public int Depth { get; init; } = 1;

    public int Payload { get; init; } = 64;

    public double Seconds { get; init; } = 5;

    /// <summary>Blocking socket calls on a thread per connection, or async calls (default).</summary>
    public bool BlockingClient { get; init; }

    /// <summary>How the client does its I/O, as reported: blocking, async, or async-inline (async with inline socket completions).</summary>
    public string ClientDescription => BlockingClient ? "blocking"
        : Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1" ? "async-inline" : "async";

    public double Warmup { get; init; } = 1;

    /// <summary>How long after the measured window the in-flight replies may take before the run fails.</summary>
    public double DrainTimeout { get; init; } = 5;

    /// <summary>Upper bound on messages per connection, whatever the clock says.</summary>
    public long MaxMessagesPerConnection { get; init; } = 1L << 40;

    /// <summary>Bytes of one request on the wire (the echo is the same size).</summary>
    public int FrameSize => Format switch
    {
        WireFormat.LengthPrefixed => 4 + Payload,
        WireFormat.Line => Payload + 1,
        _ => Payload,
    };

    public static string Usage =>
        """
        Usage: Ocean.Benchmarks loadgen --target tcp://127.0.0.1:PORT|udp://127.0.0.1:PORT [options]

          --mode pingpong|pipelined   1 message in flight per connection, or --depth of them (default pingpong)
          --framing lp|line           TCP only: 4-byte big-endian length prefix (default) or LF-terminated line
          --connections N             connections (UDP: sockets), default 1
          --depth D                   messages in flight per connection in pipelined mode, default 32
          --payload B                 payload bytes per message, 16 to 1048576, default 64
          --client async|blocking     socket calls of the client: async (default; cheapest with
                                      DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 in the environment, which
                                      cross-process.sh sets) or blocking on a thread per connection
          --seconds S                 measured seconds, default 5
          --warmup S                  unmeasured seconds before, default 1
          --drain-timeout S           time allowed for the last replies after the window, default 5
          --max-messages N            upper bound on messages per connection, default 2^40

        Prints one JSON line on stdout and a human-readable line on stderr. Exits 1 if any error was
        counted (short read, mismatched echo, reset, lost datagram, timeout), 2 on bad arguments.
        Only loopback targets are accepted.
        """;

    public static LoadGenOptions Parse(IReadOnlyList<string> args)
    {
        string? target = null;
        string mode = "pingpong";
        string? framing = null;
        string client = "async";
        int connections = 1;
        int? depth = null;
        int payload = 64;
        double seconds = 5, warmup = 1, drain = 5;
        long maxMessages = 1L << 40;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--target": target = Value(args, ref i); break;
                case "--mode": mode = Value(args, ref i); break;
                case "--framing": framing = Value(args, ref i); break;
                case "--client": client = Value(args, ref i); break;
                case "--connections": connections = (int)ParseLong(arg, Value(args, ref i), 1, MaxConnections); break;
                case "--depth": depth = (int)ParseLong(arg, Value(args, ref i), 1, MaxDepth); break;
                case "--payload": payload = (int)ParseLong(arg, Value(args, ref i), MinPayload, MaxPayload); break;
                case "--seconds": seconds = ParseSeconds(arg, Value(args, ref i), allowZero: false); break;
                case "--warmup": warmup = ParseSeconds(arg, Value(args, ref i), allowZero: true); break;
                case "--drain-timeout": drain = ParseSeconds(arg, Value(args, ref i), allowZero: false); break;
                case "--max-messages": maxMessages = ParseLong(arg, Value(args, ref i), 1, 1L << 40); break;
                default: throw new ArgumentException($"Unknown loadgen argument '{arg}'.");
            }
        }

        if (target is null)
        {
            throw new ArgumentException("--target is required.");
        }

        if (mode is not ("pingpong" or "pipelined"))
        {
            throw new ArgumentException($"--mode must be pingpong or pipelined, not '{mode}'.");
        }

        if (client is not ("blocking" or "async"))
        {
            throw new ArgumentException($"--client must be blocking or async, not '{client}'.");
        }

        var (udp, endPoint) = ParseTarget(target);
        var format = udp ? WireFormat.Datagram : framing switch
        {
            null or "lp" => WireFormat.LengthPrefixed,
            "line" => WireFormat.Line,
            _ => throw new ArgumentException($"--framing must be lp or line, not '{framing}'."),
        };
        if (udp && framing is not null)
        {
            throw new ArgumentException("--framing applies to tcp:// targets only.");
        }

        if (udp && payload > 65_507)
        {
            throw new ArgumentException("A UDP payload cannot exceed 65507 bytes.");
        }

        var pingPong = mode == "pingpong";
        return new LoadGenOptions
        {
            Target = endPoint,
            TargetText = target,
            Format = format,
            PingPong = pingPong,
            BlockingClient = client == "blocking",
            Connections = connections,
            Depth = pingPong ? 1 : depth ?? 32,
            Payload = payload,
            Seconds = seconds,
            Warmup = warmup,
            DrainTimeout = drain,
            MaxMessagesPerConnection = maxMessages,
        };
    }

    private static (bool Udp, IPEndPoint EndPoint) ParseTarget(string target)
    {
        bool udp;
        string rest;
        if (target.StartsWith("tcp://", StringComparison.Ordinal))
        {
            udp = false;
            rest = target["tcp://".Length..];
        }
        else if (target.StartsWith("udp://", StringComparison.Ordinal))
        {
            udp = true;
            rest = target["udp://".Length..];
        }
        else
        {
            throw new ArgumentException($"--target must start with tcp:// or udp://, not '{target}'.");
        }

        if (!IPEndPoint.TryParse(rest, out var endPoint) || endPoint.Port == 0)
        {
            throw new ArgumentException($"--target needs an IP address and a port, not '{rest}'.");
        }

        // The benchmark generates heavy traffic: keep it on this machine.
        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new ArgumentException($"--target must be a loopback address, not {endPoint.Address}.");
        }

        return (udp, endPoint);
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new ArgumentException($"{args[i]} needs a value.");
        }

        return args[++i];
    }

    private static long ParseLong(string name, string text, long min, long max)
    {
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ArgumentException($"{name} must be an integer from {min} to {max}, not '{text}'.");
        }

        return value;
    }

    private static double ParseSeconds(string name, string text, bool allowZero)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || double.IsNaN(value) || value < 0 || (value == 0 && !allowZero) || value > MaxSeconds)
        {
            throw new ArgumentException($"{name} must be a number of seconds {(allowZero ? "from 0" : "above 0")} up to {MaxSeconds}, not '{text}'.");
        }

        return value;
    }
}
