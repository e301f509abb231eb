using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ocean.Samples;

/// <summary>TLS for the samples: a server certificate made on the spot, and a client that pins it.</summary>
internal static class SampleTls
{
    /// <summary>A self-signed certificate for localhost, 127.0.0.1 and ::1, valid for a day, held in memory only.</summary>
    public static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    public static string Fingerprint(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>
    /// Client settings: with a pin, the server must present exactly that certificate (and match the host
    /// name); without one, the system's trust store and host-name validation decide.
    /// </summary>
    public static SslClientAuthenticationOptions Client(string? pin) => new()
    {
        RemoteCertificateValidationCallback = pin is null
            ? null
            : (_, certificate, _, errors) =>
                certificate is not null
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), pin, StringComparison.OrdinalIgnoreCase),
    };
}
