using System.Buffers;

namespace Ocean.Marshalling;

/// <summary>
/// Turns values into bytes and back (an external data representation). Every serializer in Ocean
/// implements it, and layers above (typed channels, remoting) are written against it.
/// </summary>
/// <remarks>Implementations are thread-safe: per-type code is built once and shared.</remarks>
public interface IMarshaller
{
    /// <summary>A short name for logs and diagnostics, such as <c>cdr</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Whether values of <paramref name="type"/> can be carried, decided up front (so a remote interface that
    /// uses an unsupported type is refused when its proxy is created, not at the first call).
    /// </summary>
    /// <param name="type">The type.</param>
    /// <param name="reason">Why not, when the answer is <see langword="false"/>.</param>
    /// <returns><see langword="true"/> when the type is supported.</returns>
    bool CanMarshal(Type type, out string? reason);

    /// <summary>Writes <paramref name="value"/> into <paramref name="output"/>.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="output">Where the bytes go.</param>
    /// <exception cref="MarshallingException">The type is not supported or the value cannot be represented.</exception>
    void Marshal<T>(T value, IBufferWriter<byte> output);

    /// <summary>Reads one value of type <typeparamref name="T"/> from <paramref name="input"/>.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="input">The bytes; all of them must belong to the value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="MarshallingException">The bytes are malformed, truncated, or have bytes left over; never another exception.</exception>
    T Unmarshal<T>(in ReadOnlySequence<byte> input);

    /// <summary>Writes <paramref name="value"/>, its type given at run time; value types are boxed. The bytes are those of <see cref="Marshal{T}"/>.</summary>
    /// <param name="type">The declared type.</param>
    /// <param name="value">The value: an instance of <paramref name="type"/>, or <see langword="null"/> for a reference or nullable type.</param>
    /// <param name="output">Where the bytes go.</param>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> or <paramref name="output"/> is null, or <paramref name="value"/> is null and <paramref name="type"/> a non-nullable value type.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not an instance of <paramref name="type"/>.</exception>
    /// <exception cref="MarshallingException">The type is not supported or the value cannot be represented.</exception>
    void Marshal(Type type, object? value, IBufferWriter<byte> output);

    /// <summary>Reads one value of <paramref name="type"/>, boxed, as <see cref="Unmarshal{T}"/> does.</summary>
    /// <param name="type">The declared type.</param>
    /// <param name="input">The bytes; all of them must belong to the value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="MarshallingException">The bytes are malformed, truncated, or have bytes left over; never another exception.</exception>
    object? Unmarshal(Type type, in ReadOnlySequence<byte> input);

    /// <summary>Starts a message of several values (a header, then arguments) written into <paramref name="output"/> as one stream.</summary>
    /// <param name="output">Where the bytes go; each value reaches it when its <c>Write</c> returns.</param>
    /// <param name="context">Per-message state for the <see cref="IMarshallingSurrogateProvider"/>, if any.</param>
    /// <returns>A writer; dispose it when the message is written.</returns>
    MarshallingWriter CreateWriter(IBufferWriter<byte> output, MarshallingContext? context = null);

    /// <summary>Starts reading a message written by a <see cref="MarshallingWriter"/> of the same kind of marshaller.</summary>
    /// <param name="input">The message; must stay valid until the reader is disposed.</param>
    /// <param name="context">Per-message state for the <see cref="IMarshallingSurrogateProvider"/>, if any.</param>
    /// <returns>A reader; dispose it when done.</returns>
    /// <exception cref="MarshallingException">The message does not start as a stream of this marshaller does.</exception>
    MarshallingReader CreateReader(in ReadOnlySequence<byte> input, MarshallingContext? context = null);

    /// <summary>The surrogate provider this marshaller consults, if any.</summary>
    IMarshallingSurrogateProvider? SurrogateProvider => null;

    /// <summary>
    /// A marshaller like this one (same format, byte order and limits) that consults <paramref name="provider"/>
    /// instead: how a layer above installs its own substitutions (remoting's references) over a marshaller a user
    /// configured. The bytes of values no provider substitutes are the same as this marshaller's.
    /// </summary>
    /// <param name="provider">The provider; <see langword="null"/> for none.</param>
    /// <returns>The new marshaller, or <see langword="null"/> if this kind of marshaller takes no provider.</returns>
    IMarshaller? WithSurrogateProvider(IMarshallingSurrogateProvider? provider) => null;
}
