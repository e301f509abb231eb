using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Ocean.Transport.Internal;

/// <summary>
/// The part of every Ocean server that does not depend on what it serves: one accept loop over a
/// <see cref="ServerListener{TConnection}"/>, a handler task per connection, the tracking of the connections whose
/// handlers run, a connection limit, idle expiry on a heartbeat, and a stop that waits for the handlers up to a
/// deadline and then aborts the rest.
/// </summary>
/// <remarks>Logs its start-independent events (204 stopping, 205 deadline passed, 207 stopped) to the server's logger.</remarks>
internal abstract class ServerCore : IAsyncDisposable
{
    /// <summary>The first pause of the accept loop after an error that may last; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest pause of the accept loop between attempts that keep failing.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private protected int _activeConnections;
    private protected long _acceptedConnections;
    private protected long _refusedConnections;

    /// <summary>The endpoint bound; <see langword="null"/> before the start.</summary>
    public abstract EndPoint? EndPoint { get; }

    /// <summary>Connections whose handlers run now.</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Connections accepted since start, refused ones included.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _acceptedConnections);

    /// <summary>Connections closed at once because the limit was reached.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);

    /// <summary>Binds and starts accepting. A server starts once; starting after a stop throws.</summary>
    /// <param name="cancellationToken">Checked before binding.</param>
    /// <returns>A completed task: connections are accepted once this returns.</returns>
    public abstract Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops accepting, signals the handlers, waits for them up to the deadline, then aborts the rest. Idempotent.</summary>
    /// <param name="cancellationToken">Cuts the wait short, as if the deadline had passed.</param>
    /// <returns>The first call's task.</returns>
    public abstract Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Stops (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes once stopped.</returns>
    /// <remarks>The token sources are not disposed: handlers still running past the shutdown deadline may read their tokens.</remarks>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}

/// <summary>The server core over connections of one type (see <see cref="ServerCore"/>).</summary>
/// <typeparam name="TConnection">What a handler runs on.</typeparam>
internal sealed class ServerCore<TConnection> : ServerCore
    where TConnection : class
{
    private readonly ServerListener<TConnection> _listener;
    private readonly Func<TConnection, CancellationToken, Task> _run;
    private readonly int _maxConnections;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TConnection, Task> _connections = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborting = new();
    private readonly Lock _stateLock = new();
    private bool _started;
    private Task _acceptLoop = Task.CompletedTask;
    private Task? _stopTask;
    private ITimer? _heartbeat;

    /// <param name="listener">Where connections come from.</param>
    /// <param name="run">Runs one connection's handler and closes the connection; the core passes its stopping token. It should not throw.</param>
    /// <param name="maxConnections">How many handlers may run at once; a connection over it is refused.</param>
    /// <param name="idleTimeout">A connection inactive this long is expired; <see cref="Timeout.InfiniteTimeSpan"/> for never.</param>
    /// <param name="shutdownTimeout">How long a stop waits for handlers before aborting their connections.</param>
    /// <param name="timeProvider">The clock of the heartbeat, the retry pauses and the deadline.</param>
    /// <param name="logger">The server's logger.</param>
    public ServerCore(
        ServerListener<TConnection> listener,
        Func<TConnection, CancellationToken, Task> run,
        int maxConnections,
        TimeSpan idleTimeout,
        TimeSpan shutdownTimeout,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _listener = listener;
        _run = run;
        _maxConnections = maxConnections;
        _idleTimeout = idleTimeout;
        _shutdownTimeout = shutdownTimeout;
        _timeProvider = timeProvider;
        _logger = logger;
        listener.TryRefuseAtLimit = TryRefuseAtLimit;
    }

    public override EndPoint? EndPoint => _listener.EndPoint;

    /// <summary>Fires when the shutdown deadline has passed: closes still draining should give up.</summary>
    public CancellationToken Aborting => _aborting.Token;

    /// <summary>The connections whose handlers run now (a moment's view).</summary>
    public ICollection<TConnection> Connections => _connections.Keys;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // All of the start happens under the lock, so a StopAsync racing with it either sees nothing started (and
        // makes a later start throw) or everything started: the bound listener, the heartbeat timer, the accept loop.
        lock (_stateLock)
        {
            if (_started || _stopTask is not null)
            {
                throw new InvalidOperationException("A server can be started once.");
            }

            _listener.Start();
            _started = true;
            if (_idleTimeout != Timeout.InfiniteTimeSpan)
            {
                var period = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, _idleTimeout.Ticks / 2));
                _heartbeat = _timeProvider.CreateTimer(static state => ((ServerCore<TConnection>)state!).OnHeartbeat(), this, period, period);
            }

            _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            return _stopTask ??= StopCoreAsync(cancellationToken);
        }
    }

    private async Task AcceptLoopAsync()
    {
        var stopping = _stopping.Token;
        var retryDelay = TimeSpan.Zero;
        while (!stopping.IsCancellationRequested)
        {
            TConnection? connection;
            try
            {
                connection = await _listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (_listener.TakeProgress())
                {
                    retryDelay = TimeSpan.Zero; // it worked in between: this is a new episode, not the same error lasting
                }

                var next = retryDelay == TimeSpan.Zero ? MinRetryDelay : TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
                AcceptErrorAction action;
                try
                {
                    action = _listener.OnAcceptError(ex, next);
                }
                catch (Exception classifyError)
                {
                    // A listener that cannot classify its error: stop accepting, but never fault the loop, or the
                    // stop that awaits it would skip the deadline, the aborts and the listener's disposal.
                    Log.AcceptFailed(_logger, classifyError);
                    break;
                }

                if (action == AcceptErrorAction.Stop)
                {
                    break;
                }

                if (action == AcceptErrorAction.RetryLater)
                {
                    // Bounded, so an error that lasts does not make this loop spin; connections wait in the listener meanwhile.
                    retryDelay = next;
                    try
                    {
                        await Task.Delay(retryDelay, _timeProvider, stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                continue;
            }

            if (connection is null)
            {
                break;
            }

            retryDelay = TimeSpan.Zero;
            Interlocked.Increment(ref _acceptedConnections);
            if (Interlocked.Increment(ref _activeConnections) > _maxConnections)
            {
                Interlocked.Decrement(ref _activeConnections);
                Interlocked.Increment(ref _refusedConnections);
                try
                {
                    _listener.Refuse(connection, _maxConnections);
                }
                catch (Exception refuseError)
                {
                    // Only that connection is affected: the loop (and the stop awaiting it) must carry on.
                    Log.RefuseFailed(_logger, refuseError);
                }

                continue;
            }

            // Registered before the handler starts, so a stop and the heartbeat always see it.
            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = completion.Task;
            ThreadPool.UnsafeQueueUserWorkItem(
                static state => _ = state.Core.RunAsync(state.Connection, state.Completion),
                (Core: this, Connection: connection, Completion: completion),
                preferLocal: false);
        }
    }

    // Only the accept loop adds connections (handlers only leave): a connection found under the limit here is still under it.
    private bool TryRefuseAtLimit()
    {
        if (Volatile.Read(ref _activeConnections) < _maxConnections)
        {
            return false;
        }

        Interlocked.Increment(ref _acceptedConnections);
        Interlocked.Increment(ref _refusedConnections);
        return true;
    }

    private async Task RunAsync(TConnection connection, TaskCompletionSource completion)
    {
        try
        {
            await _run(connection, _stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            // Whatever happened, the connection stops counting and the stop stops waiting for it.
            _connections.TryRemove(connection, out _);
            Interlocked.Decrement(ref _activeConnections);
            completion.SetResult();
        }
    }

    private void OnHeartbeat()
    {
        var now = _timeProvider.GetTimestamp();
        foreach (var entry in _connections)
        {
            if (_timeProvider.GetElapsedTime(_listener.GetLastActivity(entry.Key), now) >= _idleTimeout)
            {
                _listener.Expire(entry.Key, _idleTimeout);
            }
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        Log.Stopping(_logger, _listener.EndPoint, ActiveConnections);
        foreach (var entry in _connections)
        {
            _listener.OnStopping(entry.Key);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.StopAccepting();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The loop guards the listener's calls; should anything else fault it, the stop must still carry on.
            Log.AcceptFailed(_logger, ex);
        }

        _heartbeat?.Dispose();
        foreach (var entry in _connections)
        {
            _listener.OnAcceptingEnded(entry.Key);
        }

        using var deadline = _shutdownTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(_shutdownTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.ShutdownDeadlinePassed(_logger, _connections.Count);
            await _aborting.CancelAsync().ConfigureAwait(false);
            foreach (var entry in _connections)
            {
                _listener.Abort(entry.Key);
            }
        }

        await _listener.DisposeAsync().ConfigureAwait(false);
        Log.Stopped(_logger, _listener.EndPoint);
    }
}
