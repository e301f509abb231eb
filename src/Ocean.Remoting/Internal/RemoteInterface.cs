using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal;

/// <summary>
/// A remote interface as both sides use it: its method table (ids, refused collisions) and one
/// <see cref="RemoteMethod"/> per method, built once per interface and marshaller. Building it is where every
/// unsupported signature is refused, so a proxy or an export fails at once, never at the first call.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class RemoteInterface
{
    private static readonly ConcurrentDictionary<(Type, IMarshaller), RemoteInterface> s_cache = new();

    // The interfaces being built on this thread: a [Remote] interface used in a signature is checked when the
    // interface using it is built, and two such interfaces may use each other.
    [ThreadStatic]
    private static HashSet<Type>? t_building;

    private readonly FrozenDictionary<ulong, RemoteMethod> _byId;
    private readonly FrozenDictionary<MethodInfo, RemoteMethod> _byMethod;

    private RemoteInterface(Type interfaceType, IReadOnlyList<RemoteMethod> methods)
    {
        InterfaceType = interfaceType;
        Methods = methods;
        _byId = methods.ToFrozenDictionary(m => m.Id);
        _byMethod = methods.ToFrozenDictionary(m => m.Method);
    }

    public Type InterfaceType { get; }

    public IReadOnlyList<RemoteMethod> Methods { get; }

    /// <summary>The description of <paramref name="interfaceType"/> for <paramref name="marshaller"/>, built on first use.</summary>
    /// <exception cref="ArgumentException">Not an interface.</exception>
    /// <exception cref="NotSupportedException">A member cannot be remoted (the message names it and says why).</exception>
    /// <exception cref="InvalidOperationException">Two methods' ids collide.</exception>
    public static RemoteInterface Get(Type interfaceType, IMarshaller marshaller)
    {
        if (s_cache.TryGetValue((interfaceType, marshaller), out var known))
        {
            return known;
        }

        var building = t_building ??= [];
        if (!building.Add(interfaceType))
        {
            throw new InvalidOperationException($"{interfaceType} is already being described on this thread.");
        }

        try
        {
            var built = Build(interfaceType, marshaller);
            return s_cache.GetOrAdd((interfaceType, marshaller), built);
        }
        finally
        {
            building.Remove(interfaceType);
        }
    }

    public bool TryGetMethod(ulong id, [NotNullWhen(true)] out RemoteMethod? method) => _byId.TryGetValue(id, out method);

    public RemoteMethod GetMethod(MethodInfo method) =>
        _byMethod.TryGetValue(method, out var remote)
            ? remote
            : throw new InvalidOperationException($"{method.DeclaringType}.{method.Name} is not a method of {InterfaceType}.");

    private static RemoteInterface Build(Type interfaceType, IMarshaller marshaller)
    {
        ArgumentNullException.ThrowIfNull(interfaceType);
        if (!interfaceType.IsInterface)
        {
            throw new ArgumentException($"{interfaceType} is not an interface; remote objects are reached through interfaces.", nameof(interfaceType));
        }

        if (interfaceType.ContainsGenericParameters)
        {
            throw new ArgumentException($"{interfaceType} is an open generic interface; remote interfaces must be closed.", nameof(interfaceType));
        }

        foreach (var type in (Type[])[interfaceType, .. interfaceType.GetInterfaces()])
        {
            if (type.GetEvents().FirstOrDefault() is { } e)
            {
                throw new NotSupportedException($"{interfaceType} cannot be remoted: {type.Name}.{e.Name} is an event, and events cannot be remoted (pass a callback interface instead).");
            }
        }

        // Refusals first, with a message naming the member; the table then checks ids and collisions.
        foreach (var method in AllMethods(interfaceType))
        {
            Check(interfaceType, method, marshaller);
        }

        var table = MethodIdTable.Create(interfaceType);
        var methods = new List<RemoteMethod>(table.Count);
        foreach (var (method, id) in table.Ids)
        {
            methods.Add(RemoteMethod.Create(method, id, MethodSignature.GetCanonicalText(method)));
        }

        return new RemoteInterface(interfaceType, methods);
    }

    private static void Check(Type interfaceType, MethodInfo method, IMarshaller marshaller)
    {
        string Where() => $"{interfaceType} cannot be remoted: {method.DeclaringType!.Name}.{method.Name}";

        if (method.IsStatic)
        {
            throw new NotSupportedException($"{Where()} is a static interface member; only instance methods can be called remotely.");
        }

        if (method.IsGenericMethodDefinition || method.IsGenericMethod)
        {
            throw new NotSupportedException($"{Where()} is a generic method; remote methods cannot be generic (the id and the marshaller need closed types).");
        }

        var tokens = 0;
        foreach (var parameter in method.GetParameters())
        {
            var type = parameter.ParameterType;
            if (type.IsByRef)
            {
                var kind = parameter.IsOut ? "out" : parameter.IsIn ? "in" : "ref";
                throw new NotSupportedException($"{Where()} has a '{kind}' parameter '{parameter.Name}'; remote methods take parameters by value (return a result instead).");
            }

            if (type.IsPointer || type.IsFunctionPointer || type.IsByRefLike)
            {
                throw new NotSupportedException($"{Where()} has parameter '{parameter.Name}' of type {type}: pointers and spans cannot cross a process boundary (use an array).");
            }

            if (type == typeof(CancellationToken))
            {
                if (++tokens > 1)
                {
                    throw new NotSupportedException($"{Where()} has more than one CancellationToken parameter.");
                }

                continue;
            }

            CheckMarshallable(Where, $"parameter '{parameter.Name}'", type, marshaller);
        }

        var returnType = method.ReturnType;
        if (returnType.IsByRef || returnType.IsPointer || returnType.IsFunctionPointer || returnType.IsByRefLike)
        {
            throw new NotSupportedException($"{Where()} returns {returnType}: by-ref, pointer and span results cannot be remoted.");
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))
        {
            throw new NotSupportedException($"{Where()} returns IAsyncEnumerable<T>, which Ocean.Remoting does not stream yet; return a Task of a list or array.");
        }

        var result = MethodSignature.ResultType(returnType);
        if (method.IsDefined(typeof(OneWayAttribute), inherit: false))
        {
            if (result != typeof(void))
            {
                throw new NotSupportedException($"{Where()} is marked [OneWay] but returns {returnType}: a one-way call has no reply, so it can only return void, Task or ValueTask.");
            }

            if (method.IsDefined(typeof(IdempotentAttribute), inherit: false))
            {
                throw new NotSupportedException($"{Where()} is marked both [OneWay] and [Idempotent]: a one-way call is sent once and never retried.");
            }
        }

        if (result != typeof(void))
        {
            if (result.IsGenericType && result.GetGenericTypeDefinition() is var d && (d == typeof(Task<>) || d == typeof(ValueTask<>) || d == typeof(IAsyncEnumerable<>)) || result == typeof(Task) || result == typeof(ValueTask))
            {
                throw new NotSupportedException($"{Where()} returns a task of a task ({returnType}); return the inner task's type.");
            }

            if (typeof(Task).IsAssignableFrom(returnType) && returnType != typeof(Task) && !(returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>)))
            {
                throw new NotSupportedException($"{Where()} returns {returnType}; declare Task or Task<T>.");
            }

            CheckMarshallable(Where, "result", result, marshaller);
        }
    }

    private static void CheckMarshallable(Func<string> where, string what, Type type, IMarshaller marshaller)
    {
        bool ok;
        string? reason;
        try
        {
            ok = marshaller.CanMarshal(type, out reason);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ok = false;
            reason = e.Message;
        }

        if (!ok)
        {
            throw new NotSupportedException($"{where()}: the {what} of type {type} cannot be carried by the {marshaller.Name} marshaller: {reason}");
        }

        // A [Remote] interface travels by reference: its own methods must be remotable too, or passing one would fail
        // at the first call instead of now.
        if (ReferenceSurrogates.IsRemote(type) && t_building?.Contains(type) != true) // interfaces may use each other
        {
            try
            {
                _ = Get(type, marshaller);
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
            {
                throw new NotSupportedException($"{where()}: the {what} of type {type} travels by reference, but {e.Message}", e);
            }
        }
    }

    private static IEnumerable<MethodInfo> AllMethods(Type interfaceType) =>
        interfaceType.GetMethods().Concat(interfaceType.GetInterfaces().SelectMany(i => i.GetMethods()));
}
