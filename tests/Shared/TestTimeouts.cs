namespace Ocean.Testing;

/// <summary>Every wait in the tests is bounded by one of these.</summary>
public static class TestTimeouts
{
    /// <summary>Generous bound for one network operation on a loaded 2-core CI machine.</summary>
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(30);

    /// <summary>Bound for whole-test loads (many clients, megabytes each).</summary>
    public static readonly TimeSpan Load = TimeSpan.FromSeconds(120);

    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Operation);

    public static Task WithTimeout(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Operation);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? timeout = null) => task.AsTask().WaitAsync(timeout ?? Operation);

    public static Task WithTimeout(this ValueTask task, TimeSpan? timeout = null) => task.AsTask().WaitAsync(timeout ?? Operation);

    /// <summary>Polls a condition (for state that has no event to await), bounded by <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Operation);
        while (!condition())
        {
            if (cts.IsCancellationRequested)
            {
                throw new TimeoutException("Condition not met in time" + (because is null ? "." : ": " + because));
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }
}
