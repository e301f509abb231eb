using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ocean.Transport.Internal;

/// <summary>Endpoints as people write them: <c>host:port</c>, <c>1.2.3.4:port</c>, <c>[::1]:port</c>, or a socket path.</summary>
internal static class EndPointText
{
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        null => "(unknown)",
        DnsEndPoint dns => FormatHost(dns.Host, dns.Port),
        IPEndPoint ip => FormatHost(ip.Address.ToString(), ip.Port),
        UnixDomainSocketEndPoint unix => "unix:" + unix,
        _ => endPoint.ToString() ?? endPoint.GetType().Name,
    };

    private static string FormatHost(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);
}
