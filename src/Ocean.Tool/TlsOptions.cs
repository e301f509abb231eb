using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Ocean.Tool;

/// <summary>TLS for <c>listen</c> (<c>--tls</c>, <c>--cert</c>, <c>--key</c>, <c>--cert-password</c>) and <c>connect</c> (<c>--tls</c>, <c>--sni</c>, <c>--insecure</c>, <c>--pin</c>, <c>--ca</c>).</summary>
internal static class TlsOptions
{
    public static readonly string[] ListenFlags = ["--tls"];

    public static readonly string[] ListenValued = ["--cert", "--key", "--cert-password"];

    public static readonly string[] ConnectFlags = ["--tls", "--insecure"];

    public static readonly string[] ConnectValued = ["--sni", "--pin", "--ca"];

    /// <summary>The most a --cert, --key or --ca file may hold (1 MiB): certificate files are a few kilobytes.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    public const string ListenHelp = """
          --tls                 TLS on every connection (TCP only); without --cert, with a self-signed certificate
                                made for this run (for localhost, 127.0.0.1, ::1), its SHA-256 fingerprint on stderr
          --cert FILE           the server certificate with its private key: PKCS#12 (.pfx/.p12) or PEM (certificate,
                                chain and key in one file, or the key in --key)
          --key FILE            with a PEM --cert: the private key's PEM file
          --cert-password P     the password of the PKCS#12 file or of the encrypted PEM key
        """;

    public const string ConnectHelp = """
          --tls                 TLS (TCP only); the server's certificate is checked as the system checks it
          --sni NAME            the server name sent (SNI) and checked in the certificate (default: HOST)
          --pin SHA256          accept exactly the certificate with this SHA-256 fingerprint (hex, colons allowed),
                                as "ocean listen --tls" prints it; nothing else is checked
          --ca FILE             trust the CA certificates in FILE (PEM or DER) instead of the system's
          --insecure            accept any certificate (a warning on stderr)
        """;

    /// <summary>The server's TLS settings, or null without --tls. Prints the certificate's fingerprint on stderr.</summary>
    public static SslServerAuthenticationOptions? ForListen(CommandLine line, FrameSettings settings, IPAddress address)
    {
        var cert = line.Get("--cert");
        var key = line.Get("--key");
        var password = line.Get("--cert-password");
        if (!line.Flag("--tls"))
        {
            return cert is null && key is null && password is null ? null : throw new UsageException("--cert, --key and --cert-password need --tls");
        }

        if (settings.Udp)
        {
            throw new UsageException("--tls is for TCP: it cannot be used with --udp");
        }

        if (cert is null && (key is not null || password is not null))
        {
            throw new UsageException("--key and --cert-password need --cert");
        }

        var (leaf, chain) = cert is null ? (SelfSigned(address), []) : Load(cert, key, password);
        Console.Error.WriteLine($"tls: {(cert is null ? "self-signed certificate" : "certificate")} {leaf.Subject}, SHA-256 fingerprint {Fingerprint(leaf)}");
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(leaf, chain, offline: true),
        };
    }

    /// <summary>The client's TLS settings and what a refused certificate was, or null without --tls.</summary>
    public static ClientTls? ForConnect(CommandLine line, bool udp)
    {
        var sni = line.Get("--sni");
        var pinText = line.Get("--pin");
        var caFile = line.Get("--ca");
        var insecure = line.Flag("--insecure");
        if (!line.Flag("--tls"))
        {
            return sni is null && pinText is null && caFile is null && !insecure
                ? null
                : throw new UsageException("--sni, --pin, --ca and --insecure need --tls");
        }

        if (udp)
        {
            throw new UsageException("--tls is for TCP: it cannot be used with --udp");
        }

        if ((insecure ? 1 : 0) + (pinText is null ? 0 : 1) + (caFile is null ? 0 : 1) > 1)
        {
            throw new UsageException("--insecure, --pin and --ca cannot be used together: each says which certificates to accept");
        }

        byte[]? pin = null;
        if (pinText is not null)
        {
            pin = TryHex(pinText);
            if (pin is not { Length: 32 })
            {
                throw new UsageException($"--pin must be a SHA-256 fingerprint (64 hex digits, colons allowed), not '{pinText}'");
            }
        }

        var tls = new ClientTls();
        var options = new SslClientAuthenticationOptions { TargetHost = sni };
        if (caFile is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(LoadCertificates(caFile));
            options.CertificateChainPolicy = policy;
        }

        if (insecure)
        {
            Console.Error.WriteLine("warning: --insecure: the server's certificate is not checked");
        }

        options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            if (certificate is null)
            {
                tls.Refusal = "the server sent no certificate";
                return false;
            }

            if (insecure)
            {
                return true;
            }

            var hash = certificate.GetCertHash(HashAlgorithmName.SHA256);
            if (pin is not null)
            {
                if (hash.AsSpan().SequenceEqual(pin))
                {
                    return true;
                }

                tls.Refusal = $"its SHA-256 fingerprint is {Fingerprint(hash)}, not the one pinned ({Fingerprint(pin)})";
                return false;
            }

            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            var reasons = new List<string>();
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                reasons.Add("it is not for the name asked for (--sni)");
            }

            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            {
                var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
                reasons.Add(statuses.Length > 0 ? "it is not trusted (" + string.Join(", ", statuses) + ")" : "it is not trusted");
            }

            tls.Refusal = $"{string.Join(" and ", reasons)}; its SHA-256 fingerprint is {Fingerprint(hash)} (--ca, --pin or --insecure accept it)";
            return false;
        };

        tls.Options = options;
        return tls;
    }

    /// <summary>A certificate's SHA-256 fingerprint as openssl prints it (AB:CD:...).</summary>
    public static string Fingerprint(X509Certificate certificate) => Fingerprint(certificate.GetCertHash(HashAlgorithmName.SHA256));

    private static string Fingerprint(byte[] hash) => Convert.ToHexString(hash).Chunk(2).Aggregate(new StringBuilder(), (b, pair) => (b.Length > 0 ? b.Append(':') : b).Append(pair)).ToString();

    private static byte[]? TryHex(string text)
    {
        try
        {
            return FrameSettings.FromHex(text);
        }
        catch (UsageException)
        {
            return null;
        }
    }

    /// <summary>A certificate for this run only: ECDSA P-256, for localhost and the loopback addresses (and the listen address).</summary>
    private static X509Certificate2 SelfSigned(IPAddress address)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ocean listen (self-signed)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (!address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any) && !IPAddress.IsLoopback(address))
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
    }

    /// <summary>The server certificate with its key, and the other certificates of the file (its chain).</summary>
    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain) Load(string path, string? keyPath, string? password)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"--cert: there is no file '{path}'");
        }

        if (keyPath is not null && !File.Exists(keyPath))
        {
            throw new UsageException($"--key: there is no file '{keyPath}'");
        }

        try
        {
            // Each file is read once, so a pipe (--cert <(...), /dev/stdin) works as well as a file.
            var bytes = ReadBounded(path, "--cert");
            X509Certificate2 leaf;
            X509Certificate2Collection all;
            if (IsPem(bytes))
            {
                var certPem = Encoding.ASCII.GetString(bytes);
                var keyPem = keyPath is null ? certPem : Encoding.ASCII.GetString(ReadBounded(keyPath, "--key"));
                leaf = password is null
                    ? X509Certificate2.CreateFromPem(certPem, keyPem)
                    : X509Certificate2.CreateFromEncryptedPem(certPem, keyPem, password);
                all = [];
                all.ImportFromPem(certPem);
            }
            else
            {
                if (keyPath is not null)
                {
                    throw new UsageException("--key applies to a PEM --cert; a PKCS#12 file holds its key");
                }

                all = X509CertificateLoader.LoadPkcs12Collection(bytes, password);
                leaf = all.FirstOrDefault(c => c.HasPrivateKey)
                    ?? throw new UsageException($"--cert '{path}' holds no certificate with a private key");
            }

            if (!leaf.HasPrivateKey)
            {
                throw new UsageException($"--cert '{path}' has no private key (give it in the file or with --key)");
            }

            var chain = new X509Certificate2Collection();
            chain.AddRange(all.Where(c => c.Thumbprint != leaf.Thumbprint).ToArray());
            return (leaf, chain);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new UsageException($"--cert '{path}' could not be read: {ex.Message}");
        }
    }

    /// <summary>Every certificate in a PEM or DER file (for --ca).</summary>
    private static X509Certificate2Collection LoadCertificates(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"--ca: there is no file '{path}'");
        }

        try
        {
            var bytes = ReadBounded(path, "--ca");
            var certificates = new X509Certificate2Collection();
            if (IsPem(bytes))
            {
                certificates.ImportFromPem(Encoding.ASCII.GetString(bytes));
            }
            else
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(bytes));
            }

            return certificates.Count > 0 ? certificates : throw new UsageException($"--ca '{path}' holds no certificate");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--ca '{path}' could not be read: {ex.Message}");
        }
    }

    /// <summary>
    /// The whole file, read once and without asking its length (a pipe has none): at most <see cref="MaxFileBytes"/>,
    /// a larger file is a usage error.
    /// </summary>
    private static byte[] ReadBounded(string path, string option)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var buffer = new byte[MaxFileBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = file.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        return length > MaxFileBytes
            ? throw new UsageException($"{option} '{path}' is larger than {MaxFileBytes / 1024 / 1024} MiB: not a certificate file")
            : buffer[..length];
    }

    /// <summary>PEM text has a "-----BEGIN" line near its start; anything else is DER (or PKCS#12).</summary>
    private static bool IsPem(byte[] bytes) =>
        Encoding.ASCII.GetString(bytes, 0, Math.Min(4096, bytes.Length)).Contains("-----BEGIN", StringComparison.Ordinal);
}

/// <summary>The client's TLS settings, and why the server's certificate was refused, once it has been.</summary>
internal sealed class ClientTls
{
    public SslClientAuthenticationOptions Options { get; set; } = new();

    public string? Refusal { get; set; }
}

/// <summary>Writes the transport's warning about a failed TLS handshake (event 208) on stderr; nothing else is logged.</summary>
internal sealed class HandshakeWarnings : ILoggerFactory, ILogger
{
    private const int TlsHandshakeFailed = 208;

    public static readonly HandshakeWarnings Instance = new();

    public ILogger CreateLogger(string categoryName) =>
        categoryName == "Ocean.Transport.SocketServer" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id != TlsHandshakeFailed)
        {
            return;
        }

        var peer = state is IEnumerable<KeyValuePair<string, object?>> values
            ? values.FirstOrDefault(v => v.Key == "RemoteEndPoint").Value?.ToString()
            : null;
        var reason = exception is null ? string.Empty : ": " + (exception.InnerException?.Message ?? exception.Message);
        Console.Error.WriteLine($"warning: TLS handshake with {peer ?? "a client"} failed{reason}".ReplaceLineEndings(" "));
    }
}
