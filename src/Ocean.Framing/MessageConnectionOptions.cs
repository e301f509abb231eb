using Microsoft.Extensions.Logging;

namespace Ocean.Framing;

/// <summary>Timeouts and observability for <see cref="MessageConnection"/>.</summary>
public class MessageConnectionOptions
{
    private TimeSpan _frameTimeout = TimeSpan.FromSeconds(30);
    private TimeSpan _idleTimeout = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long one frame may take to arrive, counted from its first byte (default 30 seconds). A peer that
    /// sends a length prefix and stalls, or drips a line a byte at a time, gets <see cref="FramingError.FrameTimeout"/>
    /// and its connection closed. Stream connections only: a datagram arrives whole or not at all.
    /// </summary>
    public TimeSpan FrameTimeout
    {
        get => _frameTimeout;
        set => _frameTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }

    /// <summary>
    /// How long a read may wait between messages before the connection is closed with <see cref="TimeoutException"/>.
    /// Default <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    public TimeSpan IdleTimeout
    {
        get => _idleTimeout;
        set => _idleTimeout = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive or infinite.");
    }

    /// <summary>Where log messages go; <see langword="null"/> (the default) means no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for both timeouts; tests substitute their own.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
