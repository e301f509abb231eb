using System.Buffers.Binary;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Ocean.Remoting.Protocol;

/// <summary>
/// The canonical signature text of a remote method and its stable 64-bit id: the first 8 bytes, big-endian, of the
/// SHA-256 of the text's UTF-8. The grammar is in the README ("Method ids"); in short
/// <c>Ns.IService.Method(System.Int32,System.String):System.Int32</c>, with the declaring interface, parameter types
/// in order without <see cref="CancellationToken"/>, and the result type the call carries (the awaited type of
/// <see cref="Task{TResult}"/>/<see cref="ValueTask{TResult}"/>; <c>System.Void</c> for <see cref="Task"/>,
/// <see cref="ValueTask"/> and <c>void</c>).
/// </summary>
/// <remarks>
/// Never <see cref="string.GetHashCode()"/> (randomized per process), metadata tokens or reflection order: the id
/// depends on the text alone, so adding or reordering methods or rebuilding changes no id.
/// </remarks>
internal static class MethodSignature
{
    /// <summary>The canonical text of <paramref name="method"/>, a method of an interface.</summary>
    /// <exception cref="NotSupportedException">The method is generic, or a parameter or the result is a by-ref, pointer or open generic type.</exception>
    public static string GetCanonicalText(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.IsGenericMethod)
        {
            throw new NotSupportedException($"{method.DeclaringType}.{method.Name} is a generic method; remote methods cannot be generic.");
        }

        var builder = new StringBuilder();
        AppendType(builder, method.DeclaringType!);
        builder.Append('.').Append(method.Name).Append('(');
        var first = true;
        foreach (var parameter in method.GetParameters())
        {
            if (parameter.ParameterType == typeof(CancellationToken))
            {
                continue; // not marshalled: cancellation travels as a cancel message
            }

            if (!first)
            {
                builder.Append(',');
            }

            first = false;
            AppendType(builder, parameter.ParameterType);
        }

        builder.Append("):");
        AppendType(builder, ResultType(method.ReturnType));
        return builder.ToString();
    }

    /// <summary>A type's name as canonical texts spell it (the interface name of a reference).</summary>
    public static string TypeName(Type type)
    {
        var builder = new StringBuilder();
        AppendType(builder, type);
        return builder.ToString();
    }

    /// <summary>The id of a canonical text: SHA-256 of its UTF-8, first 8 bytes read big-endian.</summary>
    public static ulong ComputeId(string canonicalText)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonicalText), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>The id of <paramref name="method"/>.</summary>
    public static ulong ComputeId(MethodInfo method) => ComputeId(GetCanonicalText(method));

    /// <summary>The type a call's reply carries: the awaited type of a task, <see cref="void"/> for none.</summary>
    public static Type ResultType(Type returnType)
    {
        if (returnType == typeof(Task) || returnType == typeof(ValueTask))
        {
            return typeof(void);
        }

        if (returnType.IsGenericType)
        {
            var definition = returnType.GetGenericTypeDefinition();
            if (definition == typeof(Task<>) || definition == typeof(ValueTask<>))
            {
                return returnType.GetGenericArguments()[0];
            }
        }

        return returnType;
    }

    /// <summary>
    /// Appends a type as the grammar spells it: namespace, nested types joined by <c>+</c>, generic arguments in
    /// angle brackets after the whole name (no arity suffix), arrays as <c>[]</c> or <c>[,]</c>.
    /// </summary>
    private static void AppendType(StringBuilder builder, Type type)
    {
        if (type.IsByRef || type.IsPointer || type.IsFunctionPointer)
        {
            throw new NotSupportedException($"{type} is a by-ref or pointer type; remote methods cannot carry it.");
        }

        if (type.IsGenericParameter || type.ContainsGenericParameters)
        {
            throw new NotSupportedException($"{type} is an open generic type; remote methods need closed types.");
        }

        if (type.IsArray)
        {
            AppendType(builder, type.GetElementType()!);
            builder.Append('[').Append(',', type.GetArrayRank() - 1).Append(']');
            return;
        }

        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        AppendName(builder, definition);
        if (type.IsGenericType)
        {
            builder.Append('<');
            var arguments = type.GetGenericArguments();
            for (var i = 0; i < arguments.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }

                AppendType(builder, arguments[i]);
            }

            builder.Append('>');
        }
    }

    private static void AppendName(StringBuilder builder, Type definition)
    {
        if (definition.DeclaringType is { } outer)
        {
            AppendName(builder, outer.IsGenericType ? outer.GetGenericTypeDefinition() : outer);
            builder.Append('+');
        }
        else if (!string.IsNullOrEmpty(definition.Namespace))
        {
            builder.Append(definition.Namespace).Append('.');
        }

        var name = definition.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        builder.Append(tick < 0 ? name : name.AsSpan(0, tick));
    }
}
