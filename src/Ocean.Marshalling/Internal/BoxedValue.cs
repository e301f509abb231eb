using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Ocean.Marshalling.Internal;

/// <summary>Checks a boxed value against its declared type, for the non-generic overloads.</summary>
internal static class BoxedValue
{
    public static void Check(Type type, object? value, [CallerArgumentExpression(nameof(value))] string? parameterName = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (value is null)
        {
            if (type.IsValueType && Nullable.GetUnderlyingType(type) is null)
            {
                ThrowNullValueType(type, parameterName);
            }

            return;
        }

        if (!type.IsInstanceOfType(value))
        {
            ThrowMismatch(type, value, parameterName);
        }
    }

    [DoesNotReturn]
    private static void ThrowNullValueType(Type type, string? parameterName) =>
        throw new ArgumentNullException(parameterName, $"A {type.Name} cannot be null.");

    [DoesNotReturn]
    private static void ThrowMismatch(Type type, object value, string? parameterName) =>
        throw new ArgumentException($"The value is a {value.GetType().Name}, not a {type.Name}.", parameterName);
}
