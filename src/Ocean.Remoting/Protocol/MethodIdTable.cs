using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Ocean.Remoting.Protocol;

/// <summary>
/// The methods of a remote interface (its own and those of the interfaces it extends) by method id. Built once per
/// interface when a proxy is created or an object exported; refuses two methods whose ids collide.
/// </summary>
internal sealed class MethodIdTable
{
    private readonly FrozenDictionary<ulong, MethodInfo> _methods;

    private MethodIdTable(Type interfaceType, FrozenDictionary<ulong, MethodInfo> methods, FrozenDictionary<MethodInfo, ulong> ids)
    {
        InterfaceType = interfaceType;
        _methods = methods;
        Ids = ids;
    }

    public Type InterfaceType { get; }

    /// <summary>Each method's id.</summary>
    public FrozenDictionary<MethodInfo, ulong> Ids { get; }

    public int Count => _methods.Count;

    /// <summary>Builds the table of <paramref name="interfaceType"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="interfaceType"/> is not an interface.</exception>
    /// <exception cref="InvalidOperationException">Two methods have the same id (the message names both and their texts).</exception>
    /// <exception cref="NotSupportedException">A method cannot have a canonical signature (generic, by-ref, pointer).</exception>
    public static MethodIdTable Create([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.Interfaces | DynamicallyAccessedMemberTypes.PublicMethods)] Type interfaceType) =>
        Create(interfaceType, MethodSignature.ComputeId);

    /// <summary>Builds the table with a given id function (tests force collisions with it).</summary>
    internal static MethodIdTable Create(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.Interfaces | DynamicallyAccessedMemberTypes.PublicMethods)] Type interfaceType,
        Func<string, ulong> computeId)
    {
        ArgumentNullException.ThrowIfNull(interfaceType);
        if (!interfaceType.IsInterface)
        {
            throw new ArgumentException($"{interfaceType} is not an interface; remote objects are reached through interfaces.", nameof(interfaceType));
        }

        var byId = new Dictionary<ulong, (MethodInfo Method, string Text)>();
        foreach (var method in AllMethods(interfaceType))
        {
            var text = MethodSignature.GetCanonicalText(method);
            var id = computeId(text);
            if (byId.TryGetValue(id, out var existing))
            {
                var reason = existing.Text == text
                    ? "they have the same canonical signature (they differ only in a CancellationToken parameter or in the shape of their task)"
                    : "their canonical signatures hash to the same id";
                throw new InvalidOperationException(
                    $"{interfaceType} cannot be remoted: methods '{existing.Text}' and '{text}' have the same method id 0x{id:X16}: {reason}. Rename one of them.");
            }

            byId.Add(id, (method, text));
        }

        return new MethodIdTable(
            interfaceType,
            byId.ToFrozenDictionary(p => p.Key, p => p.Value.Method),
            byId.ToFrozenDictionary(p => p.Value.Method, p => p.Key));
    }

    public bool TryGetMethod(ulong methodId, [NotNullWhen(true)] out MethodInfo? method) => _methods.TryGetValue(methodId, out method);

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "The interface's own public methods and interfaces are kept by the annotation on Create; those of the interfaces it extends are kept with them.")]
    private static IEnumerable<MethodInfo> AllMethods(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.Interfaces | DynamicallyAccessedMemberTypes.PublicMethods)] Type interfaceType)
    {
        foreach (var method in interfaceType.GetMethods())
        {
            yield return method;
        }

        foreach (var inherited in interfaceType.GetInterfaces())
        {
            foreach (var method in inherited.GetMethods())
            {
                yield return method;
            }
        }
    }
}
