using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Internal;
using Ocean.Remoting.Internal.Datagrams;
using Ocean.Transport;

namespace Ocean.Remoting;

/// <summary>
/// Calls every member of a multicast group at once: one request to the group, and the replies of every member that
/// answers within a window (discovery: "who serves ICalculator?", and group queries).
/// </summary>
/// <remarks>
/// <para>Members are <see cref="RemotingServer"/>s whose UDP socket joined the group
/// (<see cref="RemotingServerOptions.MulticastGroups"/>). A member that does not export the object called, or lacks the
/// method, stays silent. A group request is sent once (it is not retransmitted), and each member runs it at most once.</para>
/// <para>A member never sends a reply larger than the request datagram (no amplification: the request carries no proof
/// of its source address). The request is padded to <c>maxReplySize</c> bytes so that replies up to that size fit; a
/// member whose result is larger answers with <see cref="RemotingStatus.Internal"/> saying so.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var group = RemotingGroupClient.Create(new IPEndPoint(IPAddress.Parse("239.255.0.1"), 7001));
/// await foreach (var reply in group.CallAsync&lt;ICalculator, int&gt;("calculator", c =&gt; c.AddAsync(1, 2), TimeSpan.FromSeconds(1)))
///     Console.WriteLine($"{reply.From}: {reply.Result}");
/// </code>
/// </example>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
public sealed class RemotingGroupClient : IAsyncDisposable
{
    private readonly DatagramChannel _channel;

    private RemotingGroupClient(DatagramChannel channel)
    {
        _channel = channel;
    }

    /// <summary>The group's endpoint.</summary>
    public EndPoint Group { get; private init; } = null!;

    /// <summary>
    /// A client sending to <paramref name="group"/> from a UDP socket of its own (bound to an ephemeral port; set the
    /// multicast interface and time to live in <see cref="RemotingClientOptions.Datagram"/>).
    /// </summary>
    /// <param name="group">A multicast address and port.</param>
    /// <param name="options">The marshaller (the members'), logging and clock; <see langword="null"/> for the defaults.</param>
    /// <returns>The client.</returns>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a multicast address.</exception>
    public static RemotingGroupClient Create(IPEndPoint group, RemotingClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!IsMulticast(group.Address))
        {
            throw new ArgumentException($"{group.Address} is not a multicast address.", nameof(group));
        }

        options ??= new RemotingClientOptions();
        var local = new IPEndPoint(group.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var datagram = options.Datagram ?? new DatagramOptions();
        datagram.LoggerFactory ??= options.LoggerFactory;
        var socket = DatagramSocket.Bind(local, datagram);
        return Create(MessageConnection.Create(socket, group, new MessageConnectionOptions { LoggerFactory = options.LoggerFactory, TimeProvider = options.TimeProvider }), options);
    }

    /// <summary>A client over an unconnected UDP message connection whose destination is the group (perhaps behind a fault injector). It takes ownership of <paramref name="connection"/>.</summary>
    /// <param name="connection">An unreliable message connection whose <see cref="MessageConnection.RemoteEndPoint"/> is the group.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The client.</returns>
    /// <exception cref="ArgumentException">The connection is reliable (a stream): group calls need datagrams.</exception>
    public static RemotingGroupClient Create(MessageConnection connection, RemotingClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.IsReliable)
        {
            throw new ArgumentException("Group calls go over datagrams; this connection is a stream.", nameof(connection));
        }

        options ??= new RemotingClientOptions();
        var settings = RemotingClient.CreateSettings(options, ReferenceSurrogates.Install(options.Marshaller ?? CdrMarshaller.Default), options.LoggerFactory?.CreateLogger("Ocean.Remoting.RemotingGroupClient") ?? NullLogger.Instance, space: null);
        var description = $"group {connection.RemoteEndPoint}";
        return new RemotingGroupClient(DatagramChannel.ForGroup(connection, settings, options, description)) { Group = connection.RemoteEndPoint! };
    }

    /// <summary>
    /// Calls one method of <typeparamref name="T"/> on the object every member exports under <paramref name="name"/>, and
    /// yields each member's reply as it arrives, until <paramref name="window"/> has passed.
    /// </summary>
    /// <typeparam name="T">The remote interface.</typeparam>
    /// <typeparam name="TResult">The method's result type.</typeparam>
    /// <param name="name">The export name.</param>
    /// <param name="call">Calls the method on the proxy it is given, once: <c>c =&gt; c.AddAsync(1, 2)</c>. Its arguments are sent; the task it returns is ignored.</param>
    /// <param name="window">How long replies are collected; also the call's deadline on each member.</param>
    /// <param name="maxReplySize">The largest reply a member may send, in bytes: the request is padded to it (default 1,200; at most one datagram).</param>
    /// <param name="cancellationToken">Ends the collection early (the enumeration throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The replies, one per member, in the order they arrive.</returns>
    /// <exception cref="ArgumentException"><paramref name="call"/> did not call exactly one method of the proxy, or <typeparamref name="TResult"/> is not its result type.</exception>
    /// <exception cref="RemotingException">The request cannot be made (its arguments do not marshal, or it does not fit in a datagram).</exception>
    public IAsyncEnumerable<GroupReply<TResult>> CallAsync<T, TResult>(string name, Func<T, Task<TResult>> call, TimeSpan window, int maxReplySize = 1200, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(call);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReplySize, 256);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxReplySize, _channel.MaxDatagramSize);
        var length = System.Text.Encoding.UTF8.GetByteCount(name);
        if (length is < 1 or > 255)
        {
            throw new ArgumentException($"An object name takes 1 to 255 UTF-8 bytes; '{name}' takes {length}.", nameof(name));
        }

        var recorder = new RecordingCaller();
        var proxy = RemotingProxy.Create<T>(RemoteInterface.Get(typeof(T), _channel.Marshaller), recorder, name);
        _ = call(proxy);
        if (recorder.Calls != 1)
        {
            throw new ArgumentException($"The call must call exactly one method of the proxy; it called {recorder.Calls}.", nameof(call));
        }

        if (recorder.Method is not RemoteMethod<TResult> method)
        {
            throw new ArgumentException($"{recorder.Method!.DisplayName} does not return {typeof(TResult)}.", nameof(call));
        }

        var replies = _channel.CallGroup(name, method, recorder.Arguments!, window, maxReplySize, cancellationToken);
        return Read(replies, cancellationToken);

        static async IAsyncEnumerable<GroupReply<TResult>> Read(System.Threading.Channels.ChannelReader<GroupReply<TResult>> replies, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            while (await replies.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (replies.TryRead(out var reply))
                {
                    yield return reply;
                }
            }
        }
    }

    /// <summary>Closes the socket; collections in progress end.</summary>
    /// <returns>A task that completes once closed.</returns>
    public ValueTask DisposeAsync() => _channel.DisposeAsync();

    private static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? address.IsIPv6Multicast : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    /// <summary>Records the call a lambda makes on a proxy instead of sending it.</summary>
    private sealed class RecordingCaller : IRemoteCaller
    {
        public int Calls { get; private set; }

        public RemoteMethod? Method { get; private set; }

        public object?[]? Arguments { get; private set; }

        public ValueTask<TR> CallAsync<TR>(string objectKey, RemoteMethod<TR> method, object?[] args, CancellationToken cancellationToken)
        {
            Calls++;
            Method = method;
            Arguments = args;
            return new ValueTask<TR>(default(TR)!);
        }

        public string Describe() => "a group call being recorded";

        public bool IsOnReadLoop() => false;
    }
}
