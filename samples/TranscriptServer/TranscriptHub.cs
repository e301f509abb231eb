using System.Threading.Channels;
using Ocean.Remoting;

namespace Ocean.Samples;

/// <summary>
/// The object TranscriptServer exports (the demo serves it too): keeps the registered transcripts (proxies of the clients'
/// own objects) and shows every line sent on each of them.
/// </summary>
/// <remarks>
/// Each transcript has its own queue, drained by its own task that calls it one line at a time, each call bounded by a
/// deadline; lines are queued for every transcript under one lock, so every transcript receives them in the order the
/// server received them (so in order per sender), and a slow or vanished client holds up only its own queue. A transcript
/// whose call fails (its client went away, or did not answer in time) or whose queue is full is dropped, with a line
/// saying why; the others go on.
/// </remarks>
public sealed class TranscriptHub : ITranscriptServer, IAsyncDisposable
{
    /// <summary>The longest name, in characters.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The longest line of text, in characters.</summary>
    public const int MaxTextLength = 1000;

    /// <summary>How many lines <see cref="LinesAsync"/> returns at most (the oldest are forgotten first).</summary>
    public const int MaxLines = 1000;

    /// <summary>How many lines may wait for one transcript before it is dropped as too slow.</summary>
    public const int QueueCapacity = 256;

    private readonly Action<string> _log;
    private readonly TimeSpan _showTimeout;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Registration> _registrations = [];
    private readonly Queue<string> _lines = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _lastRegistration;

    /// <summary>Creates a hub.</summary>
    /// <param name="log">Where it says what happens (a registration, a line, a transcript dropped).</param>
    /// <param name="showTimeout">How long a transcript may take to show one line before it is dropped.</param>
    public TranscriptHub(Action<string> log, TimeSpan showTimeout)
    {
        _log = log;
        _showTimeout = showTimeout;
    }

    /// <summary>The transcripts registered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _registrations.Count;
            }
        }
    }

    /// <inheritdoc/>
    public Task<int> RegisterAsync(string name, ITranscript transcript)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(transcript);
        var queue = Channel.CreateBounded<(string Sender, string Text)>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true });
        Registration registration;
        int count;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            registration = new Registration(++_lastRegistration, name, transcript, queue);
            _registrations.Add(registration.Id, registration);
            count = _registrations.Count;
        }

        var from = RemoteCallContext.Current?.PeerEndPoint is { } peer ? $" from {peer}" : string.Empty; // none in process
        _log($"{name} registered a transcript (#{registration.Id}){from}; {Plural(count, "transcript")} registered");

        // The pump outlives this call: start it without this call's execution context (its RemoteCallContext).
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => PumpAsync(registration));
        }

        return Task.FromResult(registration.Id);
    }

    /// <inheritdoc/>
    public Task SendAsync(string name, string text)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxTextLength || text.Any(char.IsControl))
        {
            throw new ArgumentException($"A line takes at most {MaxTextLength} characters, none of them a control character.");
        }

        List<Registration>? tooSlow = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            _lines.Enqueue($"{name}: {text}");
            if (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
            }

            foreach (var registration in _registrations.Values)
            {
                if (!registration.Queue.Writer.TryWrite((name, text)))
                {
                    (tooSlow ??= []).Add(registration);
                }
            }
        }

        _log($"{name}: {text}");
        foreach (var registration in tooSlow ?? [])
        {
            Drop(registration, $"{QueueCapacity} lines wait for it");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<string[]> LinesAsync()
    {
        lock (_lock)
        {
            return Task.FromResult(_lines.ToArray());
        }
    }

    /// <inheritdoc/>
    public Task<bool> UnregisterAsync(int registration)
    {
        Registration? removed;
        int count;
        lock (_lock)
        {
            _registrations.Remove(registration, out removed);
            count = _registrations.Count;
        }

        if (removed is null)
        {
            return Task.FromResult(false);
        }

        removed.Queue.Writer.TryComplete();
        _log($"{removed.Name} unregistered its transcript (#{removed.Id}); {Plural(count, "transcript")} registered");
        return Task.FromResult(true);
    }

    /// <summary>Stops showing lines: queued lines are abandoned, calls in flight are no longer awaited.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested)
            {
                return ValueTask.CompletedTask;
            }

            _stopping.Cancel();
            foreach (var registration in _registrations.Values)
            {
                registration.Queue.Writer.TryComplete();
            }

            _registrations.Clear();
        }

        return ValueTask.CompletedTask;
    }

    // The refusals' messages travel to the client (RemotingException.RemoteMessage): no "(Parameter 'name')" on them.
    private static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
        {
            throw new ArgumentException($"A name takes 1 to {MaxNameLength} characters, none of them a control character.");
        }
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    // Shows the transcript's lines one at a time, until it is unregistered or dropped, or the hub stops.
    private async Task PumpAsync(Registration registration)
    {
        try
        {
            await foreach (var (sender, text) in registration.Queue.Reader.ReadAllAsync(_stopping.Token))
            {
                if (!IsRegistered(registration))
                {
                    return; // unregistered or dropped: the lines still queued are not shown
                }

                using (RemoteCallScope.WithDeadline(_showTimeout)) // a client that does not answer must not hold its queue forever
                {
                    await registration.Transcript.ShowAsync(sender, text).WaitAsync(_stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The hub stops: say nothing.
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            // A RemotingException when its client went away (Unavailable) or did not answer in time (DeadlineExceeded), or
            // whatever the client's object threw: in every case this transcript is done, and only this one.
            Drop(registration, (ex is RemotingException remote ? $"{remote.Status}: {remote.Message}" : ex.Message).TrimEnd('.'));
        }
        catch (Exception)
        {
            // Failed while the hub stops: nothing to say.
        }
    }

    private bool IsRegistered(Registration registration)
    {
        lock (_lock)
        {
            return _registrations.ContainsKey(registration.Id);
        }
    }

    private void Drop(Registration registration, string why)
    {
        int count;
        lock (_lock)
        {
            if (!_registrations.Remove(registration.Id))
            {
                return; // already unregistered or dropped
            }

            count = _registrations.Count;
        }

        registration.Queue.Writer.TryComplete();
        _log($"dropped {registration.Name}'s transcript (#{registration.Id}): {why}; {Plural(count, "transcript")} registered");
    }

    private sealed record Registration(int Id, string Name, ITranscript Transcript, Channel<(string Sender, string Text)> Queue);
}
