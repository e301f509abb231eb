namespace Ocean.Testing;

/// <summary>
/// Runs a hook whenever a timer is created, then delegates to a manual clock: lets a test act at the exact moment code
/// under test creates a timer (for example, race a stop against a start that is creating its heartbeat).
/// </summary>
public sealed class HookedTimeProvider(ManualTimeProvider clock, Action onCreateTimer) : TimeProvider
{
    public override long TimestampFrequency => clock.TimestampFrequency;

    public override long GetTimestamp() => clock.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        onCreateTimer();
        return clock.CreateTimer(callback, state, dueTime, period);
    }
}
