using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Transport.Internal;

namespace Ocean.Transport;

/// <summary>Opens client connections: TCP by host name or address (IPv4 and IPv6), or a Unix domain socket.</summary>
public static class SocketConnector
{
    private static readonly SocketConnectorOptions s_defaultOptions = new();

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> over TCP.</summary>
    /// <param name="host">A host name (resolved, each address tried in turn) or an IPv4/IPv6 address literal.</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="options">Connect timeout and connection settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the attempt with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The established, started connection. The caller owns it and must dispose it.</returns>
    /// <exception cref="ConnectException">The connect was refused, the host was unreachable or not found, or the timeout elapsed; the inner exception is a <see cref="SocketException"/> (<see cref="SocketError.TimedOut"/> for the timeout).</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">With TLS: the handshake failed (certificate not trusted, name mismatch, no common protocol).</exception>
    public static ValueTask<Connection> ConnectAsync(string host, int port, SocketConnectorOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        EndPoint endPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        return ConnectAsync(endPoint, options, cancellationToken);
    }

    /// <summary>Connects to an endpoint: <see cref="IPEndPoint"/>, <see cref="DnsEndPoint"/> or <see cref="UnixDomainSocketEndPoint"/>.</summary>
    /// <param name="endPoint">Where to connect.</param>
    /// <param name="options">Connect timeout and connection settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the attempt with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The established, started connection. The caller owns it and must dispose it.</returns>
    /// <exception cref="ConnectException">The connect was refused, the host was unreachable or not found, or the timeout elapsed; the inner exception is a <see cref="SocketException"/> (<see cref="SocketError.TimedOut"/> for the timeout).</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">With TLS: the handshake failed (certificate not trusted, name mismatch, no common protocol).</exception>
    public static async ValueTask<Connection> ConnectAsync(EndPoint endPoint, SocketConnectorOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= s_defaultOptions;
        var logger = options.LoggerFactory?.CreateLogger("Ocean.Transport.SocketConnector") ?? NullLogger.Instance;

        using var timeout = options.ConnectTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);

        Socket? socket = null;
        SocketConnection? connection = null;
        try
        {
            socket = await ConnectSocketAsync(endPoint, linked.Token).ConfigureAwait(false);
            SocketConnection.Configure(socket, options);
            connection = new SocketConnection(socket, options, logger, TransportMetrics.ClientTags());
            connection.Start();
            if (options.Tls is null)
            {
                return connection;
            }

            return await TlsConnection.AuthenticateAsClientAsync(connection, WithTargetHost(options.Tls, endPoint), logger, linked.Token).ConfigureAwait(false);
        }
        catch (Exception) when (connection is not null)
        {
            // The TLS handshake failed or timed out: the plain connection under it goes too.
            connection.Abort();
            await connection.DisposeAsync().ConfigureAwait(false);
            if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw TimedOut(logger, endPoint, options.ConnectTimeout);
            }

            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket?.Dispose();
            throw TimedOut(logger, endPoint, options.ConnectTimeout);
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            var failure = SocketErrors.ClassifyConnect(ex.SocketErrorCode);
            if (endPoint is UnixDomainSocketEndPoint && ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AccessDenied)
            {
                failure = TransportError.ConnectionRefused; // no socket file: nothing listens there
            }

            Log.ConnectFailed(logger, EndPointText.Format(endPoint), failure);
            throw new ConnectException(failure, endPoint, ex);
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
    }

    /// <summary>The connect timeout elapsed: reported like the OS reports its own connect timeout, a <see cref="SocketException"/> with <see cref="SocketError.TimedOut"/>.</summary>
    private static ConnectException TimedOut(Microsoft.Extensions.Logging.ILogger logger, EndPoint endPoint, TimeSpan timeout)
    {
        Log.ConnectFailed(logger, EndPointText.Format(endPoint), TransportError.ConnectTimedOut);
        return new ConnectException(
            $"Connection to {EndPointText.Format(endPoint)} timed out: not established within the connect timeout of {timeout}.",
            TransportError.ConnectTimedOut,
            endPoint,
            new SocketException((int)SocketError.TimedOut));
    }

    /// <summary>A copy of the caller's TLS settings with the target host filled in from the endpoint when unset.</summary>
    private static SslClientAuthenticationOptions WithTargetHost(SslClientAuthenticationOptions tls, EndPoint endPoint)
    {
        if (!string.IsNullOrEmpty(tls.TargetHost))
        {
            return tls;
        }

        return new SslClientAuthenticationOptions
        {
            AllowRenegotiation = tls.AllowRenegotiation,
            AllowTlsResume = tls.AllowTlsResume,
            ApplicationProtocols = tls.ApplicationProtocols,
            CertificateChainPolicy = tls.CertificateChainPolicy,
            CertificateRevocationCheckMode = tls.CertificateRevocationCheckMode,
            CipherSuitesPolicy = tls.CipherSuitesPolicy,
            ClientCertificateContext = tls.ClientCertificateContext,
            ClientCertificates = tls.ClientCertificates,
            EnabledSslProtocols = tls.EnabledSslProtocols,
            EncryptionPolicy = tls.EncryptionPolicy,
            LocalCertificateSelectionCallback = tls.LocalCertificateSelectionCallback,
            RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
            TargetHost = endPoint switch
            {
                DnsEndPoint dns => dns.Host,
                IPEndPoint ip => ip.Address.ToString(),
                _ => "localhost",
            },
        };
    }

    private static async ValueTask<Socket> ConnectSocketAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        switch (endPoint)
        {
            case UnixDomainSocketEndPoint unix:
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await ConnectOrDisposeAsync(socket, unix, cancellationToken).ConfigureAwait(false);
                return socket;
            }

            case IPEndPoint ip:
            {
                var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await ConnectOrDisposeAsync(socket, ip, cancellationToken).ConfigureAwait(false);
                return socket;
            }

            case DnsEndPoint dns:
            {
                var addresses = await Dns.GetHostAddressesAsync(dns.Host, cancellationToken).ConfigureAwait(false);
                SocketException? last = null;
                foreach (var address in addresses)
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        await ConnectOrDisposeAsync(socket, new IPEndPoint(address, dns.Port), cancellationToken).ConfigureAwait(false);
                        return socket;
                    }
                    catch (SocketException ex)
                    {
                        last = ex; // try the next address
                    }
                }

                throw last ?? new SocketException((int)SocketError.HostNotFound);
            }

            default:
                throw new ArgumentException($"Unsupported endpoint type {endPoint.GetType().Name}.", nameof(endPoint));
        }
    }

    private static async ValueTask ConnectOrDisposeAsync(Socket socket, EndPoint endPoint, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
