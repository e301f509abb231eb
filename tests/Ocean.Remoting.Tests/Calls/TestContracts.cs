namespace Ocean.Remoting.Tests.Calls;

public interface ICalculator
{
    Task<int> AddAsync(int a, int b);

    Task<string> EchoAsync(string text);

    ValueTask<long> MultiplyAsync(long a, long b);

    ValueTask ResetAsync();

    Task RecordAsync(int value);

    int Total { get; }

    int Negate(int value);

    void Clear();

    double Sum(List<double> values);

    double Sum(double a, double b);

    Task<int> DivideAsync(int a, int b);

    Task<int> WaitForCancellationAsync(int milliseconds, CancellationToken cancellationToken);

    Task<int> IgnoreTokenAsync(int milliseconds);

    Task<string?> MetadataAsync(string key);
}

public sealed class Calculator : ICalculator
{
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public TaskCompletionSource<bool> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Calls;

    public Task<int> AddAsync(int a, int b)
    {
        Interlocked.Increment(ref Calls);
        return Task.FromResult(a + b);
    }

    public Task<string> EchoAsync(string text) => Task.FromResult(text);

    public async ValueTask<long> MultiplyAsync(long a, long b)
    {
        await Task.Yield();
        return a * b;
    }

    public ValueTask ResetAsync()
    {
        Volatile.Write(ref _total, 0);
        return default;
    }

    public async Task RecordAsync(int value)
    {
        await Task.Yield();
        Interlocked.Add(ref _total, value);
    }

    public int Negate(int value) => -value;

    public void Clear() => Volatile.Write(ref _total, 0);

    public double Sum(List<double> values) => values.Sum();

    public double Sum(double a, double b) => a + b;

    public Task<int> DivideAsync(int a, int b) => Task.FromResult(a / b);

    public async Task<int> WaitForCancellationAsync(int milliseconds, CancellationToken cancellationToken)
    {
        Started.TrySetResult();
        try
        {
            await Task.Delay(milliseconds, cancellationToken);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult(true);
            throw;
        }
    }

    public async Task<int> IgnoreTokenAsync(int milliseconds)
    {
        Started.TrySetResult();
        await Task.Delay(milliseconds);
        return 2;
    }

    public Task<string?> MetadataAsync(string key) => Task.FromResult(RemoteCallContext.Current?.GetMetadata(key));
}
