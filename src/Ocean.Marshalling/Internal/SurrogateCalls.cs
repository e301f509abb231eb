using System.Runtime.CompilerServices;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Calls a surrogate provider for both marshallers, so its failures surface the same way: an exception it throws
/// (other than a <see cref="MarshallingException"/>, which keeps its kind) or a value of the wrong type is
/// <see cref="MarshallingError.SurrogateFailed"/>, never a complaint about the bytes.
/// </summary>
internal static class SurrogateCalls
{
    /// <summary>
    /// The surrogate <paramref name="provider"/> names for <paramref name="type"/>, or null; refuses a surrogate that is
    /// the type itself or is substituted in turn (a chain the codecs could not end).
    /// </summary>
    public static Type? SurrogateTypeOf(IMarshallingSurrogateProvider provider, Type type, Func<Type, bool> isBuiltIn)
    {
        var surrogate = provider.GetSurrogateType(type);
        if (surrogate is not null && (surrogate == type || (!isBuiltIn(surrogate) && provider.GetSurrogateType(surrogate) is not null)))
        {
            throw new MarshallingException(MarshallingError.UnsupportedType, $"The surrogate of {type.Name} is {surrogate.Name}, which is substituted itself.");
        }

        return surrogate;
    }

    public static TSurrogate Replace<TDeclared, TSurrogate>(IMarshallingSurrogateProvider provider, TDeclared value, MarshallingContext? context)
    {
        object? surrogate;
        try
        {
            surrogate = provider.Replace(value, typeof(TDeclared), context);
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw Failed(nameof(IMarshallingSurrogateProvider.Replace), typeof(TDeclared), ex);
        }

        return Cast<TSurrogate>(surrogate, nameof(IMarshallingSurrogateProvider.Replace), typeof(TDeclared));
    }

    public static TDeclared Resolve<TDeclared, TSurrogate>(IMarshallingSurrogateProvider provider, TSurrogate surrogate, MarshallingContext? context)
    {
        object? value;
        try
        {
            value = provider.Resolve(surrogate, typeof(TDeclared), context);
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw Failed(nameof(IMarshallingSurrogateProvider.Resolve), typeof(TDeclared), ex);
        }

        return Cast<TDeclared>(value, nameof(IMarshallingSurrogateProvider.Resolve), typeof(TDeclared));
    }

    private static T Cast<T>(object? value, string call, Type declared)
    {
        if (value is T typed)
        {
            return typed;
        }

        if (value is null && default(T) is null)
        {
            return default!;
        }

        throw new MarshallingException(
            MarshallingError.SurrogateFailed,
            $"The surrogate provider's {call} for {declared.Name} returned {(value is null ? "null" : value.GetType().Name)}, not a {typeof(T).Name}.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MarshallingException Failed(string call, Type declared, Exception ex) =>
        new(MarshallingError.SurrogateFailed, $"The surrogate provider's {call} for {declared.Name} threw: {ex.Message}", ex);
}
