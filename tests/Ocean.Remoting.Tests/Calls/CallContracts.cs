using System.Collections.Concurrent;

namespace Ocean.Remoting.Tests.Calls;

// ------------------------------------------------------------------ shapes and inheritance

public interface INamed
{
    Task<string> NameAsync();

    string Prefix { get; set; }
}

public interface IGreeter : INamed
{
    Task<string> GreetAsync(string who);

    string Greet(string who, int times);

    string Greet(int number);
}

public sealed class Greeter : IGreeter
{
    public string Prefix { get; set; } = "Hello";

    public Task<string> NameAsync() => Task.FromResult("greeter");

    public async Task<string> GreetAsync(string who)
    {
        await Task.Yield();
        return $"{Prefix}, {who}";
    }

    public string Greet(string who, int times) => string.Join(" ", Enumerable.Repeat($"{Prefix}, {who}", times));

    public string Greet(int number) => $"{Prefix}, #{number}";
}

// ------------------------------------------------------------------ object graphs

public sealed class Node
{
    public int Value { get; set; }

    public Node? Next { get; set; }
}

public sealed class Pair
{
    public Node? Left { get; set; }

    public Node? Right { get; set; }
}

public interface IGraphService
{
    /// <summary>Whether the two arguments arrived as one object.</summary>
    Task<bool> SameAsync(Node a, Node b);

    /// <summary>Sums the values along Next until it comes back to the start (a cycle) or ends.</summary>
    ValueTask<int> SumRingAsync(Node start);

    /// <summary>Returns a pair whose Left and Right are the same object.</summary>
    Pair MakeSharedPair(int value);
}

public sealed class GraphService : IGraphService
{
    public Task<bool> SameAsync(Node a, Node b) => Task.FromResult(ReferenceEquals(a, b));

    public ValueTask<int> SumRingAsync(Node start)
    {
        var sum = 0;
        var node = start;
        do
        {
            sum += node.Value;
            node = node.Next;
        }
        while (node is not null && !ReferenceEquals(node, start));
        return ValueTask.FromResult(sum);
    }

    public Pair MakeSharedPair(int value)
    {
        var node = new Node { Value = value };
        return new Pair { Left = node, Right = node };
    }
}

// ------------------------------------------------------------------ errors

public sealed class ProbeFailedException(string message) : Exception(message);

public interface IFaulty
{
    Task<int> ThrowAsync(string message);

    int ThrowNow(string message);

    /// <summary>Returns null: CDR has no null string, so the result cannot be marshalled.</summary>
    Task<string> NullTextAsync();

    /// <summary>Blocks until <see cref="Faulty.Gate"/> opens.</summary>
    Task<int> GateAsync(int id);

    Task<int> OkAsync(int value);
}

public sealed class Faulty : IFaulty
{
    private int _gateEntered;

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentBag<int> GateIds { get; } = [];

    public TaskCompletionSource TwoInside { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int NullTextCalls;

    public async Task<int> ThrowAsync(string message)
    {
        await Task.Yield();
        throw new ProbeFailedException(message);
    }

    public int ThrowNow(string message) => throw new InvalidOperationException(message);

    public Task<string> NullTextAsync()
    {
        Interlocked.Increment(ref NullTextCalls);
        return Task.FromResult<string>(null!);
    }

    public async Task<int> GateAsync(int id)
    {
        GateIds.Add(id);
        if (Interlocked.Increment(ref _gateEntered) == 2)
        {
            TwoInside.TrySetResult();
        }

        await Gate.Task;
        return id;
    }

    public Task<int> OkAsync(int value) => Task.FromResult(value);
}

// ------------------------------------------------------------------ deadlines

public interface IDeadlines
{
    /// <summary>The deadline the server saw, as milliseconds remaining when the method started; -1 for none.</summary>
    Task<long> PlainAsync();

    // Seconds, not a few hundred milliseconds: the call must still succeed within it on a loaded machine, and 5 s is still
    // far from the 60 s default the test sets beside it.
    [RemoteDeadline(5_000)]
    Task<long> AttributedAsync();

    /// <summary>Waits for its token; records the deadline and whether the token was cancelled.</summary>
    Task<int> WaitAsync(int milliseconds, CancellationToken cancellationToken);
}

public sealed class Deadlines : IDeadlines
{
    public TaskCompletionSource<DateTimeOffset?> SeenDeadline { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<DateTimeOffset> TokenCancelledAt { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> PlainAsync() => Task.FromResult(Remaining());

    public Task<long> AttributedAsync() => Task.FromResult(Remaining());

    public async Task<int> WaitAsync(int milliseconds, CancellationToken cancellationToken)
    {
        SeenDeadline.TrySetResult(RemoteCallContext.Current?.Deadline);
        try
        {
            await Task.Delay(milliseconds, cancellationToken);
            return 1;
        }
        catch (OperationCanceledException)
        {
            TokenCancelledAt.TrySetResult(DateTimeOffset.UtcNow);
            throw;
        }
    }

    private static long Remaining() =>
        RemoteCallContext.Current?.Deadline is { } deadline ? (long)(deadline - DateTimeOffset.UtcNow).TotalMilliseconds : -1;
}

// ------------------------------------------------------------------ metadata and interceptors

public interface IMetadataProbe
{
    /// <summary>The value of a metadata header, or "&lt;none&gt;".</summary>
    Task<string> GetAsync(string key);

    /// <summary>Every header key the call carried, in order.</summary>
    Task<List<string>> KeysAsync();
}

public sealed class MetadataProbe : IMetadataProbe
{
    public int Calls;

    public Task<string> GetAsync(string key)
    {
        Interlocked.Increment(ref Calls);
        return Task.FromResult(RemoteCallContext.Current?.GetMetadata(key) ?? "<none>");
    }

    public Task<List<string>> KeysAsync()
    {
        Interlocked.Increment(ref Calls);
        return Task.FromResult(RemoteCallContext.Current?.Metadata.Select(m => m.Key).ToList() ?? []);
    }
}

/// <summary>Refuses calls without "authorization: Bearer secret".</summary>
public sealed class AuthorizationInterceptor : IRemoteServerInterceptor
{
    public int Refused;

    public ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next)
    {
        if (context.GetMetadata("authorization") != "Bearer secret")
        {
            Interlocked.Increment(ref Refused);
            throw new RemotingException(RemotingStatus.PermissionDenied, CompletionStatus.No, $"{context.ObjectName}.{context.Method.Name} needs a bearer token.");
        }

        return next(context);
    }
}

/// <summary>Records when it runs, and what it saw of the call.</summary>
public sealed class RecordingServerInterceptor(string name, ConcurrentQueue<string> log) : IRemoteServerInterceptor
{
    public RemoteCallContext? Seen { get; private set; }

    public bool CurrentWasSet { get; private set; }

    public async ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next)
    {
        Seen = context;
        CurrentWasSet = ReferenceEquals(RemoteCallContext.Current, context);
        log.Enqueue(name + " before");
        await next(context);
        log.Enqueue(name + " after");
    }
}

public sealed class AddHeaderInterceptor(string key, string value) : IRemoteClientInterceptor
{
    public ValueTask InterceptAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
    {
        context.Metadata.Add(new(key, value));
        return next(context);
    }
}

public sealed class RecordingClientInterceptor(string name, ConcurrentQueue<string> log) : IRemoteClientInterceptor
{
    public ClientCallContext? Seen { get; private set; }

    public async ValueTask InterceptAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
    {
        Seen = context;
        log.Enqueue(name + " before");
        await next(context);
        log.Enqueue(name + " after");
    }
}

public sealed class RefusingClientInterceptor : IRemoteClientInterceptor
{
    public ValueTask InterceptAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next) =>
        throw new InvalidOperationException($"Refused locally: {context.Method.Name}");
}

// ------------------------------------------------------------------ races

public interface ILengths
{
    Task<int> LengthAsync(string text);
}

public sealed class Lengths : ILengths
{
    public ConcurrentQueue<int> Ran { get; } = new();

    public Task<int> LengthAsync(string text)
    {
        Ran.Enqueue(text.Length);
        return Task.FromResult(text.Length);
    }
}

[RemoteDeadline(5_000)] // long enough for the call to succeed on a loaded machine, far below the method's own 60 s
public interface IDeadlinedInterface
{
    /// <summary>The milliseconds left of the call's deadline when the method started; -1 for none.</summary>
    Task<long> RemainingAsync();

    [RemoteDeadline(60_000)]
    Task<long> LongerAsync();
}

public sealed class DeadlinedInterface : IDeadlinedInterface
{
    public Task<long> RemainingAsync() => Task.FromResult(Remaining());

    public Task<long> LongerAsync() => Task.FromResult(Remaining());

    private static long Remaining() =>
        RemoteCallContext.Current?.Deadline is { } deadline ? (long)(deadline - DateTimeOffset.UtcNow).TotalMilliseconds : -1;
}

public interface IHolder
{
    /// <summary>Waits for its token; records the call's tag when it starts and when its token is cancelled.</summary>
    Task<int> HoldAsync(int tag, string payload, CancellationToken cancellationToken);

    Task<int> OkAsync(int value);
}

public sealed class Holder : IHolder
{
    public ConcurrentDictionary<int, TaskCompletionSource> Cancelled { get; } = new();

    public ConcurrentQueue<int> Started { get; } = new();

    public async Task<int> HoldAsync(int tag, string payload, CancellationToken cancellationToken)
    {
        var cancelled = Cancelled.GetOrAdd(tag, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Started.Enqueue(tag);
        try
        {
            await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
            return tag;
        }
        catch (OperationCanceledException)
        {
            cancelled.TrySetResult();
            throw;
        }
    }

    public Task<int> OkAsync(int value) => Task.FromResult(value);
}
