using System.Net;
using Ocean.Marshalling;
using Ocean.Remoting;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>The Ocean.Remoting kinds of the remote call benchmark: <see cref="RpcBenchService"/> behind a <see cref="RemotingServer"/>, called through proxies.</summary>
internal static class OceanRpc
{
    public static IMarshaller Marshaller(bool graph) => graph ? new GraphMarshaller(new GraphTypeRegistry()) : CdrMarshaller.Default;

    public static async ValueTask<IRpcClient> ConnectAsync(IPEndPoint endPoint, bool graph, CancellationToken cancellationToken, bool inlineContinuations = false)
    {
        var options = new RemotingClientOptions { Marshaller = Marshaller(graph), InlineContinuations = inlineContinuations };
        var client = await RemotingClient.ConnectAsync(endPoint, options, cancellationToken);
        return new ProxyRpcClient(client.GetProxy<IRpcBenchService>("bench"), client);
    }

    /// <summary>
    /// A client over UDP with default options (CDR; retransmission after 200 ms, doubling, 5 attempts): the proxy's
    /// ordinary methods (at-most-once) or, with <paramref name="idempotent"/>, its <see cref="IdempotentAttribute"/> ones.
    /// </summary>
    public static async ValueTask<IRpcClient> ConnectUdpAsync(IPEndPoint endPoint, bool idempotent, CancellationToken cancellationToken)
    {
        var client = await RemotingClient.ConnectUdpAsync(endPoint, new RemotingClientOptions { Marshaller = Marshaller(graph: false) }, cancellationToken);
        var proxy = client.GetProxy<IRpcBenchService>("bench");
        var owner = new RetransmissionReporter(client);
        return idempotent ? new IdempotentProxyRpcClient(proxy, owner) : new ProxyRpcClient(proxy, owner);
    }

    /// <summary>Disposes the client, then writes its retransmissions to stderr (on loopback there should be none: each would be a lost datagram or a reply later than 200 ms).</summary>
    private sealed class RetransmissionReporter(RemotingClient client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            var retransmissions = client.Retransmissions;
            await client.DisposeAsync();
            Console.Error.WriteLine($"rpcload: Ocean UDP client retransmissions {retransmissions}");
        }
    }
}

/// <summary>A <see cref="RemotingServer"/> exporting <see cref="RpcBenchService"/> as "bench", over TCP or (only) UDP.</summary>
internal sealed class OceanRpcServer : ICallCountingServer
{
    private readonly RpcBenchService _service = new();
    private readonly RemotingServer _server;
    private readonly bool _udp;

    public OceanRpcServer(IPEndPoint endPoint, bool graph, bool udp = false)
    {
        _udp = udp;
        _server = udp
            ? new RemotingServer(new RemotingServerOptions { Marshaller = OceanRpc.Marshaller(graph), UdpEndPoint = endPoint })
            : new RemotingServer(endPoint, new RemotingServerOptions { Marshaller = OceanRpc.Marshaller(graph) });
        _server.Export<IRpcBenchService>(_service, "bench");
    }

    public EndPoint EndPoint => _udp ? _server.UdpEndPoint : _server.EndPoint;

    public long CallsServed => _service.CallsServed;

    public Task StartAsync(CancellationToken cancellationToken = default) => _server.StartAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_udp)
        {
            // Duplicates, replays and busy answers should all be 0 on loopback; cache entries show the bookkeeping held.
            Console.Error.WriteLine($"serve: datagram statistics {_server.DatagramStatistics}");
        }

        await _server.DisposeAsync();
    }
}
