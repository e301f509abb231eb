namespace Ocean.Remoting.Tests.References;

/// <summary>A client's callback: travels by reference.</summary>
[Remote]
public interface IListener
{
    Task<string> HearAsync(string text);
}

/// <summary>A server object that calls back what it is given, and hands out objects by reference.</summary>
public interface IHub
{
    Task<string> ForwardAsync(IListener listener, string text);

    Task<ICounter> NewCounterAsync(int start);

    Task<int> ReadAsync(ICounter counter);

    Task<IListener?> EchoAsync(IListener? listener);
}

[Remote]
public interface ICounter
{
    Task<int> IncrementAsync();
}

public sealed class Hub : IHub
{
    public async Task<string> ForwardAsync(IListener listener, string text) => "hub:" + await listener.HearAsync(text);

    public Task<ICounter> NewCounterAsync(int start) => Task.FromResult<ICounter>(new Counter(start));

    public Task<int> ReadAsync(ICounter counter) => counter.IncrementAsync();

    public Task<IListener?> EchoAsync(IListener? listener) => Task.FromResult(listener);
}

public sealed class Counter(int start) : ICounter
{
    private int _value = start;

    public Task<int> IncrementAsync() => Task.FromResult(Interlocked.Increment(ref _value));
}

public sealed class Listener(string name) : IListener
{
    public int Heard;

    public Task<string> HearAsync(string text)
    {
        Interlocked.Increment(ref Heard);
        return Task.FromResult($"{name}:{text}");
    }
}

[Remote]
public interface IBadCallback
{
    void Take(ref int value);
}

public interface IUsesBadCallback
{
    Task UseAsync(IBadCallback callback);
}

[Remote]
public interface IPing
{
    Task<IPong> PingAsync(IPong pong);
}

[Remote]
public interface IPong
{
    Task<IPing> PongAsync(IPing ping);
}
