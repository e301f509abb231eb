namespace Ocean.Remoting;

/// <summary>
/// Server reflection: what a server exports and how to call it, for tools that have no copy of its interfaces (the
/// <c>ocean call</c> command, as <c>grpcurl</c> uses gRPC's reflection service). Off by default; a server exports it under
/// <see cref="WellKnownName"/> when <see cref="RemotingServerOptions.EnableReflection"/> is on.
/// </summary>
/// <remarks>
/// It reveals the export names, and for an object its interface, the server's marshaller, its methods' signatures and
/// parameter names, and with CDR the shape of the types they carry (struct member names, enum identifiers). An object
/// exported implicitly (passed by reference) is described only to a caller who names its key, which holds 64 random
/// bits: the service makes no object reachable that was not reachable already. Exported by name, it goes through the
/// server's interceptors like any other object, so an interceptor can restrict it.
/// </remarks>
public interface IRemotingReflection
{
    /// <summary>The name the reflection service is exported under: <c>ocean.reflection</c>.</summary>
    const string WellKnownName = "ocean.reflection";

    /// <summary>The names of the objects the server exports by name, in ordinal order (the built-in lease service left out).</summary>
    /// <returns>The names, this service's own included.</returns>
    Task<string[]> ListAsync();

    /// <summary>
    /// Describes the object exported under <paramref name="name"/> as a JSON document: its interface, the server's
    /// marshaller, and per method its canonical signature (the text its method id is hashed from), its id, its call
    /// semantics, its parameters' names, and with a CDR marshaller the CDR type of each parameter and of the result in
    /// the notation of <c>CdrMarshaller.DescribeType</c>. The README's "Server reflection" section shows the document.
    /// </summary>
    /// <param name="name">An export name, or an object key <c>~INCARNATION/NUMBER</c> from a reference to one of the server's objects.</param>
    /// <returns>The JSON document.</returns>
    /// <exception cref="RemotingException">Nothing is exported under <paramref name="name"/> (<see cref="RemotingStatus.ApplicationException"/> with a <see cref="KeyNotFoundException"/>'s message).</exception>
    Task<string> DescribeAsync(string name);
}
