namespace Ocean.Remoting;

/// <summary>
/// Finds the object bound to a name: the abstraction behind <see cref="INamingService.LookupAsync"/>. The in-process
/// <see cref="NameRegistry"/> is the one built in; a resolver over an existing directory (DNS SRV records, Consul,
/// etcd) plugs in through <see cref="NamingServiceOptions.FallbackResolvers"/> (the README's "Naming" section says how).
/// </summary>
public interface INameResolver
{
    /// <summary>Resolves <paramref name="name"/>.</summary>
    /// <param name="name">A name that follows the naming rules (see <see cref="NameRegistry"/>); resolvers are only asked valid names.</param>
    /// <param name="cancellationToken">Cancelled when the caller gives up (the remote caller cancelled, its deadline passed).</param>
    /// <returns>The reference bound to the name, or <see langword="null"/> when this resolver does not know it (the next one is asked).</returns>
    ValueTask<RemoteReference?> ResolveAsync(string name, CancellationToken cancellationToken);
}
