using Ocean.Benchmarks.TcpEcho;
using Ocean.Remoting;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The remote interface of issue 12's benchmark, as a user of Ocean.Remoting would declare it. The
/// Ocean server kinds host <see cref="RpcBenchService"/> behind it; the Ocean client kinds call it
/// through a proxy. The baselines (rpc-raw, rpc-http) speak their own wire formats and do not use it.
/// </summary>
public interface IRpcBenchService
{
    /// <summary>Returns <c>unchecked(a + b)</c>.</summary>
    Task<int> AddAsync(int a, int b);

    /// <summary>Returns <paramref name="text"/> unchanged.</summary>
    Task<string> EchoAsync(string text);

    /// <summary>
    /// <see cref="AddAsync"/> marked <see cref="IdempotentAttribute"/>: at-least-once, so over UDP the server keeps no
    /// reply-cache entry for it (issue 14's rpc-ocean-udp-idem kind calls it; the other kinds never do).
    /// </summary>
    [Idempotent]
    Task<int> AddIdempotentAsync(int a, int b);

    /// <summary><see cref="EchoAsync"/> marked <see cref="IdempotentAttribute"/> (the echo workload of rpc-ocean-udp-idem).</summary>
    [Idempotent]
    Task<string> EchoIdempotentAsync(string text);
}

/// <summary>
/// The server-side implementation of <see cref="IRpcBenchService"/>, counting the calls it served so
/// that the server's allocated bytes can be divided by them. Completed tasks: <c>Task.FromResult</c>
/// allocates for most ints, which is what a user's method would do too.
/// </summary>
public sealed class RpcBenchService : IRpcBenchService
{
    private long _calls;

    /// <summary>The calls served so far.</summary>
    public long CallsServed => Interlocked.Read(ref _calls);

    /// <inheritdoc/>
    public Task<int> AddAsync(int a, int b)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(unchecked(a + b));
    }

    /// <inheritdoc/>
    public Task<string> EchoAsync(string text)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(text);
    }

    /// <inheritdoc/>
    public Task<int> AddIdempotentAsync(int a, int b) => AddAsync(a, b);

    /// <inheritdoc/>
    public Task<string> EchoIdempotentAsync(string text) => EchoAsync(text);
}

/// <summary>A server of the remote call benchmark: it counts the calls it served (for bytes per call).</summary>
internal interface ICallCountingServer : IEchoServer
{
    /// <summary>The calls served since the server started.</summary>
    long CallsServed { get; }
}

/// <summary>
/// The client side of one rpc kind, as the load generator drives it: every caller shares one instance
/// (one connection for the multiplexing kinds). <see cref="ValueTask{TResult}"/> so that the rpc-raw
/// baseline can be the allocation-free limit it is meant to be; a Task-returning proxy adapts with
/// <c>new ValueTask&lt;int&gt;(proxy.AddAsync(a, b))</c>, which allocates nothing more.
/// </summary>
internal interface IRpcClient : IAsyncDisposable
{
    /// <summary>Calls add(a, b) remotely.</summary>
    ValueTask<int> AddAsync(int a, int b);

    /// <summary>Calls echo(text) remotely.</summary>
    ValueTask<string> EchoAsync(string text);
}

/// <summary>
/// An <see cref="IRpcClient"/> over any <see cref="IRpcBenchService"/> (an Ocean.Remoting proxy, say): each
/// call adapts the proxy's Task to a ValueTask, which allocates nothing more; disposing disposes
/// <paramref name="owner"/> (the connection or client the proxy came from).
/// </summary>
internal sealed class ProxyRpcClient(IRpcBenchService proxy, IAsyncDisposable owner) : IRpcClient
{
    public ValueTask<int> AddAsync(int a, int b) => new(proxy.AddAsync(a, b));

    public ValueTask<string> EchoAsync(string text) => new(proxy.EchoAsync(text));

    public ValueTask DisposeAsync() => owner.DisposeAsync();
}

/// <summary>
/// An <see cref="IRpcClient"/> whose add and echo call the proxy's <see cref="IdempotentAttribute"/> methods
/// (<see cref="IRpcBenchService.AddIdempotentAsync"/>, <see cref="IRpcBenchService.EchoIdempotentAsync"/>): the
/// same calls without the server's at-most-once bookkeeping over UDP.
/// </summary>
internal sealed class IdempotentProxyRpcClient(IRpcBenchService proxy, IAsyncDisposable owner) : IRpcClient
{
    public ValueTask<int> AddAsync(int a, int b) => new(proxy.AddIdempotentAsync(a, b));

    public ValueTask<string> EchoAsync(string text) => new(proxy.EchoIdempotentAsync(text));

    public ValueTask DisposeAsync() => owner.DisposeAsync();
}

/// <summary>The rpc client kinds, keyed like the server kinds of <c>serve --kind</c>.</summary>
internal static class RpcClients
{
    /// <summary>Kind, description, and how to connect one client to a server on 127.0.0.1:port.</summary>
    public static readonly Dictionary<string, (string Description, Func<System.Net.IPEndPoint, CancellationToken, ValueTask<IRpcClient>> Connect)> Kinds = new()
    {
        ["rpc-raw"] = ("one TCP connection, hand-written frames, pending calls keyed by request id, pooled waiters", RawRpcClient.ConnectAsync),
        ["rpc-http"] = ("one HttpClient (SocketsHttpHandler, HTTP/1.1): GetFromJsonAsync / PostAsJsonAsync; up to one connection per concurrent caller", HttpRpcClient.ConnectAsync),

        ["rpc-ocean-cdr"] = ("Ocean.Remoting RemotingClient, CDR marshaller, DispatchProxy for IRpcBenchService", (ep, ct) => OceanRpc.ConnectAsync(ep, graph: false, ct)),
        ["rpc-ocean-cdr-inline"] = ("the same with RemotingClientOptions.InlineContinuations (callers continue on the read loop)", (ep, ct) => OceanRpc.ConnectAsync(ep, graph: false, ct, inlineContinuations: true)),
        ["rpc-ocean-graph"] = ("Ocean.Remoting RemotingClient, object-graph marshaller, DispatchProxy for IRpcBenchService", (ep, ct) => OceanRpc.ConnectAsync(ep, graph: true, ct)),

        // Over UDP (issue 14): the server's port is its UDP port.
        ["rpc-raw-udp"] = ("one connected UDP socket, one datagram each way per call, pending calls keyed by request id, pooled waiters, 1 s timeout", RawUdpRpcClient.ConnectAsync),
        ["rpc-ocean-udp"] = ("Ocean.Remoting RemotingClient.ConnectUdpAsync, CDR, DispatchProxy: AddAsync/EchoAsync (at-most-once)", (ep, ct) => OceanRpc.ConnectUdpAsync(ep, idempotent: false, ct)),
        ["rpc-ocean-udp-idem"] = ("the same calling the [Idempotent] AddIdempotentAsync/EchoIdempotentAsync (at-least-once: no reply cache)", (ep, ct) => OceanRpc.ConnectUdpAsync(ep, idempotent: true, ct)),
    };
}
