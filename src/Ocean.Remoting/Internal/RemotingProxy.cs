using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Ocean.Remoting.Internal;

/// <summary>
/// The client proxy: <see cref="DispatchProxy"/> turns every interface call into <see cref="Invoke"/>, which looks up
/// the method's description (built when the proxy was created) and makes the call.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
#pragma warning disable CA1852 // DispatchProxy derives from it at run time
internal class RemotingProxy : DispatchProxy
#pragma warning restore CA1852
{
    private RemoteInterface _interface = null!;
    private IRemoteCaller _caller = null!;
    private string _objectKey = null!;
    private ProxyTarget? _target;

    [RequiresDynamicCode(DynamicCodeMessages.Proxies)]
    [RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
    public static T Create<T>(RemoteInterface description, IRemoteCaller caller, string objectKey)
        where T : class => (T)Create(description, caller, objectKey, null);

    /// <summary>A proxy for <paramref name="description"/>'s interface; <paramref name="target"/> for one made from a reference.</summary>
    [RequiresDynamicCode(DynamicCodeMessages.Proxies)]
    [RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
    public static object Create(RemoteInterface description, IRemoteCaller caller, string objectKey, ProxyTarget? target)
    {
        var proxy = DispatchProxy.Create(description.InterfaceType, typeof(RemotingProxy));
        var self = (RemotingProxy)proxy;
        self._interface = description;
        self._caller = caller;
        self._objectKey = objectKey;
        self._target = target;
        return proxy;
    }

    /// <summary>The endpoint reference this proxy was made from, if any.</summary>
    public RemoteReference? Reference => _target?.Reference;

    public override string ToString() => $"remote {_interface.InterfaceType.Name} '{_objectKey}' at {_caller.Describe()}";

    /// <summary>
    /// The reference to write when this proxy is passed in a message on <paramref name="connection"/>: its endpoint
    /// reference; or, for an object bound to a connection, a bound reference when written back to that connection.
    /// </summary>
    /// <exception cref="InvalidOperationException">The proxy cannot be passed there (see the messages).</exception>
    public string ReferenceFor(RemotingConnection connection, Type declaredType)
    {
        switch (_target)
        {
            case { Reference: { } reference }:
                return reference.ToString();
            case { BoundTo: { } bound } when ReferenceEquals(bound, connection):
                return ReferenceSurrogates.FormatBound(_target.Incarnation, _target.Number, declaredType);
            case { BoundTo: { } bound }:
                throw new InvalidOperationException(
                    $"This {declaredType.Name} is an object of the peer on connection {bound.Id} ({bound.RemoteEndPoint}), which has no endpoint of its own: " +
                    $"its reference is bound to that connection and cannot be passed on to a third party (here, connection {connection.Id} to {connection.RemoteEndPoint}).");
            default:
                throw new InvalidOperationException(
                    $"The proxy for '{_objectKey}' came from GetProxy(name) and has no object number, so it cannot be passed by reference; " +
                    "pass a proxy made from a RemoteReference (RemotingServer.GetReference, the naming service) instead.");
        }
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return _interface.GetMethod(targetMethod).InvokeThroughProxy(_caller, _objectKey, args ?? []);
    }
}

/// <summary>
/// What a proxy made from a reference points at: the object's incarnation and number, and either its endpoint
/// reference or the connection it is bound to. Holds the lease anchor, so the lease lives while any proxy for the
/// object does.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed record ProxyTarget(string Incarnation, ulong Number, RemoteReference? Reference, RemotingConnection? BoundTo, object? LeaseAnchor);
