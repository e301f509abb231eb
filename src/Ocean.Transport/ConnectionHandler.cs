namespace Ocean.Transport;

/// <summary>
/// The application's code for one accepted connection. <see cref="SocketServer"/> runs it in a task of
/// its own; when it returns the server closes the connection gracefully.
/// </summary>
/// <param name="connection">The accepted connection; the server owns it, so the handler need not dispose it.</param>
/// <param name="stopping">Fires when the server starts a graceful shutdown: finish up and return.</param>
/// <returns>A task that completes when the handler is done with the connection.</returns>
/// <remarks>An exception escaping the handler is logged and aborts only that connection.</remarks>
public delegate ValueTask ConnectionHandler(Connection connection, CancellationToken stopping);
