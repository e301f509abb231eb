using System.Diagnostics.CodeAnalysis;
using Ocean.Remoting.Internal;

namespace Ocean.Remoting;

/// <summary>Conveniences for the naming service on <see cref="RemotingServer"/> and <see cref="RemotingClient"/>.</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
public static class NamingExtensions
{
    /// <summary>Exports <paramref name="service"/> under <see cref="NamingService.WellKnownName"/> (<c>ocean.naming</c>).</summary>
    /// <param name="server">The server.</param>
    /// <param name="service">The naming service.</param>
    /// <exception cref="InvalidOperationException">Something is already exported under <c>ocean.naming</c>.</exception>
    public static void ExportNamingService(this RemotingServer server, NamingService service)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(service);
        server.Export<INamingService>(service, NamingService.WellKnownName);
    }

    /// <summary>A proxy for the naming service the client's server exports under <see cref="NamingService.WellKnownName"/>.</summary>
    /// <param name="client">The client.</param>
    /// <returns>The proxy (a call fails with <see cref="RemotingStatus.UnknownObject"/> if the server exports no naming service).</returns>
    public static INamingService GetNamingService(this RemotingClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetProxy<INamingService>(NamingService.WellKnownName);
    }
}
