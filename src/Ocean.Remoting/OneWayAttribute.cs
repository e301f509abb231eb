namespace Ocean.Remoting;

/// <summary>
/// Marks a remote method one-way: <b>maybe</b> semantics. The request is sent once and never retried, the server sends
/// no reply (not even an error), and the method may run zero or one times: the caller never learns which.
/// </summary>
/// <remarks>
/// <para>Only methods returning <see langword="void"/>, <see cref="Task"/> or <see cref="ValueTask"/> can be one-way
/// (anything else is refused with <see cref="NotSupportedException"/> when the proxy or the export is made). The
/// proxy's call returns, or its task completes, once the request has been handed to the transport; it fails only if
/// the request could not be sent (its arguments cannot be marshalled, it is too large, the connection is closed).</para>
/// <para>Over UDP a duplicated datagram still runs the method at most once: the server's duplicate filter applies.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OneWayAttribute : Attribute;
