using System.Reflection;

namespace Ocean.Remoting;

/// <summary>
/// The client's view of one outgoing call, for <see cref="IRemoteClientInterceptor"/>s: they may read it, add
/// metadata, shorten the deadline, or refuse the call by throwing.
/// </summary>
public sealed class ClientCallContext
{
    internal ClientCallContext(string target, string objectName, MethodInfo method, List<KeyValuePair<string, string>> metadata, TimeSpan? deadline, CancellationToken cancellationToken)
    {
        Target = target;
        ObjectName = objectName;
        Method = method;
        Metadata = metadata;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>Where the call goes (the server's endpoint, or the connection's description).</summary>
    public string Target { get; }

    /// <summary>The name of the remote object.</summary>
    public string ObjectName { get; }

    /// <summary>The interface method called.</summary>
    public MethodInfo Method { get; }

    /// <summary>The headers the request will carry; interceptors may add to them.</summary>
    public IList<KeyValuePair<string, string>> Metadata { get; }

    /// <summary>The call's deadline (from its start), or <see langword="null"/> for none; interceptors may change it.</summary>
    public TimeSpan? Deadline { get; set; }

    /// <summary>The caller's cancellation token.</summary>
    public CancellationToken CancellationToken { get; }
}
