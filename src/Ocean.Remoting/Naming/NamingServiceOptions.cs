namespace Ocean.Remoting;

/// <summary>Settings of a <see cref="NamingService"/>.</summary>
public sealed class NamingServiceOptions
{
    /// <summary>
    /// How many names the service's own registry may hold at once (<see cref="NameRegistry.DefaultMaxNames"/>, 10,000, by
    /// default). Used when the service makes its registry; a registry handed to the service keeps its own limit.
    /// </summary>
    public int MaxNames { get; set; } = NameRegistry.DefaultMaxNames;

    /// <summary>
    /// Whether peers on other machines may bind, rebind and unbind. <see langword="false"/> by default, as
    /// <c>rmiregistry</c>: only a caller on the loopback (<c>127.0.0.0/8</c>, <c>::1</c>, or IPv4-mapped loopback), over a
    /// Unix socket, over an in-memory connection, or in-process may change the bindings; everyone may look up and list.
    /// </summary>
    public bool AllowRemoteBinding { get; set; }

    /// <summary>
    /// Resolvers asked, in order, when the service's registry does not know a name (a directory over DNS SRV records,
    /// Consul, etcd: see the README). Empty by default. The list is copied when the service is made.
    /// </summary>
    public IList<INameResolver> FallbackResolvers { get; } = [];
}
