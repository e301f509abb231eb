namespace Ocean.Marshalling;

/// <summary>
/// Reads the values of one message in the order they were written by a <see cref="MarshallingWriter"/>. Created by
/// <see cref="IMarshaller.CreateReader"/>.
/// </summary>
/// <remarks>
/// <para>The reader works on the caller's bytes without copying them when they are one contiguous segment (a
/// multi-segment message is copied once into a pooled buffer): the input must stay valid until the reader is
/// disposed. Reading raises <see cref="MarshallingException"/> and nothing else for any input (truncated, malformed,
/// another type than the one written, past the end). After a read has failed (other than by refusing a type it
/// cannot read at all, before reading), every further read throws <see cref="InvalidOperationException"/>: where the
/// next value would start is unknown. Limits (depth, objects,
/// bytes) count over the whole message. Call <see cref="Dispose()"/> when done. Not thread-safe.</para>
/// </remarks>
public abstract class MarshallingReader : IDisposable
{
    /// <summary>The bytes of the message read so far.</summary>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    public abstract long Position { get; }

    /// <summary>The bytes of the message not read yet.</summary>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    public abstract long Remaining { get; }

    /// <summary>Whether every byte of the message has been read (a protocol may refuse bytes left over).</summary>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    public bool IsAtEnd => Remaining == 0;

    /// <summary>Reads the next value.</summary>
    /// <typeparam name="T">The type it was written as.</typeparam>
    /// <returns>The value.</returns>
    /// <exception cref="MarshallingException">The bytes are malformed, truncated, hold another type, or the message has ended.</exception>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    /// <exception cref="InvalidOperationException">An earlier read from this message failed.</exception>
    public abstract T Read<T>();

    /// <summary>Reads the next value, its type given at run time (known only after the header was read); value types are boxed.</summary>
    /// <param name="type">The type it was written as.</param>
    /// <returns>The value: an instance of <paramref name="type"/>, or <see langword="null"/>.</returns>
    /// <exception cref="MarshallingException">The bytes are malformed, truncated, hold another type, or the message has ended.</exception>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    /// <exception cref="InvalidOperationException">An earlier read from this message failed.</exception>
    public object? Read(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return ReadBoxed(type);
    }

    /// <summary>Releases the pooled state and any copy of the input. Idempotent.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Makes this reader start over on <paramref name="input"/>, as if its marshaller had just created it with the same
    /// context (see <see cref="MarshallingWriter.TryReset"/>). Works on a disposed reader too.
    /// </summary>
    /// <param name="input">The new message; must stay valid until the reader is disposed or reset again.</param>
    /// <returns><see langword="false"/> if this kind of reader cannot be reused: create a new one instead.</returns>
    public virtual bool TryReset(in System.Buffers.ReadOnlySequence<byte> input) => false;

    /// <summary>Reads a value of <paramref name="type"/>, boxed.</summary>
    /// <param name="type">The type.</param>
    /// <returns>The value.</returns>
    protected abstract object? ReadBoxed(Type type);

    /// <summary>Releases the pooled state.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
