using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Ocean.Remoting.Internal;

/// <summary>Makes the exception types a client allows (<see cref="RemotingClientOptions.RethrownExceptions"/>) from error replies.</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class ExceptionRethrower
{
    private readonly FrozenDictionary<string, ConstructorInfo> _constructors;

    /// <exception cref="ArgumentException">A type is not an exception, or has no public (string, Exception) constructor.</exception>
    public ExceptionRethrower(IEnumerable<Type> types)
    {
        var constructors = new Dictionary<string, ConstructorInfo>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            ArgumentNullException.ThrowIfNull(type);
            if (!typeof(Exception).IsAssignableFrom(type) || type.IsAbstract || type.ContainsGenericParameters)
            {
                throw new ArgumentException($"{type} is not a concrete exception type, so it cannot be rethrown.", nameof(types));
            }

            var constructor = type.GetConstructor([typeof(string), typeof(Exception)])
                ?? throw new ArgumentException($"{type} has no public constructor taking (string message, Exception innerException), which rethrowing it needs.", nameof(types));
            constructors[type.FullName!] = constructor;
        }

        _constructors = constructors.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The exception to throw instead of <paramref name="error"/>, or <see langword="null"/> to throw it as it is.</summary>
    public Exception? Rethrow(RemotingException error)
    {
        if (error.Status != RemotingStatus.ApplicationException || error.RemoteTypeName is not { } name || !_constructors.TryGetValue(name, out var constructor))
        {
            return null;
        }

        try
        {
            return (Exception)constructor.Invoke([error.RemoteMessage ?? error.Message, error]);
        }
        catch (TargetInvocationException)
        {
            return null; // a constructor that refuses the message: the RemotingException says it all
        }
    }
}
