namespace Ocean.Transport;

/// <summary>TCP keep-alive settings: probe an idle connection so a vanished peer is noticed.</summary>
public sealed class TcpKeepAliveOptions
{
    /// <summary>How long the connection must be idle before the first probe. Default 60 seconds.</summary>
    public TimeSpan Time { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between unanswered probes. Default 10 seconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Unanswered probes after which the connection is dropped. Default 5.</summary>
    public int RetryCount { get; set; } = 5;
}
