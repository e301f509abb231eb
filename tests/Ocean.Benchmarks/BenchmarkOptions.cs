using System.Globalization;

namespace Ocean.Benchmarks;

/// <summary>Command-line options of the runner.</summary>
internal sealed class BenchmarkOptions
{
    public const int MaxRounds = 1000;
    public const double MaxSeconds = 600;

    private readonly List<string> _variants = [];

    /// <summary>The scenario to run, or null for all of them.</summary>
    public string? Scenario { get; private set; }

    /// <summary>Only cases whose name contains this text, or null for all.</summary>
    public string? Case { get; private set; }

    /// <summary>Variant names to run (empty: all). The ratio column needs the case's baseline among them.</summary>
    public IReadOnlyList<string> Variants => _variants;

    public int Rounds { get; private set; } = 7;

    public TimeSpan RoundDuration { get; private set; } = TimeSpan.FromSeconds(1.0);

    public TimeSpan WarmupDuration { get; private set; } = TimeSpan.FromSeconds(1.0);

    public bool ShowHelp { get; private set; }

    public bool ListOnly { get; private set; }

    public static string Usage =>
        """
        Usage: Ocean.Benchmarks [options]

          --scenario NAME   run one scenario (default: all); see --list
          --case TEXT       run only the cases whose name contains TEXT (e.g. ping-pong)
          --variant NAME    run only this variant (repeatable; default: all); see --list
          --rounds N        measured rounds per case (default 7)
          --seconds S       length of one round of one variant, in seconds (default 1.0)
          --warmup S        warm-up per variant before the rounds, in seconds (default 1.0)
          --list            list scenarios, cases and variants, and exit
          --help            show this text

        Run pinned to one core for stable figures: tests/Ocean.Benchmarks/run.sh

        Cross-process mode (see tests/Ocean.Benchmarks/README.md and cross-process.sh):
          Ocean.Benchmarks serve --kind KIND [--port 0]      one echo server; prints its port first
          Ocean.Benchmarks loadgen --target tcp://127.0.0.1:PORT [options]
          Ocean.Benchmarks serve --help / loadgen --help      their options
        """;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a readable message on bad input.</summary>
    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--help" or "-h":
                    options.ShowHelp = true;
                    break;
                case "--list":
                    options.ListOnly = true;
                    break;
                case "--scenario":
                    var name = Value(args, ref i);
                    options.Scenario = name == "all" ? null : name;
                    break;
                case "--case":
                    options.Case = Value(args, ref i);
                    break;
                case "--variant":
                    options._variants.Add(Value(args, ref i));
                    break;
                case "--rounds":
                    options.Rounds = ParseInt(arg, Value(args, ref i), 1, MaxRounds);
                    break;
                case "--seconds":
                    options.RoundDuration = TimeSpan.FromSeconds(ParseSeconds(arg, Value(args, ref i), allowZero: false));
                    break;
                case "--warmup":
                    options.WarmupDuration = TimeSpan.FromSeconds(ParseSeconds(arg, Value(args, ref i), allowZero: true));
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }

        return options;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new ArgumentException($"{args[i]} needs a value.");
        }

        return args[++i];
    }

    private static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
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
