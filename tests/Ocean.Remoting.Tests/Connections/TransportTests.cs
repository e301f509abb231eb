using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>The same calls over TLS with a client certificate, a Unix domain socket and the in-memory pair.</summary>
public sealed class TransportTests
{
    [Fact]
    public async Task MutualTls_CallSucceeds_AndTheServerSeesTheClientCertificate()
    {
        var certificates = TestCertificates.Shared;
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions
        {
            Transport = new SocketServerOptions
            {
                Tls = new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificates.Server,
                    ClientCertificateRequired = true,
                    CertificateChainPolicy = certificates.TrustThisRoot(),
                },
            },
        });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint, new RemotingClientOptions
        {
            Transport = new SocketConnectorOptions
            {
                Tls = new SslClientAuthenticationOptions
                {
                    CertificateChainPolicy = certificates.TrustThisRoot(),
                    ClientCertificates = new X509CertificateCollection { certificates.Client },
                },
            },
        });
        await using var _ = client;

        (await proxy.AddAsync(2, 3).WithTimeout()).Should().Be(5);
        (await proxy.ClientThumbprintAsync().WithTimeout()).Should().Be(certificates.Client.Thumbprint);
    }

    [Fact]
    public async Task MutualTls_ClientWithoutACertificate_IsRefusedUnavailableNo()
    {
        var certificates = TestCertificates.Shared;
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions
        {
            Transport = new SocketServerOptions
            {
                Tls = new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificates.Server,
                    ClientCertificateRequired = true,
                    CertificateChainPolicy = certificates.TrustThisRoot(),
                },
            },
        });

        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(server.EndPoint, new RemotingClientOptions
            {
                ConnectTimeout = TimeSpan.FromSeconds(10),
                Transport = new SocketConnectorOptions { Tls = new SslClientAuthenticationOptions { CertificateChainPolicy = certificates.TrustThisRoot() } },
            }).WithTimeout())
            .Should().ThrowAsync<RemotingException>()).Which;

        thrown.Status.Should().Be(RemotingStatus.Unavailable);
        thrown.Completion.Should().Be(CompletionStatus.No);
        probe.Calls.Should().Be(0);
    }

    [Fact]
    public async Task TlsServer_RefusesAPlainClient_WithoutHangingIt()
    {
        var certificates = TestCertificates.Shared;
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions
        {
            Transport = new SocketServerOptions { Tls = new SslServerAuthenticationOptions { ServerCertificate = certificates.Server } },
        });

        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(server.EndPoint, new RemotingClientOptions { ConnectTimeout = TimeSpan.FromSeconds(5) }).WithTimeout())
            .Should().ThrowAsync<RemotingException>()).Which;
        thrown.Completion.Should().Be(CompletionStatus.No);
    }

    [Fact]
    public async Task UnixDomainSocket_CarriesCalls()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ocean-{Guid.NewGuid():N}.sock");
        try
        {
            var probe = new Probe();
            await using var server = await Kit.StartServerAsync(probe, endPoint: new UnixDomainSocketEndPoint(path));
            server.EndPoint.Should().BeOfType<UnixDomainSocketEndPoint>();
            var (client, proxy) = await Kit.ConnectAsync(new UnixDomainSocketEndPoint(path));
            await using var _ = client;

            (await proxy.AddAsync(20, 22).WithTimeout()).Should().Be(42);
            (await Task.WhenAll(Enumerable.Range(0, 50).Select(i => proxy.AddAsync(i, i))).WithTimeout())
                .Should().Equal(Enumerable.Range(0, 50).Select(i => 2 * i));
            (await proxy.ClientThumbprintAsync().WithTimeout()).Should().BeEmpty("no TLS, no certificate");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task InMemoryPair_CarriesCalls_AndTheClientDoesNotReconnectAfterItCloses()
    {
        var probe = new Probe();
        await using var server = new RemotingServer();
        server.Export<IProbe>(probe, Kit.Name);
        server.Invoking(s => s.EndPoint).Should().Throw<InvalidOperationException>();
        await server.Awaiting(s => s.StartAsync()).Should().ThrowAsync<InvalidOperationException>();

        var (first, second) = MessageConnection.CreatePair();
        using var closeServerSide = new CancellationTokenSource();
        var serving = server.ServeAsync(second, closeServerSide.Token);
        await using var client = await RemotingClient.ConnectAsync(first).WithTimeout();
        var proxy = client.GetProxy<IProbe>(Kit.Name);
        client.RemoteEndPoint.Should().BeNull();

        (await proxy.AddAsync(2, 3).WithTimeout()).Should().Be(5);
        (await Task.WhenAll(Enumerable.Range(0, 20).Select(i => proxy.AddAsync(i, 1))).WithTimeout())
            .Should().Equal(Enumerable.Range(1, 20));
        server.ActiveConnections.Should().Be(1);

        await closeServerSide.CancelAsync();
        await serving.WithTimeout();
        server.ActiveConnections.Should().Be(0);

        // Until the client's read loop has seen the close, a call may still be written into the pair and then fail
        // (unavailable, maybe: the client cannot tell whether it was delivered); after it, the client says it does not
        // reconnect (unavailable/no): there is nothing to reconnect to.
        RemotingException? last = null;
        await Kit.EventuallyAsync(
            async () =>
            {
                last = await Kit.TryAsync(() => proxy.AddAsync(1, 1));
                last.Should().NotBeNull();
                last!.Status.Should().Be(RemotingStatus.Unavailable, last.Message);
                return last.Message.Contains("does not reconnect", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(10),
            "the client sees the closed pair");
        var thrown = await Kit.FailsAsync(() => proxy.AddAsync(1, 1), RemotingStatus.Unavailable, CompletionStatus.No);
        thrown.Message.Should().Contain("does not reconnect");
    }

    [Fact]
    public async Task InMemoryPair_GraphMarshallerOnBothSides_CarriesCalls()
    {
        var marshaller = new Ocean.Marshalling.GraphMarshaller(new Ocean.Marshalling.GraphTypeRegistry());
        var probe = new Probe();
        await using var server = new RemotingServer(new RemotingServerOptions { Marshaller = marshaller });
        server.Export<IProbe>(probe, Kit.Name);
        var (first, second) = MessageConnection.CreatePair();
        var serving = server.ServeAsync(second);
        await using (var client = await RemotingClient.ConnectAsync(first, new RemotingClientOptions { Marshaller = marshaller }).WithTimeout())
        {
            (await client.GetProxy<IProbe>(Kit.Name).AddAsync(4, 5).WithTimeout()).Should().Be(9);
        }

        await serving.WithTimeout();
    }

    [Fact]
    public async Task InMemoryPair_ClientThatSendsNoPreamble_IsClosedAtTheHandshakeTimeout()
    {
        await using var server = new RemotingServer(new RemotingServerOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        server.Export<IProbe>(new Probe(), Kit.Name);
        var (first, second) = MessageConnection.CreatePair();
        await using var _ = first;

        await server.ServeAsync(second).WithTimeout(TimeSpan.FromSeconds(10));
        (await first.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue("the server closed its end");
    }

    [Fact]
    public async Task InMemoryPair_FirstMessageNotAPreamble_IsAnsweredNotRecognized()
    {
        await using var server = new RemotingServer();
        server.Export<IProbe>(new Probe(), Kit.Name);
        var (first, second) = MessageConnection.CreatePair();
        await using var _ = first;
        var serving = server.ServeAsync(second);

        await first.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray()).WithTimeout();
        var answer = await first.ReceiveAsync().WithTimeout();
        var bytes = System.Buffers.BuffersExtensions.ToArray(answer.Message);
        bytes.Should().HaveCount(16);
        bytes[..4].Should().Equal(0xCE, 0x4F, 0x43, 0x4E);
        bytes[5].Should().Be(0x04, "not recognised");
        await serving.WithTimeout();
    }
}
