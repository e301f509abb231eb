namespace Ocean.Marshalling;

/// <summary>
/// Per-message state for a <see cref="IMarshallingSurrogateProvider"/>: what a layer above knows about the message
/// being written or read (such as the connection it arrived on), handed to
/// <see cref="IMarshallingSurrogateProvider.Replace"/> and <see cref="IMarshallingSurrogateProvider.Resolve"/>.
/// </summary>
/// <remarks>
/// Marshalling never looks inside; it passes the instance given to <see cref="IMarshaller.CreateWriter"/> or
/// <see cref="IMarshaller.CreateReader"/> on to the provider. Derive from it for typed state, or use <see cref="State"/>.
/// </remarks>
public class MarshallingContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="state">Whatever the provider needs for this message; may be <see langword="null"/>.</param>
    public MarshallingContext(object? state = null)
    {
        State = state;
    }

    /// <summary>The state given to the constructor.</summary>
    public object? State { get; }
}
