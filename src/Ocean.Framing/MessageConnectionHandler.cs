namespace Ocean.Framing;

/// <summary>
/// The application's code for one message connection accepted by a <see cref="MessageServer"/>: a TCP (or TLS,
/// or Unix socket) connection with a codec, or one UDP peer. When it returns the connection is closed.
/// </summary>
/// <param name="connection">The connection; the server owns it.</param>
/// <param name="stopping">Fires when the server starts a graceful shutdown.</param>
/// <returns>A task that completes when the handler is done.</returns>
/// <remarks>An exception escaping the handler is logged and closes only that connection.</remarks>
public delegate ValueTask MessageConnectionHandler(MessageConnection connection, CancellationToken stopping);
