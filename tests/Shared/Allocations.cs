/// <summary>
/// Bytes allocated per operation on a path that should allocate nothing. The counter is process-wide, so work left over
/// from other tests (a timer, a closing connection, a finalizer) can land in a round; an allocation on the measured path
/// shows in every round, so the least of three rounds is the figure.
/// </summary>
internal static class Allocations
{
    private const int Rounds = 3;

    /// <summary>The least, over three rounds of <paramref name="operations"/>, of the bytes allocated per operation.</summary>
    /// <param name="operations">Operations a round.</param>
    /// <param name="run">Runs that many operations.</param>
    /// <returns>Bytes per operation in the least round.</returns>
    public static double LeastPerOperation(int operations, Action<int> run)
    {
        var least = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            run(operations);
            least = Math.Min(least, (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)operations);
        }

        return least;
    }

    /// <inheritdoc cref="LeastPerOperation"/>
    public static async Task<double> LeastPerOperationAsync(int operations, Func<int, Task> run)
    {
        var least = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await run(operations);
            least = Math.Min(least, (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)operations);
        }

        return least;
    }
}
