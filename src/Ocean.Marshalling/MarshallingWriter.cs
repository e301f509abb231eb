using Ocean.Marshalling.Internal;

namespace Ocean.Marshalling;

/// <summary>
/// Writes several values, one after another, as one marshalling stream into one message: a header, then the
/// arguments of a call. Created by <see cref="IMarshaller.CreateWriter"/>.
/// </summary>
/// <remarks>
/// <para>The values share one stream: CDR aligns every value from the message's first byte (as the arguments of a
/// GIOP 1.2 request body are), and the object-graph marshaller keeps one handle table, so an object written twice
/// (or a cycle across values) is read back as one instance. A reader must read the same types in the same order.</para>
/// <para>Each <c>Write</c> hands its bytes to the output before it returns: nothing needs flushing. Call
/// <see cref="Dispose()"/> when the message is written, to return the pooled state. After a write throws, the
/// message is incomplete (the bytes of earlier values stay in the output): discard it; the writer refuses
/// further writes. Not thread-safe: one writer per message.</para>
/// </remarks>
public abstract class MarshallingWriter : IDisposable
{
    /// <summary>The bytes written into the output so far.</summary>
    public abstract long Position { get; }

    /// <summary>Writes the next value.</summary>
    /// <typeparam name="T">The declared type (the reader reads the same).</typeparam>
    /// <param name="value">The value.</param>
    /// <exception cref="MarshallingException">The type is not supported or the value cannot be represented.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    /// <exception cref="InvalidOperationException">An earlier write failed.</exception>
    public abstract void Write<T>(T value);

    /// <summary>Writes the next value, its type given at run time (a dispatcher's argument array); value types are boxed.</summary>
    /// <param name="type">The declared type (the reader reads the same).</param>
    /// <param name="value">The value: an instance of <paramref name="type"/>, or <see langword="null"/> for a reference or nullable type.</param>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> is null, or <paramref name="value"/> is null and <paramref name="type"/> a non-nullable value type.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not an instance of <paramref name="type"/>.</exception>
    /// <exception cref="MarshallingException">The type is not supported or the value cannot be represented.</exception>
    public void Write(Type type, object? value)
    {
        BoxedValue.Check(type, value);
        WriteBoxed(type, value);
    }

    /// <summary>Releases the pooled state. Idempotent.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Makes this writer start a new, independent stream into <paramref name="output"/>, as if its marshaller had just
    /// created it with the same context: for callers that write many small messages (a remote call's arguments) and
    /// would rather keep one writer than allocate one per message. Works on a disposed writer too.
    /// </summary>
    /// <param name="output">Where the new stream goes.</param>
    /// <returns><see langword="false"/> if this kind of writer cannot be reused: create a new one instead.</returns>
    public virtual bool TryReset(System.Buffers.IBufferWriter<byte> output) => false;

    /// <summary>Writes a value already checked to be an instance of <paramref name="type"/> (or null where allowed).</summary>
    /// <param name="type">The declared type.</param>
    /// <param name="value">The value.</param>
    protected abstract void WriteBoxed(Type type, object? value);

    /// <summary>Releases the pooled state.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
