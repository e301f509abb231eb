using System.Net;

namespace Ocean.Transport.Internal;

/// <summary>What a <see cref="ServerCore{TConnection}"/> accept loop does after its listener failed to produce a connection.</summary>
internal enum AcceptErrorAction
{
    /// <summary>Accept again at once: the error concerned one connection or datagram only.</summary>
    RetryNow,

    /// <summary>Pause (5 ms, doubling up to 1 s, on the server's clock), then accept again: the error may last.</summary>
    RetryLater,

    /// <summary>Accept no more; handlers already running go on until the server stops.</summary>
    Stop,
}

/// <summary>
/// Where a <see cref="ServerCore{TConnection}"/> gets its connections from, and what it takes to expire, stop and abort
/// one of them: a listening stream socket (<see cref="SocketServer"/>), a UDP socket whose new peers are the
/// connections (Ocean.Framing's datagram server), or an in-memory queue in tests.
/// </summary>
/// <remarks>
/// The core calls <see cref="Start"/> once, then <see cref="AcceptAsync"/> from one loop; every other member may be
/// called concurrently with that loop (the heartbeat, a stop). The listener logs and counts what only it understands
/// (which errors are worth a retry, why a connection expired); the core owns handler tasks, tracking, counts,
/// idle expiry and the stop deadline.
/// </remarks>
/// <typeparam name="TConnection">What a handler runs on.</typeparam>
internal abstract class ServerListener<TConnection>
    where TConnection : class
{
    private volatile bool _madeProgress;

    /// <summary>The bound endpoint; <see langword="null"/> before <see cref="Start"/>.</summary>
    public abstract EndPoint? EndPoint { get; }

    /// <summary>Binds. Called once, under the core's start lock, before the accept loop runs; throwing fails the start.</summary>
    public abstract void Start();

    /// <summary>Waits for the next connection.</summary>
    /// <param name="stopping">Fires when the server stops: the listener returns or throws soon after.</param>
    /// <returns>The connection, or <see langword="null"/> when no more will come.</returns>
    public abstract ValueTask<TConnection?> AcceptAsync(CancellationToken stopping);

    /// <summary>Classifies (and logs) an error <see cref="AcceptAsync"/> threw while the server was running.</summary>
    /// <param name="error">What was thrown.</param>
    /// <param name="retryDelay">The pause the core takes if the answer is <see cref="AcceptErrorAction.RetryLater"/>.</param>
    /// <returns>Whether and when to accept again.</returns>
    public virtual AcceptErrorAction OnAcceptError(Exception error, TimeSpan retryDelay) => AcceptErrorAction.Stop;

    /// <summary>
    /// Set by the core: whether the server is at its connection limit now, in which case the connection about to be
    /// accepted is counted as accepted and refused, and the listener closes it itself (without <see cref="Refuse"/>).
    /// A listener asks before building a connection, so one over the limit costs no more than its socket.
    /// </summary>
    public Func<bool> TryRefuseAtLimit { get; set; } = static () => false;

    /// <summary>Closes a connection accepted while the server was at its connection limit; its handler never runs.</summary>
    /// <param name="connection">The connection over the limit.</param>
    /// <param name="maxConnections">The limit, for the log.</param>
    public virtual void Refuse(TConnection connection, int maxConnections) => Abort(connection);

    /// <summary>When the connection was last active, in <see cref="TimeProvider.GetTimestamp"/> units of the server's clock.</summary>
    /// <param name="connection">A connection whose handler is running.</param>
    /// <returns>The timestamp.</returns>
    public abstract long GetLastActivity(TConnection connection);

    /// <summary>Ends a connection idle for the server's idle timeout. Called on every heartbeat until its handler returns, so it must be idempotent.</summary>
    /// <param name="connection">The idle connection.</param>
    /// <param name="idleTimeout">The timeout, for the log and the exception.</param>
    public abstract void Expire(TConnection connection, TimeSpan idleTimeout);

    /// <summary>The server is about to signal its handlers to stop (the stopping token has not fired yet).</summary>
    /// <param name="connection">A connection whose handler is running.</param>
    public virtual void OnStopping(TConnection connection)
    {
    }

    /// <summary>Stops accepting: <see cref="AcceptAsync"/> must return soon. Called after the stopping token fired; also for a listener never started.</summary>
    public virtual void StopAccepting()
    {
    }

    /// <summary>The accept loop has ended; the core now waits for the handlers up to the shutdown deadline.</summary>
    /// <param name="connection">A connection whose handler is still running.</param>
    public virtual void OnAcceptingEnded(TConnection connection)
    {
    }

    /// <summary>Drops a connection whose handler outlived the shutdown deadline (or one refused over the limit).</summary>
    /// <param name="connection">The connection.</param>
    public abstract void Abort(TConnection connection);

    /// <summary>Releases what the listener holds, once every handler has returned or been aborted.</summary>
    /// <returns>A task that completes once released.</returns>
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Tells the core that the listener is working again (it received something), so the next error's pause starts short.</summary>
    protected void ReportProgress() => _madeProgress = true;

    /// <summary>Whether <see cref="ReportProgress"/> was called since the last time this was asked.</summary>
    /// <returns><see langword="true"/> once per report.</returns>
    internal bool TakeProgress()
    {
        if (!_madeProgress)
        {
            return false;
        }

        _madeProgress = false;
        return true;
    }
}
