using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ocean.Testing;

/// <summary>A private root and leaf certificates made for the tests; nothing is installed in any store.</summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly Lazy<TestCertificates> s_shared = new(() => new TestCertificates("Ocean Test Root"));
    private static readonly Lazy<TestCertificates> s_stranger = new(() => new TestCertificates("Ocean Stranger Root"));

    private TestCertificates(string rootName)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN={rootName}", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var rootWithKey = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        Root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);

        Server = Issue(rootWithKey, "CN=localhost", "1.3.6.1.5.5.7.3.1", san =>
        {
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
        });
        Client = Issue(rootWithKey, "CN=ocean-client", "1.3.6.1.5.5.7.3.2", san => san.AddDnsName("ocean-client"));
    }

    /// <summary>Certificates under the root the tests trust.</summary>
    public static TestCertificates Shared => s_shared.Value;

    /// <summary>Certificates under a root nobody trusts.</summary>
    public static TestCertificates Stranger => s_stranger.Value;

    public X509Certificate2 Root { get; }

    /// <summary>Server authentication for localhost, 127.0.0.1 and ::1, with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>Client authentication, with its private key.</summary>
    public X509Certificate2 Client { get; }

    /// <summary>A chain policy that trusts only this root (never a callback that accepts everything).</summary>
    public X509ChainPolicy TrustThisRoot() => new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        CustomTrustStore = { Root },
        RevocationMode = X509RevocationMode.NoCheck,
    };

    public void Dispose()
    {
        Root.Dispose();
        Server.Dispose();
        Client.Dispose();
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, string usageOid, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        using var certificate = request.Create(issuer, now.AddHours(-1), now.AddDays(7), serial);
        using var withKey = certificate.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so the key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }
}
