using System.Threading.Channels;
using Ocean.Remoting.Internal.Leases;

namespace Ocean.Remoting.Tests.Leases;

/// <summary>A lender that records every dirty and clean; answers with <see cref="Granted"/>, or fails, or waits for a gate.</summary>
internal sealed class FakeLeaseOwner(string name = "fake lender") : ILeaseOwner
{
    private readonly Channel<LeaseCall> _calls = Channel.CreateUnbounded<LeaseCall>();
    private int _failures;
    private volatile bool _gone;
    private TaskCompletionSource? _gate;

    /// <summary>What a dirty answers, in milliseconds.</summary>
    public long Granted { get; set; } = 10_000;

    public bool IsGone
    {
        get => _gone;
        set => _gone = value;
    }

    /// <summary>Every call so far, in order.</summary>
    public List<LeaseCall> History { get; } = [];

    public string Describe() => name;

    /// <summary>The next <paramref name="count"/> calls throw.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failures, count);

    /// <summary>Calls from now on wait until <see cref="Open"/> (or their token).</summary>
    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    public Task<long> DirtyAsync(string holder, long sequence, string incarnation, ulong[] numbers, CancellationToken ct) =>
        AnswerAsync(new LeaseCall(true, holder, sequence, incarnation, [.. numbers]), ct);

    public Task CleanAsync(string holder, long sequence, string incarnation, ulong[] numbers, CancellationToken ct) =>
        AnswerAsync(new LeaseCall(false, holder, sequence, incarnation, [.. numbers]), ct);

    /// <summary>The next call not yet taken, waiting for it (bounded).</summary>
    public async Task<LeaseCall> NextAsync() => await _calls.Reader.ReadAsync().AsTask().WithTimeout();

    /// <summary>Whether a call is waiting to be taken.</summary>
    public bool HasCall => _calls.Reader.TryPeek(out _);

    private async Task<long> AnswerAsync(LeaseCall call, CancellationToken ct)
    {
        lock (History)
        {
            History.Add(call);
        }

        _calls.Writer.TryWrite(call);
        if (_gate is { } gate)
        {
            await gate.Task.WaitAsync(ct);
        }

        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            throw new IOException("The lender is unreachable.");
        }

        return Granted;
    }
}

/// <summary>One dirty (<see cref="Dirty"/>) or clean.</summary>
internal sealed record LeaseCall(bool Dirty, string Holder, long Sequence, string Incarnation, ulong[] Numbers);
