using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using Ocean.Marshalling;

namespace Ocean.Remoting.Internal;

/// <summary>
/// The surrogate provider Remoting installs over every marshaller it is given: a <see cref="RemoteAttribute"/>
/// interface travels as a reference (its object exported implicitly on the way out, a proxy made on the way in), and a
/// <see cref="RemoteReference"/> as its printed text. Every other declared type goes to the user's own provider, if any.
/// </summary>
/// <remarks>
/// The surrogate is a string, the one type both marshallers carry and CDR cannot make null: <c>""</c> is a null
/// reference; <c>ocean://HOST:PORT/INC/NUM?interface=NAME</c> an object reachable at an endpoint;
/// <c>ocean:bound/INC/NUM?interface=NAME</c> an object of one end of the connection the message travels on.
/// </remarks>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class ReferenceSurrogates : IMarshallingSurrogateProvider
{
    public const string BoundPrefix = "ocean:bound/";
    private const string InterfaceQuery = "?interface=";

    private static readonly ConditionalWeakTable<IMarshaller, IMarshaller> s_installed = new();
    private static readonly ConcurrentDictionary<Type, bool> s_remote = new();

    private readonly IMarshallingSurrogateProvider? _inner;

    private ReferenceSurrogates(IMarshallingSurrogateProvider? inner)
    {
        _inner = inner;
    }

    /// <summary>
    /// The marshaller Remoting uses in place of <paramref name="marshaller"/>: the same format with references
    /// installed, made once per marshaller (so the per-interface code is shared by every client and server using it).
    /// A marshaller that takes no surrogate provider is used as it is, and cannot carry references.
    /// </summary>
    public static IMarshaller Install(IMarshaller marshaller)
    {
        if (marshaller.SurrogateProvider is ReferenceSurrogates)
        {
            return marshaller;
        }

        return s_installed.GetValue(marshaller, static m => m.WithSurrogateProvider(new ReferenceSurrogates(m.SurrogateProvider)) ?? m);
    }

    /// <summary>Whether values of <paramref name="type"/> travel by reference: an interface marked [Remote], or extending one.</summary>
    public static bool IsRemote(Type type) =>
        type.IsInterface && s_remote.GetOrAdd(type, static t => t.IsDefined(typeof(RemoteAttribute), false) || t.GetInterfaces().Any(i => i.IsDefined(typeof(RemoteAttribute), false)));

    public Type? GetSurrogateType(Type declaredType) =>
        declaredType == typeof(RemoteReference) || IsRemote(declaredType) ? typeof(string) : _inner?.GetSurrogateType(declaredType);

    public object? Replace(object? value, Type declaredType, MarshallingContext? context)
    {
        if (declaredType == typeof(RemoteReference))
        {
            return value is null ? string.Empty : value.ToString();
        }

        if (!IsRemote(declaredType))
        {
            return _inner!.Replace(value, declaredType, context);
        }

        if (value is null)
        {
            return string.Empty;
        }

        var connection = ConnectionOf(context, declaredType);
        if (value is RemotingProxy proxy)
        {
            return proxy.ReferenceFor(connection, declaredType);
        }

        return connection.Space.ExportImplicitly(value, declaredType, connection);
    }

    public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context)
    {
        if (declaredType == typeof(RemoteReference))
        {
            var text = (string?)surrogate;
            return string.IsNullOrEmpty(text) ? null : RemoteReference.Parse(text);
        }

        if (!IsRemote(declaredType))
        {
            return _inner!.Resolve(surrogate, declaredType, context);
        }

        var reference = (string?)surrogate;
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }

        var connection = ConnectionOf(context, declaredType);
        if (reference.StartsWith(BoundPrefix, StringComparison.Ordinal))
        {
            if (!TryParseBound(reference, out var incarnation, out var number))
            {
                throw new FormatException($"'{Shorten(reference)}' is not a connection-bound reference (ocean:bound/INCARNATION/NUMBER?interface=NAME).");
            }

            return connection.Space.ResolveBound(declaredType, incarnation, number, connection);
        }

        return connection.Space.ResolveEndPoint(declaredType, RemoteReference.Parse(reference), connection);
    }

    /// <summary>The printed form of a connection-bound reference.</summary>
    public static string FormatBound(string incarnation, ulong number, Type interfaceType) =>
        string.Create(CultureInfo.InvariantCulture, $"{BoundPrefix}{incarnation}/{number}{InterfaceQuery}{Uri.EscapeDataString(Protocol.MethodSignature.TypeName(interfaceType))}");

    private static bool TryParseBound(string text, out string incarnation, out ulong number)
    {
        incarnation = string.Empty;
        number = 0;
        var rest = text.AsSpan(BoundPrefix.Length);
        var query = rest.IndexOf('?');
        if (query < 0 || !rest[query..].StartsWith(InterfaceQuery, StringComparison.Ordinal))
        {
            return false;
        }

        var path = rest[..query];
        var slash = path.IndexOf('/');
        if (slash < 0 || !ServerIncarnation.TryParse(path[..slash], out _, out _) ||
            !ulong.TryParse(path[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        incarnation = path[..slash].ToString();
        return true;
    }

    private static RemotingConnection ConnectionOf(MarshallingContext? context, Type declaredType) =>
        (context as ReferenceContext)?.Connection
        ?? throw new InvalidOperationException($"{declaredType.Name} is a [Remote] interface: its objects travel by reference, which only a remote call's arguments and results can carry, over a connection (a call over UDP has none to bind them to).");

    private static string Shorten(string text) => text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 120), "…");
}
