using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>Command-line options of <c>Ocean.Benchmarks rpcload</c>.</summary>
internal sealed class RpcLoadOptions
{
    public const int MaxCallers = 1024;
    public const int EchoLength = 64;

    public required string Kind { get; init; }

    public required IPEndPoint Target { get; init; }

    /// <summary>"add" or "echo".</summary>
    public required string Method { get; init; }

    public int Callers { get; init; } = 1;

    public double Seconds { get; init; } = 5;

    public double Warmup { get; init; } = 1;

    public double DrainTimeout { get; init; } = 5;

    /// <summary>How the client does its I/O, as reported: async, or async-inline (inline socket completions).</summary>
    public static string ClientDescription =>
        Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1" ? "async-inline" : "async";

    public static string Usage =>
        "Usage: Ocean.Benchmarks rpcload --kind KIND --port PORT [options]\n\n" +
        "  --method add|echo     Task<int> AddAsync(int, int) or Task<string> EchoAsync(string) of 64 characters (default add)\n" +
        "  --callers N           concurrent async callers sharing ONE client, each with one call in flight (default 1)\n" +
        "  --seconds S           measured seconds, default 5\n" +
        "  --warmup S            unmeasured seconds before, default 1\n" +
        "  --drain-timeout S     time allowed for the last calls after the window, default 5\n\n" +
        "Calls the server of KIND on 127.0.0.1:PORT (started by `serve --kind KIND`). Every reply is checked (the\n" +
        "sum, the echoed text); a mismatch or a failed call counts as an error. Prints one JSON line on stdout and a\n" +
        "human-readable line on stderr; exits 1 if any error was counted, 2 on bad arguments.\nKinds:\n" +
        string.Join('\n', RpcClients.Kinds.Select(k => $"  {k.Key,-18} {k.Value.Description}"));

    public static RpcLoadOptions Parse(IReadOnlyList<string> args)
    {
        string? kind = null;
        int? port = null;
        var method = "add";
        var callers = 1;
        double seconds = 5, warmup = 1, drain = 5;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{arg} needs a value.");
            }

            var value = args[++i];
            switch (arg)
            {
                case "--kind": kind = value; break;
                case "--port": port = (int)ParseLong(arg, value, 1, 65535); break;
                case "--method": method = value; break;
                case "--callers": callers = (int)ParseLong(arg, value, 1, MaxCallers); break;
                case "--seconds": seconds = ParseSeconds(arg, value, allowZero: false); break;
                case "--warmup": warmup = ParseSeconds(arg, value, allowZero: true); break;
                case "--drain-timeout": drain = ParseSeconds(arg, value, allowZero: false); break;
                default: throw new ArgumentException($"Unknown rpcload argument '{arg}'.");
            }
        }

        if (kind is null || !RpcClients.Kinds.ContainsKey(kind))
        {
            throw new ArgumentException($"Unknown or missing --kind '{kind}'. Known: {string.Join(", ", RpcClients.Kinds.Keys)}.");
        }

        if (port is null)
        {
            throw new ArgumentException("--port is required.");
        }

        if (method is not ("add" or "echo"))
        {
            throw new ArgumentException($"--method must be add or echo, not '{method}'.");
        }

        return new RpcLoadOptions
        {
            Kind = kind,
            Target = new IPEndPoint(IPAddress.Loopback, port.Value),
            Method = method,
            Callers = callers,
            Seconds = seconds,
            Warmup = warmup,
            DrainTimeout = drain,
        };
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
            || double.IsNaN(value) || value < 0 || (value == 0 && !allowZero) || value > LoadGenOptions.MaxSeconds)
        {
            throw new ArgumentException($"{name} must be a number of seconds {(allowZero ? "from 0" : "above 0")} up to {LoadGenOptions.MaxSeconds}, not '{text}'.");
        }

        return value;
    }
}

/// <summary>
/// <c>Ocean.Benchmarks rpcload</c>: N concurrent async callers on one shared <see cref="IRpcClient"/>, each
/// calling in a loop (one call in flight per caller) until the measured window ends.
/// </summary>
/// <remarks>
/// Latency is per call, from just before the call to just after its result is back in the caller. Only calls
/// whose result arrives within the measured window count for calls/s and latency. The client's allocated
/// bytes per call are <c>GC.GetTotalAllocatedBytes(true)</c> read at the window's start and end, the delta
/// divided by the calls measured in it (the whole client process: the callers' own loop allocates nothing per
/// call, except the echo's result string, which any client of that method makes).
/// </remarks>
internal static class RpcLoadGenerator
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(RpcLoadOptions.Usage);
            return 0;
        }

        RpcLoadOptions options;
        try
        {
            options = RpcLoadOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(RpcLoadOptions.Usage);
            return 2;
        }

        IRpcClient client;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            client = await RpcClients.Kinds[options.Kind].Connect(options.Target, timeout.Token);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"rpcload: cannot connect to {options.Kind} on {options.Target}: {ex.Message}");
            WriteResult(options, new Summary(0, 0, 0, 0, 0, 0, 0, 1, ex.Message, 0));
            return 1;
        }

        var callers = new Caller[options.Callers];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = new Caller(i, options.Method == "echo");
        }

        var start = Stopwatch.GetTimestamp();
        var measureStart = start + Ticks(options.Warmup);
        var measureEnd = measureStart + Ticks(options.Seconds);
        var hardDeadline = measureEnd + Ticks(options.DrainTimeout);
        var tasks = new Task[callers.Length];
        for (var i = 0; i < callers.Length; i++)
        {
            var caller = callers[i];
            tasks[i] = Task.Run(() => caller.RunAsync(client, measureStart, measureEnd));
        }

        var all = Task.WhenAll(tasks);

        // The client's allocations over the measured window, read at its two ends.
        await Task.Delay(Until(measureStart));
        var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        await Task.WhenAny(all, Task.Delay(Until(measureEnd)));
        var allocatedAtEnd = GC.GetTotalAllocatedBytes(precise: true);

        // The watchdog: past the hard deadline the client is disposed, which fails every call still pending.
        var timedOut = false;
        if (await Task.WhenAny(all, Task.Delay(Until(hardDeadline))) != all)
        {
            timedOut = true;
            await client.DisposeAsync();
            try
            {
                await all.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine("rpcload: some callers did not end after the client was disposed.");
            }
        }
        else
        {
            await client.DisposeAsync();
        }

        var summary = Summary.From(callers, options.Seconds, allocatedAtEnd - allocatedAtStart);
        if (timedOut)
        {
            summary = summary with { Errors = summary.Errors + 1, FirstError = summary.FirstError ?? "timed out waiting for calls after the measured window" };
        }

        WriteResult(options, summary);
        return summary.Errors == 0 && summary.Calls > 0 ? 0 : 1;
    }

    private static long Ticks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    private static TimeSpan Until(long timestamp)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private static void WriteResult(RpcLoadOptions options, Summary summary)
    {
        using (var stream = Console.OpenStandardOutput())
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("kind", options.Kind);
            json.WriteString("method", options.Method);
            json.WriteNumber("callers", options.Callers);
            json.WriteNumber("seconds", options.Seconds);
            json.WriteNumber("warmup", options.Warmup);
            json.WriteString("client", RpcLoadOptions.ClientDescription);
            json.WriteNumber("calls", summary.Calls);
            json.WriteNumber("totalCalls", summary.TotalCalls);
            json.WriteNumber("callsPerSec", Math.Round(summary.CallsPerSecond, 1));
            json.WriteNumber("p50Us", Math.Round(summary.P50 / 1000, 2));
            json.WriteNumber("p99Us", Math.Round(summary.P99 / 1000, 2));
            json.WriteNumber("p999Us", Math.Round(summary.P999 / 1000, 2));
            json.WriteNumber("maxUs", Math.Round(summary.Max / 1000, 2));
            json.WriteNumber("errors", summary.Errors);
            json.WriteNumber("clientAllocatedBytesPerCall", summary.Calls == 0 ? 0 : Math.Round((double)summary.WindowAllocatedBytes / summary.Calls, 2));
            if (summary.FirstError is not null)
            {
                json.WriteString("firstError", summary.FirstError);
            }

            json.WriteEndObject();
        }

        Console.Out.WriteLine();
        Console.Out.Flush();
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"rpcload ({RpcLoadOptions.ClientDescription}) {options.Kind} {options.Method} x{options.Callers}: {summary.CallsPerSecond:N0} calls/s, " +
            $"p50 {summary.P50 / 1000:0.0} us, p99 {summary.P99 / 1000:0.0} us, p99.9 {summary.P999 / 1000:0.0} us, max {summary.Max / 1000:0.0} us, " +
            $"client {(summary.Calls == 0 ? 0 : (double)summary.WindowAllocatedBytes / summary.Calls):0.0} B/call, " +
            $"errors {summary.Errors}{(summary.FirstError is null ? string.Empty : $" (first: {summary.FirstError})")}"));
    }

    private sealed record Summary(long Calls, long TotalCalls, double CallsPerSecond, double P50, double P99, double P999, double Max, long Errors, string? FirstError, long WindowAllocatedBytes)
    {
        public static Summary From(Caller[] callers, double seconds, long windowAllocated)
        {
            var histogram = new LatencyHistogram();
            long calls = 0, total = 0, errors = 0;
            string? firstError = null;
            foreach (var caller in callers)
            {
                histogram.Add(caller.Histogram);
                calls += caller.MeasuredCalls;
                total += caller.TotalCalls;
                errors += caller.Errors;
                firstError ??= caller.FirstError;
            }

            return new Summary(
                calls,
                total,
                calls / seconds,
                histogram.PercentileNanoseconds(50),
                histogram.PercentileNanoseconds(99),
                histogram.PercentileNanoseconds(99.9),
                histogram.MaxNanoseconds,
                errors,
                firstError,
                windowAllocated);
        }
    }

    /// <summary>One caller: its loop, its histogram and counters, and its echo texts made before the run.</summary>
    private sealed class Caller
    {
        private const int TextCount = 16;

        private readonly int _index;
        private readonly string[]? _texts;

        public Caller(int index, bool echo)
        {
            _index = index;
            if (echo)
            {
                // 16 distinct 64-character texts per caller, so that no reply can be a cached one.
                _texts = new string[TextCount];
                for (var t = 0; t < TextCount; t++)
                {
                    _texts[t] = string.Create(RpcLoadOptions.EchoLength, (index, t), static (span, state) =>
                    {
                        for (var c = 0; c < span.Length; c++)
                        {
                            span[c] = (char)('a' + ((c + state.index + state.t) % 26));
                        }

                        $"{state.index:x4}{state.t:x4}".AsSpan().CopyTo(span);
                    });
                }
            }
        }

        public LatencyHistogram Histogram { get; } = new();

        public long MeasuredCalls { get; private set; }

        public long TotalCalls { get; private set; }

        public long Errors { get; private set; }

        public string? FirstError { get; private set; }

        public async Task RunAsync(IRpcClient client, long measureStart, long measureEnd)
        {
            var n = 0;
            while (true)
            {
                var sent = Stopwatch.GetTimestamp();
                if (sent >= measureEnd)
                {
                    return;
                }

                bool correct;
                try
                {
                    if (_texts is null)
                    {
                        var a = unchecked((_index * 1_000_003) ^ (n * 7919));
                        var b = n;
                        correct = await client.AddAsync(a, b) == unchecked(a + b);
                    }
                    else
                    {
                        var text = _texts[n % TextCount];
                        correct = string.Equals(await client.EchoAsync(text), text, StringComparison.Ordinal);
                    }
                }
                catch (Exception ex)
                {
                    Error($"call {n} failed: {ex.GetType().Name}: {ex.Message}{(ex.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : string.Empty)}");
                    return;
                }

                var received = Stopwatch.GetTimestamp();
                TotalCalls++;
                if (!correct)
                {
                    Error($"call {n} returned a wrong result");
                }
                else if (received >= measureStart && received < measureEnd)
                {
                    MeasuredCalls++;
                    Histogram.Record((long)((received - sent) * NanosecondsPerTick));
                }

                n++;
            }
        }

        private void Error(string message)
        {
            Errors++;
            FirstError ??= $"caller {_index}: {message}";
        }
    }
}
