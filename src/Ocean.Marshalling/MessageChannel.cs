using System.Runtime.CompilerServices;
using Ocean.Framing;

namespace Ocean.Marshalling;

/// <summary>
/// A typed channel over a message connection: each message carries one <typeparamref name="T"/>, written and
/// read by a marshaller. Works over any transport Framing supports (TCP, TLS, Unix sockets, UDP).
/// </summary>
/// <typeparam name="T">What the channel carries.</typeparam>
/// <remarks>
/// Sending is safe for concurrent callers (the connection keeps messages whole); receiving is one reader at a
/// time. A message whose bytes do not unmarshal raises <see cref="MarshallingException"/> for that message
/// only: the connection stays open, and the caller decides whether to go on.
/// </remarks>
public sealed class MessageChannel<T> : IAsyncDisposable
{
    private readonly MessageConnection _connection;
    private readonly IMarshaller _marshaller;

    /// <summary>Creates a channel.</summary>
    /// <param name="connection">The message connection; the channel takes ownership of it.</param>
    /// <param name="marshaller">How values become bytes.</param>
    /// <exception cref="MarshallingException">The marshaller cannot carry <typeparamref name="T"/> (checked now, not at the first message).</exception>
    public MessageChannel(MessageConnection connection, IMarshaller marshaller)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(marshaller);
        if (!marshaller.CanMarshal(typeof(T), out var reason))
        {
            throw new MarshallingException(MarshallingError.UnsupportedType, $"The {marshaller.Name} marshaller cannot carry {typeof(T)}: {reason}");
        }

        _connection = connection;
        _marshaller = marshaller;
    }

    /// <summary>The message connection underneath.</summary>
    public MessageConnection Connection => _connection;

    /// <summary>Sends one value as one message.</summary>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels before the message is written.</param>
    /// <returns>A task that completes once the message has been handed to the transport.</returns>
    /// <exception cref="MarshallingException">The value cannot be represented; nothing is sent.</exception>
    public ValueTask SendAsync(T value, CancellationToken cancellationToken = default) =>
        _connection.SendAsync((Marshaller: _marshaller, Value: value), static (state, output) => state.Marshaller.Marshal(state.Value, output), cancellationToken);

    /// <summary>Receives the next value.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="MarshallingException">The message does not hold a valid <typeparamref name="T"/>.</exception>
    public async ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var result = await _connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new EndOfStreamException("The peer closed the channel.");
        }

        return _marshaller.Unmarshal<T>(result.Message);
    }

    /// <summary>Receives values until the peer closes the connection.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The values, in order.</returns>
    public async IAsyncEnumerable<T> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                yield break;
            }

            yield return _marshaller.Unmarshal<T>(result.Message);
        }
    }

    /// <summary>Closes the connection.</summary>
    /// <returns>A task that completes once closed.</returns>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
