using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Transport.Internal;

namespace Ocean.Transport;

/// <summary>
/// A UDP socket: send and receive whole datagrams, unconnected (any peer) or connected (one peer), over IPv4
/// or IPv6, and join IP multicast groups.
/// </summary>
/// <remarks>
/// <para>
/// Sends are safe from several callers at once. Receives are not: one
/// <see cref="ReceiveAsync(CancellationToken)"/> at a time (a second concurrent one throws
/// <see cref="InvalidOperationException"/>), because the receive path reuses its buffers and sender address
/// to allocate nothing per datagram beyond the payload.
/// </para>
/// <para>
/// The largest datagram is 65,507 bytes over IPv4 and 65,527 over IPv6; a larger send is refused with
/// <see cref="ArgumentOutOfRangeException"/> before anything reaches the network. UDP is unreliable: the OS
/// drops datagrams that arrive while the receive buffer (<see cref="DatagramOptions.ReceiveBufferSize"/>) is full.
/// </para>
/// </remarks>
public sealed partial class DatagramSocket : IDisposable, IAsyncDisposable
{
    /// <summary>The largest UDP payload over IPv4: 65,535 − 20 (IP header) − 8 (UDP header).</summary>
    public const int MaxIPv4DatagramSize = 65_507;

    /// <summary>The largest UDP payload over IPv6 without jumbograms: 65,535 − 8 (UDP header).</summary>
    public const int MaxIPv6DatagramSize = 65_527;

    private readonly Socket _socket;
    private readonly DatagramOptions _options;
    private readonly ILogger _logger;
    private readonly SocketAddress _receiveAddress;
    private readonly IPEndPoint _endPointFactory;
    private byte[]? _receiveBuffer;
    private LastSender? _lastSender; // replaced, never changed: sends read it from any thread
    private int _receiving;
    private int _disposed;

    private DatagramSocket(Socket socket, DatagramOptions options)
    {
        _socket = socket;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger("Ocean.Transport.DatagramSocket") ?? NullLogger.Instance;
        _receiveAddress = new SocketAddress(socket.AddressFamily);
        _endPointFactory = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The bound local endpoint (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The one peer of a connected socket (<see cref="ConnectAsync(IPEndPoint, DatagramOptions?, CancellationToken)"/>), else <see langword="null"/>.</summary>
    public IPEndPoint? RemoteEndPoint { get; private set; }

    /// <summary>
    /// Binds a UDP socket to <paramref name="localEndPoint"/> (port 0 for an ephemeral port). Binding to
    /// <see cref="IPAddress.IPv6Any"/> accepts IPv4 traffic too (dual mode).
    /// </summary>
    /// <param name="localEndPoint">Where to receive.</param>
    /// <param name="options">Buffers, timeout, reuse and multicast settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The bound socket; the caller owns it.</returns>
    /// <exception cref="SocketException">The endpoint could not be bound.</exception>
    /// <exception cref="ArgumentException"><see cref="DatagramOptions.MulticastInterface"/> names no interface.</exception>
    public static DatagramSocket Bind(IPEndPoint localEndPoint, DatagramOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new DatagramOptions();
        var socket = Create(localEndPoint.AddressFamily, options);
        try
        {
            if (localEndPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(localEndPoint);
            var bound = new DatagramSocket(socket, options);
            RestrictMulticastDelivery(socket, bound._logger);
            return bound;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Creates a connected UDP socket: it sends to and receives from <paramref name="host"/>:<paramref name="port"/> only.</summary>
    /// <param name="host">A host name (the first address it resolves to is used) or an address literal.</param>
    /// <param name="port">The peer's port.</param>
    /// <param name="options">Socket settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels name resolution.</param>
    /// <returns>The connected socket; the caller owns it.</returns>
    /// <exception cref="ConnectException">The host name did not resolve.</exception>
    public static async ValueTask<DatagramSocket> ConnectAsync(string host, int port, DatagramOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (!IPAddress.TryParse(host, out var address))
        {
            try
            {
                var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
                address = addresses.Length > 0 ? addresses[0] : throw new SocketException((int)SocketError.HostNotFound);
            }
            catch (SocketException ex)
            {
                throw new ConnectException(TransportError.HostNotFound, new DnsEndPoint(host, port), ex);
            }
        }

        return await ConnectAsync(new IPEndPoint(address, port), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a connected UDP socket: it sends to and receives from <paramref name="remoteEndPoint"/> only.</summary>
    /// <param name="remoteEndPoint">The peer.</param>
    /// <param name="options">Socket settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The connected socket; the caller owns it.</returns>
    public static async ValueTask<DatagramSocket> ConnectAsync(IPEndPoint remoteEndPoint, DatagramOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        options ??= new DatagramOptions();
        var socket = Create(remoteEndPoint.AddressFamily, options);
        try
        {
            socket.Bind(new IPEndPoint(remoteEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            await socket.ConnectAsync(remoteEndPoint, cancellationToken).ConfigureAwait(false);
            return new DatagramSocket(socket, options) { RemoteEndPoint = remoteEndPoint };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The largest datagram this socket can send to <paramref name="remoteEndPoint"/>.</summary>
    /// <param name="remoteEndPoint">The destination.</param>
    /// <returns>65,507 for IPv4 destinations (mapped ones included), 65,527 for IPv6.</returns>
    public static int MaxDatagramSize(IPEndPoint remoteEndPoint)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        return remoteEndPoint.AddressFamily == AddressFamily.InterNetwork || remoteEndPoint.Address.IsIPv4MappedToIPv6
            ? MaxIPv4DatagramSize
            : MaxIPv6DatagramSize;
    }

    /// <summary>Sends one datagram to the connected peer.</summary>
    /// <param name="datagram">The payload, 0 to 65,507 bytes (IPv4) or 65,527 (IPv6).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes once the OS has taken the datagram.</returns>
    /// <exception cref="InvalidOperationException">The socket is not connected.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The datagram is larger than UDP allows.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        ValueTask<int> send;
        try
        {
            var remote = RemoteEndPoint ?? throw new InvalidOperationException("The socket is not connected: use the SendAsync overload that takes an endpoint.");
            CheckSize(datagram.Length, remote);
            send = _socket.SendAsync(datagram, SocketFlags.None, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex); // as an async method would: the caller sees it when awaiting
        }

        if (!send.IsCompletedSuccessfully)
        {
            return AwaitSendAsync(send, datagram.Length);
        }

        send.GetAwaiter().GetResult();
        CountSent(datagram.Length);
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends one datagram to <paramref name="remoteEndPoint"/>.</summary>
    /// <param name="datagram">The payload, 0 to 65,507 bytes (IPv4) or 65,527 (IPv6).</param>
    /// <param name="remoteEndPoint">The destination, unicast or a multicast group.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes once the OS has taken the datagram.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The datagram is larger than UDP allows.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ValueTask<int> send;
        try
        {
            ArgumentNullException.ThrowIfNull(remoteEndPoint);
            CheckSize(datagram.Length, remoteEndPoint);

            // A reply to the last sender (the endpoint object a receive returned) goes to the address it came from,
            // already in socket form: no conversion of the endpoint per datagram.
            send = _lastSender is { } last && last.Is(remoteEndPoint)
                ? _socket.SendToAsync(datagram, SocketFlags.None, last.Address, cancellationToken)
                : _socket.SendToAsync(datagram, SocketFlags.None, remoteEndPoint, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex); // as an async method would: the caller sees it when awaiting
        }

        if (!send.IsCompletedSuccessfully)
        {
            return AwaitSendAsync(send, datagram.Length);
        }

        send.GetAwaiter().GetResult(); // the OS took it at once, as a UDP send usually does: no state machine
        CountSent(datagram.Length);
        return ValueTask.CompletedTask;
    }

    /// <summary>Receives the next datagram into pooled memory.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The datagram; dispose it to return its buffer to the pool.</returns>
    /// <exception cref="TimeoutException">Nothing arrived within <see cref="DatagramOptions.ReceiveTimeout"/>.</exception>
    /// <exception cref="InvalidOperationException">Another receive is in progress.</exception>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Datagram> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var buffer = _receiveBuffer ??= GC.AllocateUninitializedArray<byte>(MaxIPv6DatagramSize, pinned: true);
        var result = await ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
        byte[] payload;
        if (result.Length == 0)
        {
            payload = [];
        }
        else
        {
            payload = ArrayPool<byte>.Shared.Rent(result.Length);
            buffer.AsSpan(0, result.Length).CopyTo(payload);
        }

        return new Datagram(payload, result.Length, result.RemoteEndPoint);
    }

    /// <summary>Receives the next datagram into the caller's buffer, with no copy.</summary>
    /// <param name="buffer">Where to put it: at least <see cref="MaxIPv6DatagramSize"/> bytes, so no datagram is truncated.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The datagram's length and sender.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is too small to hold every datagram.</exception>
    /// <exception cref="TimeoutException">Nothing arrived within <see cref="DatagramOptions.ReceiveTimeout"/>.</exception>
    /// <exception cref="InvalidOperationException">Another receive is in progress.</exception>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length < MaxIPv6DatagramSize)
        {
            throw new ArgumentException($"The receive buffer must hold the largest datagram ({MaxIPv6DatagramSize} bytes); a smaller one would truncate.", nameof(buffer));
        }

        if (Interlocked.Exchange(ref _receiving, 1) != 0)
        {
            throw new InvalidOperationException("Another receive is already in progress on this socket.");
        }

        try
        {
            int length;
            if (_options.ReceiveTimeout == Timeout.InfiniteTimeSpan)
            {
                length = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _receiveAddress, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                length = await ReceiveWithTimeoutAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            CountReceived(length);
            return new DatagramReceiveResult(length, Sender());
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <summary>Closes the socket; pending receives fail.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    /// <summary>Closes the socket; pending receives fail.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The underlying socket, for tests that check socket options.</summary>
    internal Socket Socket => _socket;

    private async ValueTask<int> ReceiveWithTimeoutAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ReceiveTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            return await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _receiveAddress, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No datagram arrived within {_options.ReceiveTimeout}.", ex);
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitSendAsync(ValueTask<int> send, int length)
    {
        await send.ConfigureAwait(false);
        CountSent(length);
    }

    /// <summary>The sender of the datagram just received; the same object as last time when the sender is the same.</summary>
    private IPEndPoint Sender()
    {
        // Unless the caller changed the endpoint handed out last time: it would no longer name this sender.
        if (_lastSender is { } last && last.Address.Equals(_receiveAddress) && last.Is(last.EndPoint))
        {
            return last.EndPoint;
        }

        // A new pair rather than an update of the old one: a send to the previous sender may be reading its address now.
        var address = new SocketAddress(_receiveAddress.Family, _receiveAddress.Size);
        _receiveAddress.Buffer.Span[.._receiveAddress.Size].CopyTo(address.Buffer.Span);
        var endPoint = (IPEndPoint)_endPointFactory.Create(_receiveAddress);
        var sender = new LastSender(endPoint, endPoint.Address, endPoint.Port, address);
        _lastSender = sender;
        return sender.EndPoint;
    }

    /// <summary>A sender's endpoint as handed out, what it held then, and its address in socket form; never changed once made.</summary>
    private sealed record LastSender(IPEndPoint EndPoint, IPAddress IPAddress, int Port, SocketAddress Address)
    {
        /// <summary>The endpoint handed out, unchanged since (an <see cref="IPEndPoint"/> can be changed): its address is <see cref="Address"/>.</summary>
        public bool Is(IPEndPoint endPoint) => ReferenceEquals(endPoint, EndPoint) && ReferenceEquals(endPoint.Address, IPAddress) && endPoint.Port == Port;
    }

    private static void CheckSize(int length, IPEndPoint remoteEndPoint)
    {
        var max = MaxDatagramSize(remoteEndPoint);
        if (length > max)
        {
            ThrowTooLarge(length, max, remoteEndPoint);
        }
    }

    [DoesNotReturn]
    [SuppressMessage("Usage", "CA2208", Justification = "Names the public methods' parameter, which is what callers see.")]
    private static void ThrowTooLarge(int length, int max, IPEndPoint remoteEndPoint) =>
        throw new ArgumentOutOfRangeException("datagram", length, $"A datagram of {length} bytes is larger than UDP allows to {remoteEndPoint} ({max} bytes).");

    private static void CountSent(int length)
    {
        TransportMetrics.DatagramsSent.Add(1);
        TransportMetrics.BytesSent.Add(length);
    }

    private static void CountReceived(int length)
    {
        TransportMetrics.DatagramsReceived.Add(1);
        TransportMetrics.BytesReceived.Add(length);
    }

    private static Socket Create(AddressFamily family, DatagramOptions options)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (options.ReuseAddress)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            if (options.ReceiveBufferSize is { } receiveBufferSize)
            {
                socket.ReceiveBufferSize = receiveBufferSize;
            }

            if (options.SendBufferSize is { } sendBufferSize)
            {
                socket.SendBufferSize = sendBufferSize;
            }

            ConfigureMulticast(socket, options);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
