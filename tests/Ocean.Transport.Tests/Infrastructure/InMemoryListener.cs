using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Ocean.Transport.Internal;

namespace Ocean.Transport.Tests.Infrastructure;

/// <summary>A connection of the <see cref="InMemoryListener"/>: records what the server core did to it.</summary>
internal sealed class FakeConnection(string name, long lastActivity)
{
    private long _lastActivity = lastActivity;
    private int _expirations;
    private int _aborted;

    public string Name { get; } = name;

    /// <summary>Completes when the core's run step starts this connection's handler.</summary>
    public TaskCompletionSource HandlerStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The handler returns when this completes (an abort completes it too, as a real abort ends a handler's reads).</summary>
    public TaskCompletionSource Finish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long LastActivity
    {
        get => Volatile.Read(ref _lastActivity);
        set => Volatile.Write(ref _lastActivity, value);
    }

    public int Expirations => Volatile.Read(ref _expirations);

    public bool Aborted => Volatile.Read(ref _aborted) != 0;

    public bool Refused { get; set; }

    public bool SawStopping { get; set; }

    public bool SawAcceptingEnded { get; set; }

    public void Expire() => Interlocked.Increment(ref _expirations);

    public void Abort()
    {
        Volatile.Write(ref _aborted, 1);
        Finish.TrySetResult();
    }

    public override string ToString() => Name;
}

/// <summary>
/// A <see cref="ServerListener{TConnection}"/> over an in-memory queue: a test hands it connections and errors, and
/// reads back what the server core asked of it. No sockets.
/// </summary>
internal sealed class InMemoryListener : ServerListener<FakeConnection>
{
    private readonly Channel<object> _incoming = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private int _accepts;
    private volatile bool _started;
    private volatile bool _stoppedAccepting;
    private volatile bool _disposed;

    /// <summary>What the core should do after an error; retry after a pause unless a test says otherwise.</summary>
    public Func<Exception, AcceptErrorAction> Classify { get; set; } = _ => AcceptErrorAction.RetryLater;

    /// <summary>Every error the core reported, with the pause it offered, in order.</summary>
    public ConcurrentQueue<(Exception Error, TimeSpan RetryDelay)> Errors { get; } = new();

    /// <summary>Calls of <see cref="AcceptAsync"/> so far.</summary>
    public int Accepts => Volatile.Read(ref _accepts);

    public bool Started => _started;

    public bool StoppedAccepting => _stoppedAccepting;

    public bool Disposed => _disposed;

    public override EndPoint? EndPoint => _started ? new IPEndPoint(IPAddress.Loopback, 7) : null;

    public void Add(FakeConnection connection) => _incoming.Writer.TryWrite(connection);

    public void Fail(Exception error) => _incoming.Writer.TryWrite(error);

    /// <summary>As a UDP listener does when a datagram reaches a known peer: the listener works again.</summary>
    public void Progress() => ReportProgress();

    public override void Start() => _started = true;

    public override async ValueTask<FakeConnection?> AcceptAsync(CancellationToken stopping)
    {
        Interlocked.Increment(ref _accepts);
        if (!await _incoming.Reader.WaitToReadAsync(stopping))
        {
            return null;
        }

        _incoming.Reader.TryRead(out var item);
        return item is Exception error ? throw error : (FakeConnection)item!;
    }

    public override AcceptErrorAction OnAcceptError(Exception error, TimeSpan retryDelay)
    {
        Errors.Enqueue((error, retryDelay));
        return Classify(error);
    }

    /// <summary>Thrown by <see cref="Refuse"/> once the connection is marked refused, when set (a listener with a bug).</summary>
    public Exception? RefuseError { get; set; }

    public override void Refuse(FakeConnection connection, int maxConnections)
    {
        connection.Refused = true;
        if (RefuseError is { } error)
        {
            throw error;
        }
    }

    public override long GetLastActivity(FakeConnection connection) => connection.LastActivity;

    public override void Expire(FakeConnection connection, TimeSpan idleTimeout) => connection.Expire();

    public override void OnStopping(FakeConnection connection) => connection.SawStopping = true;

    public override void StopAccepting()
    {
        _stoppedAccepting = true;
        _incoming.Writer.TryComplete();
    }

    public override void OnAcceptingEnded(FakeConnection connection) => connection.SawAcceptingEnded = true;

    public override void Abort(FakeConnection connection) => connection.Abort();

    public override ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }
}
