using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Framing.Internal;
using Ocean.Transport;
using ServerCore = Ocean.Transport.Internal.ServerCore;

namespace Ocean.Framing;

/// <summary>
/// Serves message connections: over a stream server with a codec (TCP, TLS, Unix sockets), or over one UDP
/// socket where each remote peer gets a message connection of its own. Either way the application's
/// <see cref="MessageConnectionHandler"/> runs once per connection, in its own task.
/// </summary>
/// <remarks>
/// Both kinds run on the same server core as Ocean.Transport's <see cref="SocketServer"/>: a handler task per
/// connection, idle expiry, and a stop that signals the handlers, waits up to
/// <see cref="MessageServerOptions.ShutdownTimeout"/> and then aborts the connections still open.
/// </remarks>
public sealed class MessageServer : IAsyncDisposable
{
    private readonly ServerCore _core;

    private MessageServer(ServerCore core) => _core = core;

    /// <summary>What a stream server's connections have reserved beyond their read buffers (for tests).</summary>
    internal ByteBudget? StreamBufferBudget { get; private init; }

    /// <summary>The UDP side of a datagram server (for tests).</summary>
    internal DatagramMessageListener? DatagramListener { get; private init; }

    /// <summary>The bound endpoint (the real port when 0 was asked for); valid after <see cref="StartAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">The server has not been started.</exception>
    public EndPoint EndPoint => _core.EndPoint ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>A server of stream connections framed by <paramref name="codec"/>.</summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> or <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>; port 0 for an ephemeral port.</param>
    /// <param name="codec">How messages are delimited.</param>
    /// <param name="handler">Runs once per connection. When it returns the connection is closed (what it sent still goes out); a send after that raises <see cref="ConnectionAbortedException"/>.</param>
    /// <param name="options">Message timeouts, logging and clock, <see cref="MessageServerOptions.MaxBufferedBytes"/> and <see cref="MessageServerOptions.Stream"/> settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The server, not yet started.</returns>
    /// <exception cref="ArgumentException"><see cref="MessageServerOptions.Stream"/> sets its own logger factory, clock or shutdown timeout (set them on <paramref name="options"/>).</exception>
    public static MessageServer ForStream(EndPoint endPoint, FrameCodec codec, MessageConnectionHandler handler, MessageServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(handler);
        options = options?.Snapshot() ?? new MessageServerOptions(); // a running server's settings do not change under it
        var streamOptions = options.StreamServerOptions();
        var logger = options.LoggerFactory?.CreateLogger("Ocean.Framing.MessageServer") ?? NullLogger.Instance;
        var budget = new ByteBudget(options.MaxBufferedBytes);
        long allowance = streamOptions.MaxReadBufferSize;
        var server = new SocketServer(
            endPoint,
            async (connection, stopping) =>
            {
                var messages = new StreamMessageConnection(connection, codec, options, budget, allowance);
                try
                {
                    await handler(messages, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (ReferenceEquals(ex, messages.Failure))
                {
                    // Bad input from that peer: already logged, counted and its connection closed.
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    // Anything else is the handler's own failure, a FramingException from a send included.
                    Log.HandlerFailed(logger, messages.Id, connection.RemoteEndPoint, ex);
                    messages.Abort(ex);
                }
                finally
                {
                    // Closed through the framing layer: later sends raise ConnectionAbortedException, and none can
                    // be writing into the pipe when the transport completes it.
                    await messages.DisposeAsync().ConfigureAwait(false);
                }
            },
            streamOptions);
        return new MessageServer(server.Core) { StreamBufferBudget = budget };
    }

    /// <summary>A UDP server: each remote peer's datagrams become the messages of its own message connection.</summary>
    /// <param name="endPoint">Where to receive; port 0 for an ephemeral port, <see cref="IPAddress.IPv6Any"/> for dual mode.</param>
    /// <param name="handler">Runs once per peer, from its first datagram until its connection ends (idle expiry after <see cref="MessageConnectionOptions.IdleTimeout"/>, or the handler returns).</param>
    /// <param name="options">Peer limits, logging and clock, <see cref="MessageServerOptions.MaxQueuedDatagramBytes"/> and <see cref="MessageServerOptions.Datagram"/> settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The server, not yet started.</returns>
    /// <exception cref="ArgumentException"><see cref="MessageServerOptions.Datagram"/> sets its own logger factory or clock (set them on <paramref name="options"/>).</exception>
    public static MessageServer ForDatagrams(IPEndPoint endPoint, MessageConnectionHandler handler, MessageServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        options = options?.Snapshot() ?? new MessageServerOptions(); // a running server's settings do not change under it
        options.DatagramSocketOptions(); // refuses a logger or clock of its own now, not at the start
        var listener = new DatagramMessageListener(endPoint, handler, options);

        // No connection limit in the core: MaxPeers is enforced where datagrams are dispatched, before one is copied.
        var core = new Ocean.Transport.Internal.ServerCore<PeerMessageConnection>(
            listener,
            listener.RunPeerAsync,
            int.MaxValue,
            options.IdleTimeoutOr(MessageConnectionOptions.DefaultPeerIdleTimeout),
            options.ShutdownTimeout,
            options.TimeProvider,
            listener.Logger);
        return new MessageServer(core) { DatagramListener = listener };
    }

    /// <summary>Binds and starts serving.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the server accepts traffic.</returns>
    /// <exception cref="InvalidOperationException">The server was already started, or stopped.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default) => _core.StartAsync(cancellationToken);

    /// <summary>Stops serving: no new connections, handlers told to stop, then aborted after <see cref="MessageServerOptions.ShutdownTimeout"/>.</summary>
    /// <param name="cancellationToken">Cuts the wait for handlers short.</param>
    /// <returns>A task that completes once stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => _core.StopAsync(cancellationToken);

    /// <summary>Stops the server.</summary>
    /// <returns>A task that completes once stopped and released.</returns>
    public ValueTask DisposeAsync() => _core.DisposeAsync();
}
