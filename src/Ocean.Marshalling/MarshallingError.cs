namespace Ocean.Marshalling;

/// <summary>What went wrong when a value was marshalled or unmarshalled; carried by <see cref="MarshallingException.Error"/>.</summary>
public enum MarshallingError
{
    /// <summary>
    /// No kind was named: the exception was created through a constructor without one. Ocean itself always
    /// names one of the other kinds.
    /// </summary>
    Unspecified,

    /// <summary>
    /// The input ended before the value did: fewer bytes than a primitive needs, or a length or count that
    /// claims more than the remaining bytes can hold.
    /// </summary>
    Truncated,

    /// <summary>
    /// The bytes break the format's rules: a CDR boolean or graph presence byte other than 0 or 1, a union
    /// discriminator or enum ordinal that selects nothing, a string without its NUL or not valid UTF-8, an
    /// unknown tag or type code, an over-long varint, a missing magic, a reference to a handle not yet read,
    /// a duplicate dictionary key. Also raised when reading fails in a way the format does not name (an
    /// exception from a constructor the bytes reach is wrapped as this kind).
    /// </summary>
    Malformed,

    /// <summary>A whole value was read and bytes are left over after it.</summary>
    TrailingBytes,

    /// <summary>
    /// A configured limit would be passed: nesting depth (or the stack itself), object count, stream bytes,
    /// collection length, string length, the reader's memory budget or its dictionary key comparisons. The
    /// message names the limit and the option that sets it.
    /// </summary>
    LimitExceeded,

    /// <summary>
    /// The type cannot be marshalled by this marshaller at all (whatever the value): it has no CDR mapping,
    /// the graph marshaller refuses its shape, it is abstract, or it derives from a collection type. Also raised
    /// when building a type's code fails before any byte is read or written (the cause is the inner exception):
    /// IL emission on a runtime without dynamic code, or the surrogate provider's GetSurrogateType throwing.
    /// </summary>
    UnsupportedType,

    /// <summary>
    /// The graph marshaller met a type that is not in its <see cref="GraphTypeRegistry"/>: a value of an
    /// unregistered type on the way out, or a stream naming a type this side has not registered.
    /// </summary>
    UnregisteredType,

    /// <summary>
    /// The bytes are well formed but carry something other than what the reader expects: another type than
    /// the one declared, a member whose wire type has no conversion to the local member (schema skew the
    /// reader cannot bridge), or an object-graph format version this reader does not know.
    /// </summary>
    Incompatible,

    /// <summary>
    /// The type is supported but this value has no representation: null where CDR has none, a character
    /// outside ISO-8859-1 in a CDR char or string, an enum value that is not declared, a fixed-length array
    /// of the wrong length, an unpaired surrogate, a reference cycle through a constructor parameter.
    /// </summary>
    UnrepresentableValue,

    /// <summary>
    /// The <see cref="IMarshallingSurrogateProvider"/> threw from <see cref="IMarshallingSurrogateProvider.Replace"/>
    /// or <see cref="IMarshallingSurrogateProvider.Resolve"/> (its exception is the inner exception), or returned a
    /// value of the wrong type. The bytes may well be fine. A <see cref="MarshallingException"/> the provider throws
    /// itself keeps its own kind.
    /// </summary>
    SurrogateFailed,
}
