namespace Ocean.Remoting;

/// <summary>
/// Marks a remote interface whose objects travel <b>by reference</b>: wherever the interface is declared as a parameter,
/// a result, or a member of a struct or graph object, the sender's object stays where it is (exported implicitly, and
/// leased while the receiver holds it) and the receiver gets a proxy that calls it. Values of every other type travel by
/// value.
/// </summary>
/// <remarks>
/// <para>Put it on the interface declared in the signature (or on one of the interfaces it extends). An object a
/// <see cref="RemotingClient"/> passes has no endpoint of its own: its reference is bound to the connection it was
/// sent on, calls on it flow back over that connection, and it cannot be passed on to a third party.</para>
/// <para>A proxy received for such an interface can be passed on like any value: written back to its owner, it
/// arrives there as the owner's own object.</para>
/// </remarks>
/// <example>
/// <code>
/// [Remote]
/// public interface ITranscript { Task ShowAsync(string line); }
///
/// public interface ITranscriptServer { Task RegisterAsync(ITranscript transcript); }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Interface, Inherited = false, AllowMultiple = false)]
public sealed class RemoteAttribute : Attribute;
