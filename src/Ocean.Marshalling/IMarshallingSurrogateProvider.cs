namespace Ocean.Marshalling;

/// <summary>
/// Substitutes values of chosen declared types on the way out and back in (Java's <c>replaceObject</c> and
/// <c>resolveObject</c>): a layer above can send an object as a reference and turn the reference into a proxy
/// bound to the connection it arrived on. Set it on <see cref="CdrMarshallerOptions.SurrogateProvider"/> or
/// <see cref="GraphMarshallerOptions.SurrogateProvider"/>.
/// </summary>
/// <remarks>
/// <para>Which types are substituted is decided once per declared type, when the marshaller builds that type's code
/// (<see cref="GetSurrogateType"/>); the answer must not change. The marshaller then carries a value of the declared
/// type as its surrogate wherever the type is declared: a top-level value or argument, a member of a struct or class, an
/// element of an array or list. The wire shows only the surrogate. Built-in types are never asked about: primitives,
/// strings, enums, arrays, lists, and for the graph marshaller dictionaries and nullables (their element types are).</para>
/// <para>Substitution goes by the declared type only: a value sitting where a type that is not substituted is
/// declared is not replaced, whatever its runtime type.</para>
/// <para><see cref="Replace"/> and <see cref="Resolve"/> run with the <see cref="MarshallingContext"/> of the writer
/// or reader (<see langword="null"/> for the single-value <see cref="IMarshaller.Marshal{T}"/> and
/// <see cref="IMarshaller.Unmarshal{T}"/>). The graph marshaller calls them once per object per message (the same
/// object written twice is replaced once; the same surrogate read twice is resolved once, so it arrives as one
/// value); CDR, which has no references, once per occurrence. They are called from any thread that marshals; they
/// must be thread-safe. An exception either throws, or a value of the wrong type, surfaces as a
/// <see cref="MarshallingException"/> with <see cref="MarshallingError.SurrogateFailed"/> (the exception inside); a
/// <see cref="MarshallingException"/> thrown by the provider keeps its kind.</para>
/// </remarks>
public interface IMarshallingSurrogateProvider
{
    /// <summary>The type that travels in place of <paramref name="declaredType"/>, or <see langword="null"/> to carry it as it is.</summary>
    /// <param name="declaredType">A declared type (a class, struct, record or interface).</param>
    /// <returns>
    /// The surrogate type (which the marshaller must support on its own, and which is not substituted itself), or
    /// <see langword="null"/>.
    /// </returns>
    /// <remarks>
    /// An exception thrown here stops the type's code from being built: the marshaller reports it as
    /// <see cref="MarshallingError.UnsupportedType"/> with the exception inside, before any byte is read or written.
    /// </remarks>
    Type? GetSurrogateType(Type declaredType);

    /// <summary>Replaces a value of a substituted type by its surrogate, on the way out.</summary>
    /// <param name="value">The value (possibly <see langword="null"/>).</param>
    /// <param name="declaredType">Where it is declared.</param>
    /// <param name="context">The writer's context, or <see langword="null"/>.</param>
    /// <returns>An instance of the surrogate type (<see langword="null"/> only when the surrogate type can carry null).</returns>
    object? Replace(object? value, Type declaredType, MarshallingContext? context);

    /// <summary>Turns a surrogate back into a value of the declared type, on the way in.</summary>
    /// <param name="surrogate">The surrogate read.</param>
    /// <param name="declaredType">Where it is declared.</param>
    /// <param name="context">The reader's context, or <see langword="null"/>.</param>
    /// <returns>A value assignable to <paramref name="declaredType"/>.</returns>
    object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context);
}
