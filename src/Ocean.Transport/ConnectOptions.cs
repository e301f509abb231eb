namespace Ocean.Transport;

/// <summary>Settings for <see cref="SocketConnector"/>.</summary>
public sealed class ConnectOptions : ConnectionOptions
{
    private TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a connect may take, name resolution included, before it fails with
    /// <see cref="ConnectException"/> (<see cref="ConnectFailure.TimedOut"/>). Default 10 seconds;
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none.
    /// </summary>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        set => _connectTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }
}
