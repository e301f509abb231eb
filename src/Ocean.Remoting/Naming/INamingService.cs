namespace Ocean.Remoting;

/// <summary>
/// A naming service in the manner of Java's <c>rmiregistry</c> and CORBA's CosNaming: names bound to remote object
/// references. <see cref="NamingService"/> implements it; a server exports one under <see cref="NamingService.WellKnownName"/>
/// (<c>ocean.naming</c>) and a client reaches it with <c>client.GetNamingService()</c>.
/// </summary>
/// <remarks>
/// Names follow <see cref="NameRegistry"/>'s rules (1 to 255 UTF-8 bytes, no control characters); a name that breaks
/// them is refused with <see cref="ArgumentException"/>. Binding, rebinding and unbinding from a peer that is not on
/// this machine's loopback are refused unless the service allows remote binding
/// (<see cref="NamingServiceOptions.AllowRemoteBinding"/>); looking up and listing are always allowed. Over a
/// connection, an exception thrown by the service reaches the caller as a <see cref="RemotingException"/> with
/// status <see cref="RemotingStatus.ApplicationException"/> and <see cref="RemotingException.RemoteTypeName"/> the
/// exception's full name (or as the exception itself, when the client's <c>RethrownExceptions</c> lists it).
/// </remarks>
public interface INamingService
{
    /// <summary>Binds <paramref name="name"/> to <paramref name="reference"/>; refused if the name is bound.</summary>
    /// <param name="name">The name.</param>
    /// <param name="reference">The object's reference.</param>
    /// <returns>A task that completes once bound.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    /// <exception cref="NameAlreadyBoundException">The name is bound already.</exception>
    /// <exception cref="InvalidOperationException">The registry is full (<see cref="NamingServiceOptions.MaxNames"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">The caller is remote and the service does not allow remote binding.</exception>
    Task BindAsync(string name, RemoteReference reference);

    /// <summary>Binds <paramref name="name"/> to <paramref name="reference"/>, replacing any binding it had.</summary>
    /// <param name="name">The name.</param>
    /// <param name="reference">The object's reference.</param>
    /// <returns>A task that completes once bound.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    /// <exception cref="InvalidOperationException">The name is new and the registry is full.</exception>
    /// <exception cref="UnauthorizedAccessException">The caller is remote and the service does not allow remote binding.</exception>
    Task RebindAsync(string name, RemoteReference reference);

    /// <summary>Removes the binding of <paramref name="name"/>.</summary>
    /// <param name="name">The name.</param>
    /// <returns>Whether the name was bound.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    /// <exception cref="UnauthorizedAccessException">The caller is remote and the service does not allow remote binding.</exception>
    Task<bool> UnbindAsync(string name);

    /// <summary>
    /// The reference bound to <paramref name="name"/>: asked of the service's registry first, then of its fallback
    /// resolvers (<see cref="NamingServiceOptions.FallbackResolvers"/>) in order, until one knows the name.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the lookup (over a connection, it cancels the remote call).</param>
    /// <returns>The reference, or <see langword="null"/> when no resolver knows the name.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rules.</exception>
    Task<RemoteReference?> LookupAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The names bound in the service's registry that start with <paramref name="prefix"/>, in ordinal order.</summary>
    /// <param name="prefix">An ordinal prefix; empty (the default) for every name. Fallback resolvers are not listed.</param>
    /// <returns>The names.</returns>
    /// <exception cref="ArgumentException">The prefix is longer than a name can be or has a control character.</exception>
    Task<string[]> ListAsync(string prefix = "");
}
