using System.Diagnostics;
using System.Globalization;

namespace Ocean.Benchmarks;

/// <summary>
/// A plain Stopwatch runner: for each case it starts every variant, warms each one up, then runs
/// <see cref="BenchmarkOptions.Rounds"/> rounds in which every variant runs once, interleaved, so drift
/// (frequency, noisy neighbours, GC state) falls on all variants alike.
/// </summary>
internal sealed class Runner(BenchmarkOptions options, TextWriter progress)
{
    /// <summary>How long past its planned end a round may run before the runner gives up on it.</summary>
    private static readonly TimeSpan s_roundGrace = TimeSpan.FromSeconds(30);

    public async Task<CaseResult> RunCaseAsync(Scenario scenario, BenchmarkCase benchmarkCase, CancellationToken cancellationToken)
    {
        var variants = benchmarkCase.CreateVariants()
            .Where(v => options.Variants.Count == 0 || options.Variants.Contains(v.Name))
            .ToList();
        if (variants.Count == 0)
        {
            throw new InvalidOperationException($"No variant of case '{benchmarkCase.Name}' was selected.");
        }

        var samples = variants.ToDictionary(v => v.Name, _ => new List<RoundSample>(options.Rounds));
        try
        {
            foreach (var variant in variants)
            {
                await variant.StartAsync(cancellationToken);
            }

            progress.WriteLine($"[{scenario.Name}] {benchmarkCase.Name}: warm-up {options.WarmupDuration.TotalSeconds:0.##} s per variant");
            if (options.WarmupDuration > TimeSpan.Zero)
            {
                foreach (var variant in variants)
                {
                    await RunRoundAsync(variant, options.WarmupDuration, cancellationToken);
                }
            }

            for (var round = 0; round < options.Rounds; round++)
            {
                // Rotate the starting variant each round so none is always first or always last.
                var line = new List<string>(variants.Count);
                for (var k = 0; k < variants.Count; k++)
                {
                    var variant = variants[(round + k) % variants.Count];
                    var sample = await RunRoundAsync(variant, options.RoundDuration, cancellationToken);
                    samples[variant.Name].Add(sample);
                    line.Add($"{variant.Name} {Format.Rate(sample.OpsPerSecond)}/s");
                }

                progress.WriteLine($"[{scenario.Name}] {benchmarkCase.Name}: round {round + 1}/{options.Rounds}: {string.Join(", ", line)}");
            }
        }
        finally
        {
            foreach (var variant in variants)
            {
                await variant.DisposeAsync();
            }
        }

        var results = variants.Select(v => VariantResult.From(v.Name, samples[v.Name])).ToList();
        return new CaseResult(scenario.Name, benchmarkCase, results);
    }

    private static async Task<RoundSample> RunRoundAsync(IBenchmarkVariant variant, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(duration + s_roundGrace);

        // Network scenarios allocate on many threads, so the figure is process-wide: client, servers and runtime.
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var ops = await variant.RunAsync(duration, deadline.Token);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        if (ops <= 0)
        {
            throw new InvalidOperationException($"Variant '{variant.Name}' completed no operations in {elapsed.TotalSeconds:0.###} s.");
        }

        return new RoundSample(ops, elapsed, allocated);
    }
}

/// <summary>One timed run of one variant.</summary>
internal readonly record struct RoundSample(long Ops, TimeSpan Elapsed, long AllocatedBytes)
{
    public double OpsPerSecond => Ops / Elapsed.TotalSeconds;

    public double AllocatedBytesPerOp => (double)AllocatedBytes / Ops;
}

/// <summary>Summary of one variant over all rounds.</summary>
internal sealed record VariantResult(string Name, double Median, double Min, double Max, double AllocatedBytesPerOp, IReadOnlyList<RoundSample> Samples)
{
    public static VariantResult From(string name, IReadOnlyList<RoundSample> samples)
    {
        var rates = samples.Select(s => s.OpsPerSecond).ToList();
        var allocated = samples.Select(s => s.AllocatedBytesPerOp).ToList();
        return new VariantResult(name, Statistics.Median(rates), rates.Min(), rates.Max(), Statistics.Median(allocated), samples);
    }
}

/// <summary>All variants of one case.</summary>
internal sealed record CaseResult(string ScenarioName, BenchmarkCase Case, IReadOnlyList<VariantResult> Variants)
{
    /// <summary>The baseline's result, or null when it was not run (filtered out with --variant).</summary>
    public VariantResult? Baseline => Variants.SingleOrDefault(v => v.Name == Case.Baseline);

    /// <summary>Median ops/s of <paramref name="variant"/> divided by the baseline's median (NaN without a baseline).</summary>
    public double Ratio(VariantResult variant) => Baseline is { } baseline ? variant.Median / baseline.Median : double.NaN;

    /// <summary>
    /// Ratios to the baseline taken round by round (each round runs both back to back), as median, min and max:
    /// steadier than <see cref="Ratio"/> when the machine's speed drifts during the run.
    /// </summary>
    public (double Median, double Min, double Max) PerRoundRatio(VariantResult variant)
    {
        if (Baseline is not { } baseline)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        var ratios = variant.Samples.Zip(baseline.Samples, (v, b) => v.OpsPerSecond / b.OpsPerSecond).ToList();
        return (Statistics.Median(ratios), ratios.Min(), ratios.Max());
    }
}

internal static class Statistics
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

internal static class Format
{
    public static string Rate(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ratio(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string RatioRange((double Median, double Min, double Max) ratio) =>
        double.IsNaN(ratio.Median) ? "n/a" : $"{Ratio(ratio.Median)} ({Ratio(ratio.Min)}-{Ratio(ratio.Max)})";

    public static string Bytes(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
