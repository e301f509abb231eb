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

    [RequiresDynamicCode(DynamicCodeMessages.Proxies)]
    [RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
    public static T Create<T>(RemoteInterface description, IRemoteCaller caller, string objectKey)
        where T : class
    {
        var proxy = DispatchProxy.Create<T, RemotingProxy>();
        var self = (RemotingProxy)(object)proxy;
        self._interface = description;
        self._caller = caller;
        self._objectKey = objectKey;
        return proxy;
    }

    public override string ToString() => $"remote {_interface.InterfaceType.Name} '{_objectKey}' at {_caller.Describe()}";

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return _interface.GetMethod(targetMethod).InvokeThroughProxy(_caller, _objectKey, args ?? []);
    }
}
