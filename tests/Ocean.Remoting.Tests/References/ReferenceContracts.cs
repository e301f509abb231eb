using System.Collections.Concurrent;

namespace Ocean.Remoting.Tests.References;

// ------------------------------------------------------------------ printed references (a named export reached by reference)

/// <summary>An ordinary (not [Remote]) interface, exported by name and reached through its printed reference.</summary>
public interface ITally
{
    Task<int> AddAsync(int amount);
}

public sealed class Tally : ITally
{
    private int _calls;
    private int _total;

    public int Calls => Volatile.Read(ref _calls);

    public Task<int> AddAsync(int amount)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(Interlocked.Add(ref _total, amount));
    }
}

/// <summary>A server that calls objects it is given (which may live on a third process).</summary>
public interface IRelay
{
    Task<int> IncrementThroughAsync(ICounter counter);
}

public sealed class Relay : IRelay
{
    public Task<int> IncrementThroughAsync(ICounter counter) => counter.IncrementAsync();
}

/// <summary>A counter that counts the calls it ran (to show that a refused call did not run).</summary>
public sealed class CountingCounter(int start) : ICounter
{
    private int _value = start;
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Task<int> IncrementAsync()
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(Interlocked.Increment(ref _value));
    }
}

// ------------------------------------------------------------------ re-entrant callback chains

public interface IChainServer
{
    /// <summary>Calls <paramref name="callback"/>.B(text) and wraps its answer: A(B(C(text))).</summary>
    Task<string> AAsync(IChainCallback callback, string text);

    Task<string> CAsync(string text);

    /// <summary>Ping-pong: the server calls the callback's Pong(depth), which calls back PingPong(depth - 1), to depth 0.</summary>
    Task<string> PingPongAsync(IChainCallback callback, int depth);

    /// <summary>Calls the synchronous Hear before any await (so, with InlineDispatch, on the read loop).</summary>
    Task<string> HearSyncAsync(ISyncListener listener, string text);

    /// <summary>Yields to the thread pool first, then calls the synchronous Hear.</summary>
    Task<string> HearSyncAfterYieldAsync(ISyncListener listener, string text);
}

[Remote]
public interface IChainCallback
{
    Task<string> BAsync(string text);

    Task<string> PongAsync(int depth);
}

[Remote]
public interface ISyncListener
{
    string Hear(string text);
}

public sealed class ChainServer : IChainServer
{
    public async Task<string> AAsync(IChainCallback callback, string text) => $"A({await callback.BAsync(text)})";

    public Task<string> CAsync(string text) => Task.FromResult($"C({text})");

    public async Task<string> PingPongAsync(IChainCallback callback, int depth) =>
        depth == 0 ? "ground" : $"s{depth}>{await callback.PongAsync(depth)}";

    public Task<string> HearSyncAsync(ISyncListener listener, string text) => Task.FromResult("server:" + listener.Hear(text));

    public async Task<string> HearSyncAfterYieldAsync(ISyncListener listener, string text)
    {
        await Task.Yield();
        return "server:" + listener.Hear(text);
    }
}

/// <summary>The client's callback: B calls the server's C; Pong calls the server's PingPong one level down, passing itself.</summary>
public sealed class ChainCallback(IChainServer server) : IChainCallback
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public async Task<string> BAsync(string text)
    {
        Interlocked.Increment(ref _calls);
        return $"B({await server.CAsync(text)})";
    }

    public async Task<string> PongAsync(int depth)
    {
        Interlocked.Increment(ref _calls);
        return $"c{depth}>{await server.PingPongAsync(this, depth - 1)}";
    }
}

public sealed class SyncListener : ISyncListener
{
    private int _heard;

    public int Heard => Volatile.Read(ref _heard);

    public string Hear(string text)
    {
        Interlocked.Increment(ref _heard);
        return "heard:" + text;
    }
}

// ------------------------------------------------------------------ many clients

public interface IChatRoom
{
    Task JoinAsync(string name, IChatListener listener);

    /// <summary>Delivers the message to every member and completes once every member has it.</summary>
    Task SayAsync(string from, int sequence);
}

[Remote]
public interface IChatListener
{
    Task HearAsync(string from, int sequence);
}

public sealed class ChatRoom : IChatRoom
{
    private readonly ConcurrentDictionary<string, IChatListener> _members = new();

    public Task JoinAsync(string name, IChatListener listener)
    {
        _members[name] = listener;
        return Task.CompletedTask;
    }

    public Task SayAsync(string from, int sequence) =>
        Task.WhenAll(_members.Values.Select(member => member.HearAsync(from, sequence)));
}

/// <summary>Records every message per sender; completes <see cref="AllHeard"/> when the expected number arrived.</summary>
public sealed class ChatListener(int expected) : IChatListener
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<int>> _heard = [];
    private readonly TaskCompletionSource _allHeard = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public Task AllHeard => _allHeard.Task;

    public Dictionary<string, List<int>> Snapshot()
    {
        lock (_lock)
        {
            return _heard.ToDictionary(p => p.Key, p => p.Value.ToList());
        }
    }

    public Task HearAsync(string from, int sequence)
    {
        lock (_lock)
        {
            if (!_heard.TryGetValue(from, out var list))
            {
                _heard[from] = list = [];
            }

            list.Add(sequence);
            if (++_count == expected)
            {
                _allHeard.TrySetResult();
            }
        }

        return Task.CompletedTask;
    }
}

// ------------------------------------------------------------------ references inside values

/// <summary>A CDR struct (public fields) and a graph object with [Remote] members: they travel as references.</summary>
public sealed class CounterCard
{
    public string Label = string.Empty;

    public ICounter? Counter;

    public IListener? Listener;
}

/// <summary>A graph-only object (a linked list whose nodes may share one counter).</summary>
public sealed class CounterNode
{
    public string Label { get; set; } = string.Empty;

    public ICounter? Counter { get; set; }

    public CounterNode? Next { get; set; }
}

public interface IValueHub
{
    /// <summary>A card holding a new server counter, and the listener given (passed back).</summary>
    Task<CounterCard> DealAsync(string label, int start, IListener? listener);

    /// <summary>Increments the card's counter and has its listener hear the label.</summary>
    Task<string> PlayAsync(CounterCard card);

    Task<ICounter[]> DealManyAsync(int count);

    /// <summary>Increments every counter once and sums the results.</summary>
    Task<int> IncrementAllAsync(ICounter[] counters);

    /// <summary>The printed-reference value of a named export of this server.</summary>
    Task<RemoteReference?> WhereAsync(string name);

    /// <summary>Increments every counter of the list once and sums the results.</summary>
    Task<int> IncrementListAsync(List<ICounter> counters);
}

public sealed class ValueHub(Func<string, RemoteReference>? where = null) : IValueHub
{
    public Task<CounterCard> DealAsync(string label, int start, IListener? listener) =>
        Task.FromResult(new CounterCard { Label = label, Counter = new Counter(start), Listener = listener });

    public async Task<string> PlayAsync(CounterCard card)
    {
        var count = card.Counter is null ? -1 : await card.Counter.IncrementAsync();
        var heard = card.Listener is null ? "nobody" : await card.Listener.HearAsync(card.Label);
        return $"{count}/{heard}";
    }

    public Task<ICounter[]> DealManyAsync(int count) =>
        Task.FromResult(Enumerable.Range(0, count).Select(i => (ICounter)new Counter(100 * i)).ToArray());

    public async Task<int> IncrementAllAsync(ICounter[] counters)
    {
        var sum = 0;
        foreach (var counter in counters)
        {
            sum += await counter.IncrementAsync();
        }

        return sum;
    }

    public Task<RemoteReference?> WhereAsync(string name) => Task.FromResult(where?.Invoke(name));

    public Task<int> IncrementListAsync(List<ICounter> counters) => IncrementAllAsync([.. counters]);
}

public interface IGraphHub
{
    /// <summary>A list of <paramref name="length"/> nodes that all share one new counter starting at <paramref name="start"/>.</summary>
    Task<CounterNode> ChainAsync(int length, int start);

    /// <summary>Walks the list, incrementing each node's counter; returns the last value.</summary>
    Task<int> WalkAsync(CounterNode head);
}

public sealed class GraphHub : IGraphHub
{
    public Task<CounterNode> ChainAsync(int length, int start)
    {
        var shared = new Counter(start);
        CounterNode? head = null;
        for (var i = length; i > 0; i--)
        {
            head = new CounterNode { Label = $"n{i}", Counter = shared, Next = head };
        }

        return Task.FromResult(head!);
    }

    public async Task<int> WalkAsync(CounterNode head)
    {
        var last = 0;
        for (var node = head; node is not null; node = node.Next)
        {
            last = await node.Counter!.IncrementAsync();
        }

        return last;
    }
}

// ------------------------------------------------------------------ passing references on (third parties), identity

/// <summary>Remembers the listeners its clients register and hands them around.</summary>
public interface IBroker
{
    Task RegisterAsync(string name, IListener listener);

    /// <summary>Returns the listener <paramref name="name"/> registered (to whoever asks).</summary>
    Task<IListener?> TakeAsync(string name);

    /// <summary>Calls the remembered listener: what it answers, or the failure's status, completion and message.</summary>
    Task<string> CallAsync(string name, string text);

    /// <summary>Gives <paramref name="to"/>'s mailbox the listener <paramref name="from"/> registered.</summary>
    Task<string> IntroduceAsync(string from, IMailbox to);

    /// <summary>The server-side description of each proxy (its object key).</summary>
    Task<string[]> DescribeAsync(IListener first, IListener second);

    /// <summary>The same server object every time.</summary>
    Task<ICounter> SharedCounterAsync();

    /// <summary>Whether <paramref name="counter"/> arrived as the shared counter itself.</summary>
    Task<bool> IsSharedAsync(ICounter counter);

    /// <summary>Increments the counter it is given (counting the calls: a refused call does not run this).</summary>
    Task<int> ReadAsync(ICounter counter);
}

[Remote]
public interface IMailbox
{
    Task<string> ReceiveAsync(IListener listener);
}

public sealed class Mailbox : IMailbox
{
    private int _received;

    public int Received => Volatile.Read(ref _received);

    public async Task<string> ReceiveAsync(IListener listener)
    {
        Interlocked.Increment(ref _received);
        return "mailbox:" + await listener.HearAsync("intro");
    }
}

public sealed class Broker(Counter? shared = null) : IBroker
{
    private readonly ConcurrentDictionary<string, IListener> _listeners = new();
    private readonly Counter _shared = shared ?? new(0);
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    public Task RegisterAsync(string name, IListener listener)
    {
        _listeners[name] = listener;
        return Task.CompletedTask;
    }

    public Task<IListener?> TakeAsync(string name) => Task.FromResult(_listeners.GetValueOrDefault(name));

    public async Task<string> CallAsync(string name, string text)
    {
        try
        {
            return await _listeners[name].HearAsync(text);
        }
        catch (RemotingException e)
        {
            return $"{e.Status}/{e.Completion}: {e.Message}";
        }
    }

    public Task<string> IntroduceAsync(string from, IMailbox to) => to.ReceiveAsync(_listeners[from]);

    public Task<string[]> DescribeAsync(IListener first, IListener second) =>
        Task.FromResult(new[] { first.ToString()!, second.ToString()! });

    public Task<ICounter> SharedCounterAsync() => Task.FromResult<ICounter>(_shared);

    public Task<bool> IsSharedAsync(ICounter counter) => Task.FromResult(ReferenceEquals(counter, _shared));

    public Task<int> ReadAsync(ICounter counter)
    {
        Interlocked.Increment(ref _reads);
        return counter.IncrementAsync();
    }
}

/// <summary>A chain server whose A waits for the test's go-ahead before it calls back (to start a stop meanwhile).</summary>
public sealed class GatedChainServer : IChainServer
{
    private readonly ChainServer _inner = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Started => _started.Task;

    public void Release() => _gate.TrySetResult();

    public async Task<string> AAsync(IChainCallback callback, string text)
    {
        _started.TrySetResult();
        await _gate.Task.WaitAsync(TestTimeouts.Operation);
        return await _inner.AAsync(callback, text);
    }

    public Task<string> CAsync(string text) => _inner.CAsync(text);

    public Task<string> PingPongAsync(IChainCallback callback, int depth) => _inner.PingPongAsync(callback, depth);

    public Task<string> HearSyncAsync(ISyncListener listener, string text) => _inner.HearSyncAsync(listener, text);

    public Task<string> HearSyncAfterYieldAsync(ISyncListener listener, string text) => _inner.HearSyncAfterYieldAsync(listener, text);
}

// ------------------------------------------------------------------ servers passing objects to each other

/// <summary>Keeps one counter for whoever asks (exported by name on one server).</summary>
[Remote]
public interface IHolder
{
    Task PutAsync(ICounter counter);

    Task<ICounter?> GetAsync();
}

public sealed class Holder : IHolder
{
    private ICounter? _counter;

    public Task PutAsync(ICounter counter)
    {
        Volatile.Write(ref _counter, counter);
        return Task.CompletedTask;
    }

    public Task<ICounter?> GetAsync() => Task.FromResult(Volatile.Read(ref _counter));
}

/// <summary>A server with a counter of its own, which it hands to holders on other servers.</summary>
public interface IDepot
{
    /// <summary>The depot's own counter, by reference.</summary>
    Task<ICounter> MineAsync();

    /// <summary>Puts the depot's own counter into <paramref name="holder"/> (a call from this server to the holder's).</summary>
    Task DepositAsync(IHolder holder);

    /// <summary>Whether what <paramref name="holder"/> keeps arrives here as the depot's own counter.</summary>
    Task<bool> HolderKeepsMineAsync(IHolder holder);
}

public sealed class Depot : IDepot
{
    private readonly CountingCounter _mine = new(0);

    public CountingCounter Mine => _mine;

    public Task<ICounter> MineAsync() => Task.FromResult<ICounter>(_mine);

    public Task DepositAsync(IHolder holder) => holder.PutAsync(_mine);

    public async Task<bool> HolderKeepsMineAsync(IHolder holder) => ReferenceEquals(await holder.GetAsync(), _mine);
}

// ------------------------------------------------------------------ callback limits

public interface IFanOut
{
    /// <summary>Calls the listener <paramref name="count"/> times at once; each outcome: "ok:ANSWER" or "STATUS/COMPLETION".</summary>
    Task<string[]> FanOutAsync(IListener listener, int count);
}

public sealed class FanOut : IFanOut
{
    public ConcurrentQueue<string> Failures { get; } = new();

    public Task<string[]> FanOutAsync(IListener listener, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            try
            {
                return "ok:" + await listener.HearAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (RemotingException e)
            {
                var outcome = $"{e.Status}/{e.Completion}";
                Failures.Enqueue(outcome);
                return outcome;
            }
        }));
}

/// <summary>A listener whose calls wait for the test's go-ahead.</summary>
public sealed class HeldListener : IListener
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    public int Started => Volatile.Read(ref _started);

    public void Release() => _release.TrySetResult();

    public async Task<string> HearAsync(string text)
    {
        Interlocked.Increment(ref _started);
        await _release.Task.WaitAsync(TestTimeouts.Operation);
        return "held:" + text;
    }
}
