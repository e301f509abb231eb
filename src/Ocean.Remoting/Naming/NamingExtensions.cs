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

    /// <summary>
    /// Looks <paramref name="name"/> up in the naming service of the client's server and returns a proxy for the object
    /// it is bound to (<see cref="RemotingClient.GetProxy{T}(RemoteReference)"/>: the object may live on another server,
    /// which this client then connects to on the first call).
    /// </summary>
    /// <typeparam name="T">The remote interface the object is reached through. It is not compared with the reference's
    /// interface name (an object exported through a derived interface is reached through its base): a proxy of an
    /// unrelated interface fails on its first call with <see cref="RemotingStatus.UnknownMethod"/>.</typeparam>
    /// <param name="client">The client connected to the server that exports the naming service.</param>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The proxy.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules (checked before anything is sent).</exception>
    /// <exception cref="NameNotBoundException">No resolver of the naming service knows the name.</exception>
    /// <exception cref="RemotingException">The lookup call failed.</exception>
    public static async Task<T> LookupAsync<T>(this RemotingClient client, string name, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(client);
        NameRegistry.CheckName(name, nameof(name));
        var reference = await client.GetNamingService().LookupAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new NameNotBoundException($"The name '{name}' is not bound in the naming service at {client.RemoteEndPoint?.ToString() ?? "the client's server"}.");
        return client.GetProxy<T>(reference);
    }
}
