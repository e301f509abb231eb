using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Framing.Internal;
using Ocean.Transport;

namespace Ocean.Framing;

/// <summary>
/// Serves message connections: over a stream server with a codec (TCP, TLS, Unix sockets), or over one UDP
/// socket where each remote peer gets a message connection of its own. Either way the application's
/// <see cref="MessageConnectionHandler"/> runs once per connection, in its own task.
/// </summary>
public sealed class MessageServer : IAsyncDisposable
{
    private readonly SocketServer? _streamServer;
    private readonly DatagramMessageListener? _datagramListener;

    private MessageServer(SocketServer streamServer) => _streamServer = streamServer;

    private MessageServer(DatagramMessageListener datagramListener) => _datagramListener = datagramListener;

    /// <summary>What a stream server's connections have reserved beyond their read buffers (for tests).</summary>
    internal ByteBudget? StreamBufferBudget { get; private init; }

    /// <summary>The UDP side of a datagram server (for tests).</summary>
    internal DatagramMessageListener? DatagramListener => _datagramListener;

    /// <summary>The bound endpoint (the real port when 0 was asked for); valid after <see cref="StartAsync"/>.</summary>
    public EndPoint EndPoint => _streamServer?.EndPoint ?? _datagramListener!.EndPoint;

    /// <summary>A server of stream connections framed by <paramref name="codec"/>.</summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> or <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>; port 0 for an ephemeral port.</param>
    /// <param name="codec">How messages are delimited.</param>
    /// <param name="handler">Runs once per connection. When it returns the connection is closed (what it sent still goes out); a send after that raises <see cref="ConnectionAbortedException"/>.</param>
    /// <param name="options">Message timeouts, <see cref="MessageServerOptions.MaxBufferedBytes"/> and <see cref="MessageServerOptions.Stream"/> settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The server, not yet started.</returns>
    public static MessageServer ForStream(EndPoint endPoint, FrameCodec codec, MessageConnectionHandler handler, MessageServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new MessageServerOptions();
        var logger = options.LoggerFactory?.CreateLogger("Ocean.Framing.MessageServer") ?? NullLogger.Instance;
        var budget = new ByteBudget(options.MaxBufferedBytes);
        long allowance = options.Stream.MaxReadBufferSize;
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
            options.Stream);
        return new MessageServer(server) { StreamBufferBudget = budget };
    }

    /// <summary>A UDP server: each remote peer's datagrams become the messages of its own message connection.</summary>
    /// <param name="endPoint">Where to receive; port 0 for an ephemeral port, <see cref="IPAddress.IPv6Any"/> for dual mode.</param>
    /// <param name="handler">Runs once per peer, from its first datagram until its connection ends (idle expiry, or the handler returns).</param>
    /// <param name="options">Peer limits, <see cref="MessageServerOptions.MaxQueuedDatagramBytes"/> and <see cref="MessageServerOptions.Datagram"/> settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The server, not yet started.</returns>
    public static MessageServer ForDatagrams(IPEndPoint endPoint, MessageConnectionHandler handler, MessageServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        return new MessageServer(new DatagramMessageListener(endPoint, handler, options ?? new MessageServerOptions()));
    }

    /// <summary>Binds and starts serving.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the server accepts traffic.</returns>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        _streamServer?.StartAsync(cancellationToken) ?? _datagramListener!.StartAsync(cancellationToken);

    /// <summary>Stops serving: no new connections, handlers told to stop, then aborted after the shutdown deadline.</summary>
    /// <param name="cancellationToken">Cuts the wait for handlers short.</param>
    /// <returns>A task that completes once stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        _streamServer?.StopAsync(cancellationToken) ?? _datagramListener!.StopAsync(cancellationToken);

    /// <summary>Stops the server.</summary>
    /// <returns>A task that completes once stopped and released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_streamServer is not null)
        {
            await _streamServer.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            await _datagramListener!.DisposeAsync().ConfigureAwait(false);
        }
    }
}
