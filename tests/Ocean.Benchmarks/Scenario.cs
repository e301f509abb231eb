namespace Ocean.Benchmarks;

/// <summary>A group of related benchmark cases, selected on the command line by <see cref="Name"/>.</summary>
internal sealed record Scenario(string Name, string Description, IReadOnlyList<BenchmarkCase> Cases);

/// <summary>
/// One measurement: several variants of the same work, run interleaved and compared against
/// <see cref="Baseline"/>.
/// </summary>
/// <param name="Name">Short name shown in the report, e.g. "ping-pong 1x1".</param>
/// <param name="Unit">What one operation is, e.g. "round trips"; the report shows it per second.</param>
/// <param name="Baseline">Name of the variant the others are divided by.</param>
/// <param name="CreateVariants">Creates fresh, not yet started variants for one run of the case.</param>
internal sealed record BenchmarkCase(string Name, string Unit, string Baseline, Func<IReadOnlyList<IBenchmarkVariant>> CreateVariants);

/// <summary>One way of doing a case's work. Started once, then run for many timed rounds, then disposed.</summary>
internal interface IBenchmarkVariant : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Sets up what the rounds need (servers, connections), outside any measurement.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Does operations for about <paramref name="duration"/> and returns how many completed.</summary>
    /// <remarks>Must stop by itself: bounded in time and in count, and must fail rather than hang.</remarks>
    Task<long> RunAsync(TimeSpan duration, CancellationToken cancellationToken);
}
