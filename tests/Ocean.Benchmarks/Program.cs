using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using Ocean.Benchmarks;
using Ocean.Benchmarks.CrossProcess;
using Ocean.Benchmarks.Framing;
using Ocean.Benchmarks.Marshalling;
using Ocean.Benchmarks.TcpEcho;
using Ocean.Benchmarks.UdpEcho;

// Cross-process mode: `serve` runs one server, `loadgen` drives an echo server and `rpcload` an rpc server from another process.
switch (args.FirstOrDefault())
{
    case "serve":
        return await ServeCommand.RunAsync(args[1..]);
    case "loadgen":
        return await LoadGenerator.RunAsync(args[1..]);
    case "rpcload":
        return await RpcLoadGenerator.RunAsync(args[1..]);
}

// Every scenario the runner knows; later issues add UDP, framing and CDR here.
Scenario[] scenarios =
[
    TcpEchoScenario.Create(),
    UdpEchoScenario.Create(),
    CodecScenario.Create(),
    CdrScenario.Create(),
    GraphScenario.Create(),
];

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}

if (options.ListOnly)
{
    foreach (var scenario in scenarios)
    {
        Console.WriteLine($"{scenario.Name}: {scenario.Description}");
        foreach (var benchmarkCase in scenario.Cases)
        {
            var names = benchmarkCase.CreateVariants().Select(v => v.Name);
            Console.WriteLine($"  {benchmarkCase.Name} ({benchmarkCase.Unit}/s; baseline {benchmarkCase.Baseline}): {string.Join(", ", names)}");
        }
    }

    return 0;
}

var selected = scenarios.Where(s => options.Scenario is null || s.Name == options.Scenario).ToList();
if (selected.Count == 0)
{
    Console.Error.WriteLine($"Unknown scenario '{options.Scenario}'. Known: {string.Join(", ", scenarios.Select(s => s.Name))}.");
    return 2;
}

var unknownVariants = options.Variants
    .Where(name => !selected.SelectMany(s => s.Cases).Any(c => c.CreateVariants().Any(v => v.Name == name)))
    .ToList();
if (unknownVariants.Count > 0)
{
    Console.Error.WriteLine($"Unknown variant(s): {string.Join(", ", unknownVariants.Select(n => $"'{n}'"))}; see --list.");
    return 2;
}

var process = Process.GetCurrentProcess();
Console.WriteLine($"# Ocean benchmarks");
Console.WriteLine();
Console.WriteLine($"- {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}");
Console.WriteLine($"- processors visible: {Environment.ProcessorCount} (affinity mask 0x{(OperatingSystem.IsLinux() || OperatingSystem.IsWindows() ? process.ProcessorAffinity.ToInt64() : -1):X}), GC: {(GCSettings.IsServerGC ? "server" : "workstation")}, {GCSettings.LatencyMode}");
Console.WriteLine($"- rounds {options.Rounds} x {options.RoundDuration.TotalSeconds:0.##} s per variant, warm-up {options.WarmupDuration.TotalSeconds:0.##} s per variant, variants interleaved within each round");
Console.WriteLine("- allocated B/op is process-wide (GC.GetTotalAllocatedBytes delta over a round / ops): client, servers and runtime together");
Console.WriteLine();

var runner = new Runner(options, Console.Error);
var results = new List<CaseResult>();
foreach (var scenario in selected)
{
    var cases = scenario.Cases
        .Where(c => options.Case is null || c.Name.Contains(options.Case, StringComparison.OrdinalIgnoreCase))
        .Where(c => options.Variants.Count == 0 || c.CreateVariants().Any(v => options.Variants.Contains(v.Name)));
    foreach (var benchmarkCase in cases)
    {
        var result = await runner.RunCaseAsync(scenario, benchmarkCase, CancellationToken.None);
        results.Add(result);
        Console.WriteLine($"{scenario.Name} / {benchmarkCase.Name} ({benchmarkCase.Unit}/s, median of {options.Rounds}):");
        foreach (var variant in result.Variants)
        {
            Console.WriteLine($"  {variant.Name,-50} {Format.Rate(variant.Median),12}/s  ratio {Format.Ratio(result.Ratio(variant)),6}  per-round ratio {Format.RatioRange(result.PerRoundRatio(variant))}  min {Format.Rate(variant.Min)}  max {Format.Rate(variant.Max)}  {Format.Bytes(variant.AllocatedBytesPerOp)} B/op");
        }

        Console.WriteLine();
    }
}

Console.WriteLine(Report.Markdown(results));
return 0;
