using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ocean.Tool.Tests;

/// <summary>ocean listen --tls and ocean connect --tls, each run as a process: certificates, pins, refusals.</summary>
public sealed class TlsTests
{
    private const string FingerprintMarker = "SHA-256 fingerprint ";

    [Theory]
    [InlineData("")]
    [InlineData("--framing length --prefix 2")]
    [InlineData("--framing utf")]
    public async Task ListenTlsEcho_AnswersConnectTlsInsecure(string options)
    {
        var framing = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await using var listener = ToolProcess.Start(["listen", "--port", "0", "--tls", "--echo", .. framing]);
        var port = await listener.ListeningPortAsync();

        var (code, output, error) = await ToolProcess.RunAsync(["connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--insecure", "--send", "hello", "--send", "wörld ✓", .. framing]);

        error.Should().Equal("warning: --insecure: the server's certificate is not checked");
        code.Should().Be(0);
        output.Should().Equal("hello", "wörld ✓");
        (await listener.ReadLineAsync()).Should().Be("hello");
        (await listener.ReadLineAsync()).Should().Be("wörld ✓");
    }

    [Theory]
    [InlineData("")]
    [InlineData("--framing raw")]
    public async Task ListenTls_PrintsTheSelfSignedFingerprint_WhichConnectPins(string options)
    {
        var framing = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await using var listener = ToolProcess.Start(["listen", "--port", "0", "--tls", "--echo", .. framing]);
        var port = await listener.ListeningPortAsync();
        var fingerprint = await FingerprintAsync(listener);
        fingerprint.Should().MatchRegex("^([0-9A-F]{2}:){31}[0-9A-F]{2}$");

        var (code, output, error) = await ToolProcess.RunAsync(["connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--pin", fingerprint, "--send", "pinned", .. framing]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        output.Should().Equal("pinned");

        // The pin is hex in any spelling: lower case, no colons.
        var bare = fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        (await ToolProcess.RunAsync(["connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--pin", bare, "--send", "again", .. framing])).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task ConnectTls_WithTheWrongPin_ExitsOne_AndSaysWhichCertificateCame()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--tls", "--echo");
        var port = await listener.ListeningPortAsync();
        var fingerprint = await FingerprintAsync(listener);
        var wrong = (fingerprint[0] == 'A' ? "B" : "A") + fingerprint[1..];

        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--pin", wrong, "--send", "hello");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Equal($"error: TLS handshake with 127.0.0.1:{port} failed: the server's certificate was refused: its SHA-256 fingerprint is {fingerprint}, not the one pinned ({wrong})");

        // With TLS 1.3 the server may finish its side of the handshake before the client refuses the certificate,
        // so the listener need not warn; it printed no frame, and still answers.
        var (after, output2, _) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--pin", fingerprint, "--send", "right pin");
        after.Should().Be(0);
        output2.Should().Equal("right pin");
        (await listener.ReadLineAsync()).Should().Be("right pin", "the refused client's frame never reached the listener");
    }

    [Fact]
    public async Task ConnectTls_WithSystemValidation_RefusesASelfSignedCertificate()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--tls", "--echo");
        var port = await listener.ListeningPortAsync();
        var fingerprint = await FingerprintAsync(listener);

        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--send", "hello");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should()
            .StartWith($"error: TLS handshake with 127.0.0.1:{port} failed: the server's certificate was refused: it is not trusted").And
            .Contain($"its SHA-256 fingerprint is {fingerprint}");
    }

    [Fact]
    public async Task ConnectTls_ToAPlainListenerThatAnswers_ExitsOne()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--framing", "raw", "--echo"); // sends the ClientHello back
        var port = await listener.ListeningPortAsync();

        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--pin", new string('0', 64), "--send", "hello");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith($"error: TLS handshake with 127.0.0.1:{port} failed: ").And.EndWith("(is it a TLS server?)");
    }

    [Fact]
    public async Task ConnectTls_ToAPlainListenerThatSaysNothing_ExitsOneAfterTheTimeout()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0");
        var port = await listener.ListeningPortAsync();

        var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--tls", "--insecure", "--timeout", "1", "--send", "hello");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Equal(
            "warning: --insecure: the server's certificate is not checked",
            $"error: could not connect to 127.0.0.1:{port} and finish the TLS handshake within 1 s (is it a TLS server?)");
    }

    [Fact]
    public async Task PlainConnect_ToATlsListener_ExitsOne_AndTheListenerWarnsAndGoesOn()
    {
        await using var listener = ToolProcess.Start("listen", "--port", "0", "--tls", "--echo");
        var port = await listener.ListeningPortAsync();

        var (code, _, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--send", "hello");

        code.Should().Be(1);
        error.Should().Equal("error: the peer closed the connection before replying");
        (await listener.ErrorLineAsync(l => l.StartsWith("warning: TLS handshake with 127.0.0.1:", StringComparison.Ordinal))).Should().NotBeNull();

        var (after, output, _) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--insecure", "--send", "still there");
        after.Should().Be(0);
        output.Should().Equal("still there");
    }

    [Fact]
    public async Task ListenWithAPemCertificate_IsTrustedThroughConnectCa_AndCheckedForTheName()
    {
        using var files = new CertificateFiles();
        var (ca, leaf) = files.CaAndLeaf();
        var caPem = files.Write("ca.pem", ca.ExportCertificatePem());
        var leafPem = files.Write("leaf.pem", leaf.ExportCertificatePem() + "\n" + leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n" + ca.ExportCertificatePem());

        await using var listener = ToolProcess.Start("listen", "--port", "0", "--tls", "--cert", leafPem, "--echo");
        var port = await listener.ListeningPortAsync();
        (await FingerprintAsync(listener)).Should().Be(Fingerprint(leaf));

        var trusted = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--ca", caPem, "--send", "via ca");
        trusted.Error.Should().BeEmpty();
        trusted.ExitCode.Should().Be(0);
        trusted.Output.Should().Equal("via ca");

        var byName = await ToolProcess.RunAsync("connect", $"localhost:{port}", "--timeout", "30", "--tls", "--ca", caPem, "--send", "by name");
        byName.ExitCode.Should().Be(0, "the certificate is for localhost too: " + string.Join(" / ", byName.Error));

        var otherName = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--ca", caPem, "--sni", "example.com", "--send", "x");
        otherName.ExitCode.Should().Be(1);
        otherName.Error.Should().ContainSingle().Which.Should().Contain("the server's certificate was refused: it is not for the name asked for (--sni)");

        var system = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--send", "x");
        system.ExitCode.Should().Be(1, "the test CA is not one the system trusts");
    }

    [Fact]
    public async Task ListenWithAPemKeyInItsOwnFile_AndWithAPasswordedPkcs12_AnswersAPinnedConnect()
    {
        using var files = new CertificateFiles();
        var (_, leaf) = files.CaAndLeaf();
        var certPem = files.Write("cert.pem", leaf.ExportCertificatePem());
        var keyPem = files.Write("key.pem", leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var pfx = files.Write("leaf.pfx", leaf.Export(X509ContentType.Pkcs12, "s3cret"));

        foreach (var certificate in new[] { new[] { "--cert", certPem, "--key", keyPem }, ["--cert", pfx, "--cert-password", "s3cret"] })
        {
            await using var listener = ToolProcess.Start(["listen", "--port", "0", "--tls", "--echo", .. certificate]);
            var port = await listener.ListeningPortAsync();

            var (code, output, error) = await ToolProcess.RunAsync("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--pin", Fingerprint(leaf), "--send", "pinned");

            error.Should().BeEmpty();
            code.Should().Be(0, string.Join(" ", certificate));
            output.Should().Equal("pinned");
        }

        var wrongPassword = await ToolProcess.RunAsync("listen", "--port", "0", "--tls", "--cert", pfx, "--cert-password", "wrong");
        wrongPassword.ExitCode.Should().Be(2);
        wrongPassword.Error.Should().ContainSingle().Which.Should().StartWith($"error: --cert '{pfx}' could not be read: ");

        var noKey = await ToolProcess.RunAsync("listen", "--port", "0", "--tls", "--cert", certPem);
        noKey.ExitCode.Should().Be(2);
        noKey.Error.Should().ContainSingle().Which.Should().StartWith("error: --cert ");
    }

    [Fact]
    public async Task CertificateFiles_FromPipes_AreReadOnce_PemAndPkcs12FromAFifo_DerCaFromStandardInput()
    {
        using var files = new CertificateFiles();
        var (ca, leaf) = files.CaAndLeaf();
        var pem = leaf.ExportCertificatePem() + "\n" + leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        var pkcs12 = leaf.Export(X509ContentType.Pkcs12, "s3cret");

        foreach (var (content, extra) in new[] { (System.Text.Encoding.ASCII.GetBytes(pem), Array.Empty<string>()), (pkcs12, ["--cert-password", "s3cret"]) })
        {
            // A named pipe has no length: the tool must read it as a stream (it used to ask FileStream.Length and crash).
            var fifo = await files.FifoAsync("cert-" + extra.Length);
            await using var listener = ToolProcess.Start(["listen", "--port", "0", "--tls", "--echo", "--cert", fifo, .. extra]);
            await Task.Run(() => File.WriteAllBytes(fifo, content)).WaitAsync(TestTimeouts.Operation);
            var port = await listener.ListeningPortAsync();

            // --ca /dev/stdin: the tool's standard input, a pipe, holding the CA certificate in DER.
            await using var connect = ToolProcess.Start("connect", $"127.0.0.1:{port}", "--timeout", "30", "--tls", "--ca", "/dev/stdin", "--send", "from a pipe");
            await connect.StandardInput.BaseStream.WriteAsync(ca.RawData);
            connect.StandardInput.Close();
            var code = await connect.WaitForExitAsync();

            connect.StandardError.Should().BeEmpty();
            code.Should().Be(0);
            connect.StandardOutput.Should().Equal("from a pipe");
        }
    }

    [Fact]
    public async Task CertificateFile_LargerThanOneMebibyte_IsAUsageError()
    {
        using var files = new CertificateFiles();
        var big = files.Write("big.pem", new byte[(1024 * 1024) + 1]);

        var (code, output, error) = await ToolProcess.RunAsync("connect", "127.0.0.1:7", "--tls", "--ca", big, "--send", "x");

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().Be($"error: --ca '{big}' is larger than 1 MiB: not a certificate file");
    }

    [Theory]
    [InlineData("error: --tls is for TCP: it cannot be used with --udp", "listen", "--port", "0", "--tls", "--udp")]
    [InlineData("error: --tls is for TCP: it cannot be used with --udp", "connect", "127.0.0.1:7", "--tls", "--udp", "--send", "x")]
    [InlineData("error: --cert, --key and --cert-password need --tls", "listen", "--port", "0", "--cert", "x.pfx")]
    [InlineData("error: --key and --cert-password need --cert", "listen", "--port", "0", "--tls", "--cert-password", "p")]
    [InlineData("error: --cert: there is no file 'no-such.pfx'", "listen", "--port", "0", "--tls", "--cert", "no-such.pfx")]
    [InlineData("error: --sni, --pin, --ca and --insecure need --tls", "connect", "127.0.0.1:7", "--insecure", "--send", "x")]
    [InlineData("error: --pin must be a SHA-256 fingerprint", "connect", "127.0.0.1:7", "--tls", "--pin", "abcd", "--send", "x")]
    [InlineData("error: --insecure, --pin and --ca cannot be used together", "connect", "127.0.0.1:7", "--tls", "--insecure", "--ca", "ca.pem", "--send", "x")]
    [InlineData("error: --ca: there is no file 'no-such.pem'", "connect", "127.0.0.1:7", "--tls", "--ca", "no-such.pem", "--send", "x")]
    public async Task BadTlsArguments_ExitTwo(string expected, params string[] args)
    {
        var (code, output, error) = await ToolProcess.RunAsync(args);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    private static async Task<string> FingerprintAsync(ToolProcess listener)
    {
        var line = await listener.ErrorLineAsync(l => l.StartsWith("tls: ", StringComparison.Ordinal));
        return line[(line.IndexOf(FingerprintMarker, StringComparison.Ordinal) + FingerprintMarker.Length)..];
    }

    private static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)).Chunk(2).Select(pair => new string(pair)));

    /// <summary>A test CA, a server certificate it signs (localhost, 127.0.0.1), and a directory for their files, deleted on dispose.</summary>
    private sealed class CertificateFiles : IDisposable
    {
        private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("ocean-tool-tls-");

        public (X509Certificate2 Ca, X509Certificate2 Leaf) CaAndLeaf()
        {
            var now = DateTimeOffset.UtcNow;
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Ocean Tool Test CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
            var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

            using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            leafRequest.CertificateExtensions.Add(names.Build());
            leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            using var signed = leafRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4, 5, 6, 7, 8]);
            return (ca, signed.CopyWithPrivateKey(leafKey));
        }

        public string Write(string name, string text)
        {
            var path = Path.Combine(_directory.FullName, name);
            File.WriteAllText(path, text);
            return path;
        }

        public string Write(string name, byte[] bytes)
        {
            var path = Path.Combine(_directory.FullName, name);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        /// <summary>A named pipe (mkfifo) in the directory.</summary>
        public async Task<string> FifoAsync(string name)
        {
            var path = Path.Combine(_directory.FullName, name);
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
            await mkfifo.WaitForExitAsync().WaitAsync(TestTimeouts.Operation);
            mkfifo.ExitCode.Should().Be(0, "mkfifo makes the pipe");
            return path;
        }

        public void Dispose() => _directory.Delete(recursive: true);
    }
}
