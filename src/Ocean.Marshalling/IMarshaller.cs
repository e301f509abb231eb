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
}
