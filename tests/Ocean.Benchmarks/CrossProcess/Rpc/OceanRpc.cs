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
}

/// <summary>A <see cref="RemotingServer"/> exporting <see cref="RpcBenchService"/> as "bench".</summary>
internal sealed class OceanRpcServer : ICallCountingServer
{
    private readonly RpcBenchService _service = new();
    private readonly RemotingServer _server;

    public OceanRpcServer(IPEndPoint endPoint, bool graph)
    {
        _server = new RemotingServer(endPoint, new RemotingServerOptions { Marshaller = OceanRpc.Marshaller(graph) });
        _server.Export<IRpcBenchService>(_service, "bench");
    }

    public EndPoint EndPoint => _server.EndPoint;

    public long CallsServed => _service.CallsServed;

    public Task StartAsync(CancellationToken cancellationToken = default) => _server.StartAsync(cancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
