using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Ocean.Marshalling;

/// <summary>
/// The types a <see cref="GraphMarshaller"/> may write and create, each under a stable name its author chooses
/// (such as <c>demo.Person</c>). The names, never CLR type names, travel on the wire; a reader creates only the
/// types registered here, whatever the bytes say.
/// </summary>
/// <remarks>
/// Register every type before creating a marshaller with the registry: the marshaller freezes it, and a later
/// <see cref="Register(Type, string)"/> throws. Primitives, strings, enums, arrays, <see cref="List{T}"/>,
/// <see cref="Dictionary{TKey, TValue}"/> and <see cref="Nullable{T}"/> are built in and need no registration.
/// A registered class may be sent where a registered base class or interface is declared.
/// </remarks>
public sealed class GraphTypeRegistry
{
    private const int MaxNameBytes = 1024;
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<string, Type> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, string> _byType = [];
    private volatile bool _frozen;

    /// <summary>How many types are registered.</summary>
    public int Count => _byType.Count;

    /// <summary>Allows <typeparamref name="T"/> under <paramref name="stableName"/>.</summary>
    /// <typeparam name="T">A class, struct, record or interface.</typeparam>
    /// <param name="stableName">The name on the wire: not empty, at most 1,024 UTF-8 bytes, unique in this registry.</param>
    /// <returns>This registry, for chaining.</returns>
    /// <exception cref="ArgumentException">The type cannot be registered, or the name or type is already registered.</exception>
    /// <exception cref="InvalidOperationException">A marshaller already uses this registry.</exception>
    public GraphTypeRegistry Register<T>(string stableName) => Register(typeof(T), stableName);

    /// <summary>Allows <paramref name="type"/> under <paramref name="stableName"/>.</summary>
    /// <param name="type">A class, struct, record or interface (not a built-in type, enum, delegate or open generic).</param>
    /// <param name="stableName">The name on the wire: not empty, at most 1,024 UTF-8 bytes, unique in this registry.</param>
    /// <returns>This registry, for chaining.</returns>
    /// <exception cref="ArgumentException">The type cannot be registered, or the name or type is already registered.</exception>
    /// <exception cref="InvalidOperationException">A marshaller already uses this registry.</exception>
    public GraphTypeRegistry Register(Type type, string stableName)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrEmpty(stableName);
        if (_frozen)
        {
            throw new InvalidOperationException("A GraphMarshaller already uses this registry; register every type before creating the marshaller.");
        }

        if (WhyNot(type) is { } reason)
        {
            throw new ArgumentException($"{type} cannot be registered: {reason}", nameof(type));
        }

        int bytes;
        try
        {
            bytes = s_strictUtf8.GetByteCount(stableName);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("The stable name is not valid UTF-16.", nameof(stableName), ex);
        }

        if (bytes > MaxNameBytes)
        {
            throw new ArgumentException($"The stable name takes {bytes} UTF-8 bytes; at most {MaxNameBytes} are allowed.", nameof(stableName));
        }

        if (_byName.TryGetValue(stableName, out var existing))
        {
            throw new ArgumentException($"The stable name '{stableName}' is already registered for {existing}.", nameof(stableName));
        }

        if (_byType.TryGetValue(type, out var name))
        {
            throw new ArgumentException($"{type} is already registered as '{name}'.", nameof(type));
        }

        _byName.Add(stableName, type);
        _byType.Add(type, stableName);
        return this;
    }

    /// <summary>Whether <paramref name="type"/> is registered (exactly, not through a base type).</summary>
    /// <param name="type">The type.</param>
    /// <returns><see langword="true"/> when registered.</returns>
    public bool IsRegistered(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return _byType.ContainsKey(type);
    }

    internal IEnumerable<Type> Types => _byType.Keys;

    internal void Freeze() => _frozen = true;

    internal bool TryGetType(string stableName, [NotNullWhen(true)] out Type? type) => _byName.TryGetValue(stableName, out type);

    internal bool TryGetName(Type type, [NotNullWhen(true)] out string? stableName) => _byType.TryGetValue(type, out stableName);

    private static string? WhyNot(Type type)
    {
        if (type.IsGenericTypeDefinition || type.ContainsGenericParameters)
        {
            return "open generic types cannot be registered; register each closed type.";
        }

        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(object) || type.IsArray
            || Nullable.GetUnderlyingType(type) is not null
            || (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(List<>) || type.GetGenericTypeDefinition() == typeof(Dictionary<,>))))
        {
            return "built-in types need no registration.";
        }

        if (type.IsPointer || type.IsByRef || type.IsByRefLike || typeof(Delegate).IsAssignableFrom(type))
        {
            return "pointers, by-ref types and delegates carry no data.";
        }

        return type.IsClass || type.IsValueType || type.IsInterface ? null : "only classes, structs and interfaces can be registered.";
    }
}
