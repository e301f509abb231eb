using System.Net;
using System.Net.Sockets;

namespace Ocean.Remoting;

/// <summary>
/// The naming service: <see cref="INamingService"/> over a <see cref="NameRegistry"/> (bind, rebind, unbind, list) and a
/// chain of <see cref="INameResolver"/>s for lookups (the registry first, then
/// <see cref="NamingServiceOptions.FallbackResolvers"/>). Use it in-process as it is, or export it
/// (<c>server.ExportNamingService(service)</c>, under <see cref="WellKnownName"/>) so that clients find objects by name.
/// </summary>
/// <remarks>
/// Who may change the bindings: a caller in-process (no <see cref="RemoteCallContext.Current"/>), or a remote caller whose
/// <see cref="RemoteCallContext.PeerEndPoint"/> is a loopback address (IPv4 <c>127.0.0.0/8</c>, <c>::1</c>, or IPv4
/// loopback mapped into IPv6), a Unix socket, or absent (an in-memory connection). Anyone else is refused with
/// <see cref="UnauthorizedAccessException"/> unless <see cref="NamingServiceOptions.AllowRemoteBinding"/> is set. A
/// client on this machine that connects to one of its non-loopback addresses counts as remote: bind through
/// <c>127.0.0.1</c> or <c>::1</c>. The caller is found through <see cref="RemoteCallContext.Current"/>, so server code
/// that calls this service while it handles a remote call acts as that call's caller: to bind on the server's own
/// authority there, use <see cref="Registry"/> directly.
/// </remarks>
public sealed class NamingService : INamingService
{
    /// <summary>The name a naming service is exported under: <c>ocean.naming</c>.</summary>
    public const string WellKnownName = "ocean.naming";

    private static readonly Task<bool> s_true = Task.FromResult(true);
    private static readonly Task<bool> s_false = Task.FromResult(false);
    private static readonly Task<RemoteReference?> s_none = Task.FromResult<RemoteReference?>(null);

    private readonly INameResolver[] _fallbacks;
    private readonly Func<EndPoint?> _caller;

    /// <summary>Makes a service with its own registry of at most <see cref="NamingServiceOptions.MaxNames"/> names.</summary>
    /// <param name="options">The settings (<see langword="null"/>: the defaults).</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="NamingServiceOptions.MaxNames"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A fallback resolver is <see langword="null"/>.</exception>
    public NamingService(NamingServiceOptions? options = null)
        : this(new NameRegistry((options ?? new NamingServiceOptions()).MaxNames), options)
    {
    }

    /// <summary>Makes a service over an existing registry (shared with in-process code, or with another service).</summary>
    /// <param name="registry">The bindings; its own <see cref="NameRegistry.MaxNames"/> applies.</param>
    /// <param name="options">The settings (<see langword="null"/>: the defaults); <see cref="NamingServiceOptions.MaxNames"/> is not used.</param>
    /// <exception cref="ArgumentException">A fallback resolver is <see langword="null"/>.</exception>
    public NamingService(NameRegistry registry, NamingServiceOptions? options = null)
        : this(registry, options, static () => RemoteCallContext.Current?.PeerEndPoint)
    {
    }

    /// <summary>The seam for tests: <paramref name="caller"/> says who calls (<see langword="null"/>: in-process or local).</summary>
    internal NamingService(NameRegistry registry, NamingServiceOptions? options, Func<EndPoint?> caller)
    {
        ArgumentNullException.ThrowIfNull(registry);
        options ??= new NamingServiceOptions();
        _fallbacks = [.. options.FallbackResolvers];
        if (Array.IndexOf(_fallbacks, null) >= 0)
        {
            throw new ArgumentException("A fallback resolver is null.", nameof(options));
        }

        Registry = registry;
        AllowRemoteBinding = options.AllowRemoteBinding;
        _caller = caller;
    }

    /// <summary>The bindings this service serves.</summary>
    public NameRegistry Registry { get; }

    /// <summary>Whether peers on other machines may bind, rebind and unbind (see <see cref="NamingServiceOptions.AllowRemoteBinding"/>).</summary>
    public bool AllowRemoteBinding { get; }

    /// <inheritdoc/>
    public Task BindAsync(string name, RemoteReference reference)
    {
        try
        {
            CheckMayChange(nameof(BindAsync));
            Registry.Bind(name, reference);
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    /// <inheritdoc/>
    public Task RebindAsync(string name, RemoteReference reference)
    {
        try
        {
            CheckMayChange(nameof(RebindAsync));
            Registry.Rebind(name, reference);
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    /// <inheritdoc/>
    public Task<bool> UnbindAsync(string name)
    {
        try
        {
            CheckMayChange(nameof(UnbindAsync));
            return Registry.Unbind(name) ? s_true : s_false;
        }
        catch (Exception e)
        {
            return Task.FromException<bool>(e);
        }
    }

    /// <inheritdoc/>
    public Task<RemoteReference?> LookupAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            if (Registry.TryLookup(name, out var reference))
            {
                return Task.FromResult<RemoteReference?>(reference);
            }

            return _fallbacks.Length == 0 ? s_none : ResolveWithFallbacksAsync(name, cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<RemoteReference?>(e);
        }
    }

    /// <inheritdoc/>
    public Task<string[]> ListAsync(string prefix = "")
    {
        try
        {
            return Task.FromResult(Registry.List(prefix));
        }
        catch (Exception e)
        {
            return Task.FromException<string[]>(e);
        }
    }

    /// <summary>
    /// Whether a caller at <paramref name="peer"/> counts as this machine: <see langword="null"/> (in-process, in-memory),
    /// a Unix socket, or a loopback IP address (IPv4-mapped included). Any other endpoint, of any other kind, is remote.
    /// </summary>
    internal static bool IsLocalPeer(EndPoint? peer) => peer switch
    {
        null => true,
        UnixDomainSocketEndPoint => true,
        IPEndPoint ip => IsLoopback(ip.Address),
        _ => peer.AddressFamily == AddressFamily.Unix,
    };

    private static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));

    private void CheckMayChange(string operation)
    {
        if (AllowRemoteBinding)
        {
            return;
        }

        var peer = _caller();
        if (!IsLocalPeer(peer))
        {
            throw new UnauthorizedAccessException(
                $"{operation} refused: this naming service accepts bindings only from this machine's loopback (the caller is {peer}); "
                + "set NamingServiceOptions.AllowRemoteBinding to accept them from other machines.");
        }
    }

    private async Task<RemoteReference?> ResolveWithFallbacksAsync(string name, CancellationToken cancellationToken)
    {
        foreach (var resolver in _fallbacks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await resolver.ResolveAsync(name, cancellationToken).ConfigureAwait(false) is { } reference)
            {
                return reference;
            }
        }

        return null;
    }
}
