using System.Net;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;

namespace Ocean.Remoting;

/// <summary>
/// The server's view of one remote call: who called, what, with which metadata and deadline. Interceptors get it;
/// the method itself reads it from <see cref="Current"/>.
/// </summary>
public sealed class RemoteCallContext
{
    // The call, through a holder the server empties when the call ends: work the method left running sees no context
    // rather than another call's (the server reuses its call objects). The context itself is made on first use.
    private static readonly AsyncLocal<Internal.CallHolder?> s_current = new();

    internal RemoteCallContext(
        string connectionId,
        EndPoint? peerEndPoint,
        X509Certificate2? clientCertificate,
        string objectName,
        MethodInfo method,
        ulong methodId,
        string signature,
        IReadOnlyList<KeyValuePair<string, string>> metadata,
        DateTimeOffset? deadline,
        CancellationToken cancellationToken)
    {
        ConnectionId = connectionId;
        PeerEndPoint = peerEndPoint;
        ClientCertificate = clientCertificate;
        ObjectName = objectName;
        Method = method;
        MethodId = methodId;
        Signature = signature;
        Metadata = metadata;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The call running on this async flow, or <see langword="null"/> outside a remote call.</summary>
    public static RemoteCallContext? Current => s_current.Value?.Call?.Context;

    internal static void Enter(Internal.CallHolder holder) => s_current.Value = holder;

    /// <summary>The connection the running call came on, or <see langword="null"/> outside a call.</summary>
    internal static Internal.RemotingConnection? CurrentConnection => s_current.Value?.Call?.Connection;

    /// <summary>The connection the running call came on (the lease service's provisional holder), or <see langword="null"/>.</summary>
    internal static string? CurrentProvisionalHolder => s_current.Value?.Call?.ProvisionalHolder;

    /// <summary>The connection's identifier, as in the transport's and framing's logs.</summary>
    public string ConnectionId { get; }

    /// <summary>The caller's endpoint (<see langword="null"/> over an in-memory connection).</summary>
    public EndPoint? PeerEndPoint { get; }

    /// <summary>The certificate the client presented over TLS with client authentication, otherwise <see langword="null"/>.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>The name the target object is exported under.</summary>
    public string ObjectName { get; }

    /// <summary>The interface method called.</summary>
    public MethodInfo Method { get; }

    /// <summary>The method id the request carried.</summary>
    public ulong MethodId { get; }

    /// <summary>The method's canonical signature text (see the README's "Method ids").</summary>
    public string Signature { get; }

    /// <summary>The request's metadata headers, in the order sent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; }

    /// <summary>When the call's deadline passes, on the server's clock, or <see langword="null"/> for none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Cancelled when the caller cancels, the deadline passes, the connection is lost or the server stops.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The first value of metadata header <paramref name="key"/>, or <see langword="null"/>.</summary>
    /// <param name="key">The header's key.</param>
    /// <returns>Its value, if sent.</returns>
    public string? GetMetadata(string key)
    {
        foreach (var (k, v) in Metadata)
        {
            if (string.Equals(k, key, StringComparison.Ordinal))
            {
                return v;
            }
        }

        return null;
    }
}
