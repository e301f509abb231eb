namespace Ocean.Transport.Internal;

/// <summary>The bounded wait of a graceful close for the peer's side to finish.</summary>
internal static class Linger
{
    /// <summary>Waits for <paramref name="receiveLoop"/> to end, at most <paramref name="timeout"/>; never throws.</summary>
    public static async Task WaitAsync(Task receiveLoop, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (receiveLoop.IsCompleted || timeout == TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await receiveLoop.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // The peer did not finish in time: close anyway.
        }
    }
}
