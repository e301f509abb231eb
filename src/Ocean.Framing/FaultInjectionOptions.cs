namespace Ocean.Framing;

/// <summary>What a <see cref="FaultInjectingConnection"/> does to the messages it carries: a seed and the fault rates of each direction.</summary>
public sealed class FaultInjectionOptions
{
    private FaultRates _outgoing = new();
    private FaultRates _incoming = new();
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Seeds the decisions (default 0): the same seed and the same sequence of messages give the same decisions,
    /// so a failing test can be replayed.
    /// </summary>
    public int Seed { get; set; }

    /// <summary>The faults applied to what is sent (<see cref="MessageConnection.SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/> and its overloads); none by default.</summary>
    /// <exception cref="ArgumentNullException">Set to <see langword="null"/>.</exception>
    public FaultRates Outgoing
    {
        get => _outgoing;
        set => _outgoing = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The faults applied to what <see cref="MessageConnection.ReceiveAsync"/> returns; none by default.</summary>
    /// <exception cref="ArgumentNullException">Set to <see langword="null"/>.</exception>
    public FaultRates Incoming
    {
        get => _incoming;
        set => _incoming = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The clock delays and holds are measured with (default <see cref="TimeProvider.System"/>); tests may pass a fake one.</summary>
    /// <exception cref="ArgumentNullException">Set to <see langword="null"/>.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }
}

/// <summary>
/// How often each fault strikes one direction of a <see cref="FaultInjectingConnection"/>: probabilities in [0, 1],
/// all 0 by default (no faults).
/// </summary>
/// <remarks>
/// Each message is first dropped with probability <see cref="Drop"/>; a message not dropped is then delayed with
/// probability <see cref="Delay"/>, or else held for reordering with probability <see cref="Reorder"/>, and,
/// independently, delivered twice with probability <see cref="Duplicate"/> (a delayed or reordered duplicate
/// arrives twice when it is released).
/// </remarks>
public sealed class FaultRates
{
    private double _drop;
    private double _duplicate;
    private double _delay;
    private double _reorder;
    private TimeSpan _maxDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>No faults: every rate 0. A new instance each time, so changing it changes nothing shared.</summary>
    public static FaultRates None => new();

    /// <summary>The probability that a message is lost.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in [0, 1].</exception>
    public double Drop
    {
        get => _drop;
        set => _drop = Probability(value);
    }

    /// <summary>The probability that a message is delivered twice.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in [0, 1].</exception>
    public double Duplicate
    {
        get => _duplicate;
        set => _duplicate = Probability(value);
    }

    /// <summary>The probability that a message is held back for a random time in (0, <see cref="MaxDelay"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in [0, 1].</exception>
    public double Delay
    {
        get => _delay;
        set => _delay = Probability(value);
    }

    /// <summary>
    /// The probability that a message is held back and delivered right after the next message that goes through
    /// undelayed (or after <see cref="MaxDelay"/>, if none comes by then).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in [0, 1].</exception>
    public double Reorder
    {
        get => _reorder;
        set => _reorder = Probability(value);
    }

    /// <summary>The longest a delayed message is held, and how long a reordered one waits for a next message (default 50 ms).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan MaxDelay
    {
        get => _maxDelay;
        set => _maxDelay = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
    }

    /// <summary>Rates that lose a fraction <paramref name="probability"/> of the messages and do nothing else.</summary>
    /// <param name="probability">The probability that a message is lost, in [0, 1].</param>
    /// <returns>The rates.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is not in [0, 1].</exception>
    public static FaultRates Loss(double probability) => new() { Drop = probability };

    private static double Probability(double value, [System.Runtime.CompilerServices.CallerMemberName] string? name = null) =>
        value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(name, value, "A probability must be in [0, 1].");
}

/// <summary>
/// What a <see cref="FaultInjectingConnection"/> has done so far (<see cref="FaultInjectingConnection.Statistics"/>).
/// Each count is read atomically; a snapshot taken while messages flow may mix counts of slightly different moments.
/// </summary>
/// <param name="Sent">Messages given to a send on the open connection (dropped ones included).</param>
/// <param name="SentDropped">Sent messages that were lost.</param>
/// <param name="SentDuplicated">Sent messages that went out twice.</param>
/// <param name="SentDelayed">Sent messages that were held back for a random time.</param>
/// <param name="SentReordered">Sent messages that were held back to go out after the next one.</param>
/// <param name="Received">Messages read from the wrapped connection (dropped ones included).</param>
/// <param name="ReceivedDropped">Received messages that were lost.</param>
/// <param name="ReceivedDuplicated">Received messages that were returned twice.</param>
/// <param name="ReceivedDelayed">Received messages that were held back for a random time.</param>
/// <param name="ReceivedReordered">Received messages that were held back to be returned after the next one.</param>
public readonly record struct FaultInjectionStatistics(
    long Sent,
    long SentDropped,
    long SentDuplicated,
    long SentDelayed,
    long SentReordered,
    long Received,
    long ReceivedDropped,
    long ReceivedDuplicated,
    long ReceivedDelayed,
    long ReceivedReordered);
