using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Ocean.Testing;

namespace Ocean.Transport.Tests.Infrastructure;

public static class TestServer
{
    public static readonly ConnectionHandler Echo = static (connection, stopping) => connection.Transport.EchoAsync(stopping);

    /// <summary>Starts a server on loopback port 0 (IPv4 unless told otherwise).</summary>
    public static async Task<SocketServer> StartAsync(ConnectionHandler handler, SocketServerOptions? options = null, EndPoint? endPoint = null)
    {
        var server = new SocketServer(endPoint ?? new IPEndPoint(IPAddress.Loopback, 0), handler, options);
        await server.StartAsync();
        return server;
    }

    public static int Port(this SocketServer server) => ((IPEndPoint)server.EndPoint).Port;

    public static ValueTask<Connection> ConnectAsync(this SocketServer server, SocketConnectorOptions? options = null) =>
        SocketConnector.ConnectAsync(server.EndPoint, options);

    /// <summary>Server options, with the shared test certificate when <paramref name="tls"/>.</summary>
    public static SocketServerOptions Options(bool tls) => new()
    {
        Tls = tls ? new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Shared.Server } : null,
    };

    /// <summary>Client options that trust the shared test certificate's root.</summary>
    public static SocketConnectorOptions TlsClientOptions() => new()
    {
        Tls = new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = TestCertificates.Shared.TrustThisRoot() },
    };

    /// <summary>Connects, over TLS when <paramref name="tls"/>, bounded by the operation timeout.</summary>
    public static async Task<Connection> ConnectAsync(this SocketServer server, bool tls) =>
        await server.ConnectAsync(tls ? TlsClientOptions() : null).WithTimeout();

    /// <summary>Waits for a write that an abort ended; it may end either way, failed or (if it got through) not.</summary>
    public static async Task IgnoreAbortAsync(Task write)
    {
        try
        {
            await write.WithTimeout();
        }
        catch (Exception ex) when (ex is ConnectionAbortedException or IOException)
        {
            // The abort failed the pending flush, as it should.
        }
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered, examining everything and consuming nothing.</summary>
    public static async Task<ReadResult> HoldAtLeastAsync(PipeReader input, long count, CancellationToken cancellationToken)
    {
        ReadResult read;
        while ((read = await input.ReadAsync(cancellationToken)).Buffer.Length < count)
        {
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        return read;
    }
}
