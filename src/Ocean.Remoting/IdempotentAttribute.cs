namespace Ocean.Remoting;

/// <summary>
/// Marks a remote method (or every method of an interface) idempotent: running it twice has the same effect as running
/// it once, so calls to it have <b>at-least-once</b> semantics and are retried when their outcome is unknown.
/// </summary>
/// <remarks>
/// <para>Over UDP the client retransmits the request until a reply arrives, up to
/// <see cref="RemotingClientOptions.MaxAttempts"/>, and the server runs every copy it receives (it keeps no reply for
/// it, which makes these calls cheaper than at-most-once ones). Over TCP a call whose connection was lost before its
/// reply arrived is sent again on a new connection, within the same attempt limit.</para>
/// <para>Methods without this attribute are <b>at-most-once</b>: over UDP the server filters retransmitted requests
/// and answers them from its reply cache; over TCP a request is never sent twice.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Interface, Inherited = false)]
public sealed class IdempotentAttribute : Attribute;
