using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class TlsTests
{
    private static readonly TestCertificates s_certificates = TestCertificates.Shared;

    private static SocketServerOptions ServerOptions(bool requireClientCertificate = false, RemoteCertificateValidationCallback? validate = null) => new()
    {
        Tls = new SslServerAuthenticationOptions
        {
            ServerCertificate = s_certificates.Server,
            ClientCertificateRequired = requireClientCertificate,
            CertificateChainPolicy = requireClientCertificate ? s_certificates.TrustThisRoot() : null,
            RemoteCertificateValidationCallback = validate,
        },
    };

    private static SocketConnectorOptions ClientOptions(string? targetHost = null, X509Certificate2? clientCertificate = null, bool trustRoot = true) => new()
    {
        Tls = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            CertificateChainPolicy = trustRoot ? s_certificates.TrustThisRoot() : null,
            ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
        },
    };

    [Fact]
    public async Task Handshake_TrustedServer_EchoesOverTls()
    {
        var serverSaw = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                serverSaw.TrySetResult(connection);
                await connection.Transport.EchoAsync(stopping);
            },
            ServerOptions());

        await using var client = await SocketConnector.ConnectAsync("localhost", server.Port(), ClientOptions()).WithTimeout();
        var payload = new byte[300_000];
        new Random(5).NextBytes(payload);
        var echo = client.Transport.Input.ReadExactlyAsync(payload.Length);
        await client.Transport.Output.WriteAsync(payload);

        (await echo.WithTimeout()).AsSpan().SequenceEqual(payload).Should().BeTrue();
        client.TlsProtocol.Should().BeOneOf(SslProtocols.Tls12, SslProtocols.Tls13);
        client.RemoteCertificate!.Thumbprint.Should().Be(s_certificates.Server.Thumbprint);
        var serverSide = await serverSaw.Task.WithTimeout();
        serverSide.TlsProtocol.Should().Be(client.TlsProtocol);
        serverSide.RemoteCertificate.Should().BeNull("the client sent no certificate");
    }

    [Fact]
    public async Task Handshake_ByAddressLiteral_ValidatesAgainstTheIpSan()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, ServerOptions());

        await using var client = await SocketConnector.ConnectAsync("127.0.0.1", server.Port(), ClientOptions()).WithTimeout();
        await client.Transport.Output.WriteAsync("ip"u8.ToArray());

        (await client.Transport.Input.ReadExactlyAsync(2).WithTimeout()).Should().Equal("ip"u8.ToArray());
    }

    [Fact]
    public async Task Handshake_WrongHostName_IsRefused()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, ServerOptions());

        var act = () => SocketConnector.ConnectAsync("127.0.0.1", server.Port(), ClientOptions(targetHost: "not-this-host.example")).AsTask().WithTimeout();

        await act.Should().ThrowAsync<AuthenticationException>();
    }

    [Fact]
    public async Task Handshake_UntrustedServer_IsRefused()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, ServerOptions());

        // No custom trust: the system store does not know the test root.
        var act = () => SocketConnector.ConnectAsync("localhost", server.Port(), ClientOptions(trustRoot: false)).AsTask().WithTimeout();

        await act.Should().ThrowAsync<AuthenticationException>();
    }

    [Fact]
    public async Task MutualTls_TrustedClientCertificate_ServerSeesIt()
    {
        var serverSaw = new TaskCompletionSource<X509Certificate2?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var callbackSawSubject = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                serverSaw.TrySetResult(connection.RemoteCertificate);
                await connection.Transport.EchoAsync(stopping);
            },
            ServerOptions(requireClientCertificate: true, validate: (_, certificate, _, errors) =>
            {
                callbackSawSubject.TrySetResult(certificate?.Subject);
                return errors == SslPolicyErrors.None && certificate?.Subject == "CN=ocean-client";
            }));

        await using var client = await SocketConnector.ConnectAsync("localhost", server.Port(), ClientOptions(clientCertificate: s_certificates.Client)).WithTimeout();
        await client.Transport.Output.WriteAsync("mtls"u8.ToArray());

        (await client.Transport.Input.ReadExactlyAsync(4).WithTimeout()).Should().Equal("mtls"u8.ToArray());
        (await callbackSawSubject.Task.WithTimeout()).Should().Be("CN=ocean-client");
        (await serverSaw.Task.WithTimeout())!.Thumbprint.Should().Be(s_certificates.Client.Thumbprint);
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task MutualTls_UntrustedClientCertificate_ShowsOnTheClientsFirstRead(SslProtocols protocol)
    {
        var handlerRan = 0;
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                Interlocked.Increment(ref handlerRan);
                await connection.Transport.EchoAsync(stopping);
            },
            ServerOptions(requireClientCertificate: true));
        var options = ClientOptions(clientCertificate: TestCertificates.Stranger.Client);
        options.Tls!.EnabledSslProtocols = protocol;

        // The client's handshake completes before the server has judged the client's certificate (TLS 1.3 by
        // design; with .NET's server on OpenSSL under TLS 1.2 too, as it validates after the protocol handshake)...
        await using var rejected = await SocketConnector.ConnectAsync("localhost", server.Port(), options).WithTimeout();
        rejected.TlsProtocol.Should().Be(protocol);
        await rejected.Transport.Output.WriteAsync("let me in"u8.ToArray());

        // ...so the rejection shows on the first read: the server dropped the connection, nothing is echoed.
        var read = await rejected.Transport.Input.ReadAsync().AsTask().WithTimeout();
        read.Buffer.Length.Should().Be(0);
        read.IsCompleted.Should().BeTrue();
        Volatile.Read(ref handlerRan).Should().Be(0, "the handler runs only after a successful handshake");

        // Other clients are unaffected.
        await using var trusted = await SocketConnector.ConnectAsync("localhost", server.Port(), ClientOptions(clientCertificate: s_certificates.Client)).WithTimeout();
        await trusted.Transport.Output.WriteAsync("ok"u8.ToArray());
        (await trusted.Transport.Input.ReadExactlyAsync(2).WithTimeout()).Should().Equal("ok"u8.ToArray());
        Volatile.Read(ref handlerRan).Should().Be(1);
    }

    [Fact]
    public async Task CloseAsync_OverTls_PeerReadsEverythingThenEnd()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, _) => received.TrySetResult(await connection.Transport.Input.ReadToEndAsync()),
            ServerOptions());
        var client = await SocketConnector.ConnectAsync("localhost", server.Port(), ClientOptions()).WithTimeout();
        var payload = new byte[200_000];
        new Random(9).NextBytes(payload);

        await client.Transport.Output.WriteAsync(payload);
        await client.CloseAsync().WithTimeout();

        var got = await received.Task.WithTimeout();
        got.AsSpan().SequenceEqual(payload).Should().BeTrue();
    }

    [Fact]
    public async Task ClientOptions_AreNotModified_WhenTargetHostIsFilledIn()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, ServerOptions());
        var options = ClientOptions();

        await using var client = await SocketConnector.ConnectAsync("localhost", server.Port(), options).WithTimeout();

        options.Tls!.TargetHost.Should().BeNull();
    }

    [Fact]
    public async Task RemoteCertificate_ReadTwice_SameObject_DisposedWithTheConnection()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, ServerOptions());
        var client = await SocketConnector.ConnectAsync("localhost", server.Port(), ClientOptions()).WithTimeout();

        var first = client.RemoteCertificate;
        var second = client.RemoteCertificate;

        first.Should().NotBeNull().And.BeSameAs(second);
        first!.Thumbprint.Should().Be(s_certificates.Server.Thumbprint);
        await client.DisposeAsync();
        first.Handle.Should().Be(IntPtr.Zero, "the connection owns the certificate and disposes it when it ends");
    }

    [Fact]
    public async Task StopAsync_IdleTlsClientConnected_DoesNotWaitCloseTimeout()
    {
        var clock = new ManualTimeProvider(); // never advanced: a stop that lingered CloseTimeout would not finish
        var options = ServerOptions();
        options.CloseTimeout = TimeSpan.FromSeconds(60);
        options.IdleTimeout = Timeout.InfiniteTimeSpan;
        options.TimeProvider = clock;
        var server = await TestServer.StartAsync(TestServer.Echo, options);
        await using var idle = await SocketConnector.ConnectAsync("localhost", server.Port(), ClientOptions()).WithTimeout();
        await idle.Transport.Output.WriteAsync("x"u8.ToArray());
        (await idle.Transport.Input.ReadExactlyAsync(1).WithTimeout()).Should().Equal("x"u8.ToArray());

        await server.StopAsync().WithTimeout();

        (await idle.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty("close_notify and FIN: a clean end");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LargeMessage_ManyTimesTheReadBuffer_CrossesIntact(bool tls)
    {
        // 8 MiB against a 1 MiB read buffer on both sides: it crosses only because each side consumes as it reads.
        var payload = new byte[8 * 1024 * 1024];
        new Random(11).NextBytes(payload);
        var serverOptions = tls ? ServerOptions() : new SocketServerOptions();
        serverOptions.MaxReadBufferSize = 1024 * 1024;
        await using var server = await TestServer.StartAsync(TestServer.Echo, serverOptions);
        var clientOptions = tls ? ClientOptions() : new SocketConnectorOptions();
        clientOptions.MaxReadBufferSize = 1024 * 1024;
        await using var client = await SocketConnector.ConnectAsync("localhost", server.Port(), clientOptions).WithTimeout();

        var echo = client.Transport.Input.ReadExactlyAsync(payload.Length);
        await client.Transport.Output.WriteAsync(payload).AsTask().WithTimeout(TestTimeouts.Load);

        var received = await echo.WithTimeout(TestTimeouts.Load);
        received.Length.Should().Be(payload.Length);
        received.AsSpan().SequenceEqual(payload).Should().BeTrue();
    }
}
