namespace Ocean.Remoting.Tests.Semantics;

/// <summary>A counter with one method of each semantics; the server-side counts are what the tests check.</summary>
public interface ICounter
{
    /// <summary>At-most-once (the default): adds and returns the new total.</summary>
    Task<long> AddAsync(long key, int amount);

    /// <summary>At-least-once.</summary>
    [Idempotent]
    Task<long> ReadAsync(long key);

    /// <summary>Maybe.</summary>
    [OneWay]
    Task NoteAsync(long key);

    /// <summary>Maybe, synchronous.</summary>
    [OneWay]
    void Poke(long key);

    /// <summary>At-most-once, returning <paramref name="size"/> bytes.</summary>
    Task<byte[]> BytesAsync(int size);

    /// <summary>At-most-once, running until <paramref name="milliseconds"/> pass.</summary>
    Task<int> SlowAsync(int milliseconds);

    /// <summary>Throws.</summary>
    Task<int> FailAsync(string message);
}

/// <summary>Counts every run of every key, so a test can see how many times each call ran.</summary>
public sealed class Counter : ICounter
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, int> _runs = new();
    private long _total;

    public int RunsOf(long key) => _runs.TryGetValue(key, out var runs) ? runs : 0;

    public IReadOnlyDictionary<long, int> Runs => _runs;

    public long Total => Interlocked.Read(ref _total);

    public TaskCompletionSource<long> Noted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> AddAsync(long key, int amount)
    {
        _runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        return Task.FromResult(Interlocked.Add(ref _total, amount));
    }

    public Task<long> ReadAsync(long key)
    {
        _runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        return Task.FromResult(Total);
    }

    public Task NoteAsync(long key)
    {
        _runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        Noted.TrySetResult(key);
        return Task.CompletedTask;
    }

    public void Poke(long key)
    {
        _runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        Noted.TrySetResult(key);
    }

    public Task<byte[]> BytesAsync(int size) => Task.FromResult(Enumerable.Range(0, size).Select(i => (byte)i).ToArray());

    public async Task<int> SlowAsync(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return milliseconds;
    }

    public Task<int> FailAsync(string message) => throw new InvalidOperationException(message);
}
