using System.Net.Security;

namespace Ocean.Transport;

/// <summary>Settings for <see cref="SocketConnector"/>.</summary>
public sealed class SocketConnectorOptions : ConnectionOptions
{
    private TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Speak TLS over the connection with these settings (server name and certificate validation, client
    /// certificates, protocol versions: <see langword="null"/> ones are left to the OS defaults);
    /// <see langword="null"/> (the default) for plain TCP. When <see cref="SslClientAuthenticationOptions.TargetHost"/>
    /// is not set, the host being connected to is used for SNI and host-name validation. The object is not modified.
    /// </summary>
    public SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>
    /// How long a connect may take, name resolution and the TLS handshake included, before it fails with
    /// <see cref="ConnectException"/> (<see cref="TransportError.ConnectTimedOut"/>). Default 10 seconds;
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
