using System.Net;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

/// <summary>Servers and clients for the reference tests: TCP on 127.0.0.1 port 0 or the in-memory pair, either marshaller.</summary>
internal static class RefKit
{
    public static readonly TimeSpan Timeout = Loopback.Timeout;

    public const string Cdr = "cdr";
    public const string Graph = "graph";

    public static TheoryData<string> Marshallers() => new() { Cdr, Graph };

    public static TheoryData<Link, string> LinksAndMarshallers() => new()
    {
        { Link.InMemory, Cdr },
        { Link.InMemory, Graph },
        { Link.Tcp, Cdr },
        { Link.Tcp, Graph },
    };

    /// <summary>
    /// The marshaller for one side: <see langword="null"/> (CDR, the default) or a fresh graph marshaller with this
    /// folder's graph types registered (each side its own registry, as two processes would have).
    /// </summary>
    public static IMarshaller? Marshaller(string name) => name switch
    {
        Cdr => null,
        Graph => new GraphMarshaller(new GraphTypeRegistry()
            .Register<CounterCard>("reftests.CounterCard")
            .Register<CounterNode>("reftests.CounterNode")),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Servers here pass references among each other, so they accept references to other servers (off by default).</summary>
    public static RemotingServerOptions ServerOptions(string marshaller, bool inlineDispatch = true) =>
        new() { Marshaller = Marshaller(marshaller), InlineDispatch = inlineDispatch, AcceptReferencesToOtherServers = true };

    public static RemotingClientOptions ClientOptions(string marshaller) => new() { Marshaller = Marshaller(marshaller) };

    /// <summary>A started server listening on 127.0.0.1 (port 0 unless given).</summary>
    public static async Task<RemotingServer> StartTcpAsync(Action<RemotingServer> export, RemotingServerOptions? options = null, int port = 0)
    {
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, port), options);
        try
        {
            export(server);
            await server.StartAsync().WaitAsync(Timeout);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public static Task<RemotingClient> ConnectAsync(RemotingServer server, string marshaller) =>
        RemotingClient.ConnectAsync(server.EndPoint, ClientOptions(marshaller)).WaitAsync(Timeout);

    public static Task<Loopback> LoopAsync(Action<RemotingServer> export, Link link, string marshaller, bool inlineDispatch = true) =>
        Loopback.StartAsync(export, link, ServerOptions(marshaller, inlineDispatch), ClientOptions(marshaller));

    /// <summary>Serves one in-memory connection and connects a client over it; the returned task ends when the connection does.</summary>
    public static async Task<(RemotingClient Client, Task Serving)> ConnectInMemoryAsync(RemotingServer server, string marshaller)
    {
        var (first, second) = MessageConnection.CreatePair();
        var serving = server.ServeAsync(second);
        var client = await RemotingClient.ConnectAsync(first, ClientOptions(marshaller)).WaitAsync(Timeout);
        return (client, serving);
    }
}

/// <summary>The servers and clients of one test, disposed together: servers first (stopping them closes their connections), then clients, each bounded.</summary>
internal sealed class Rig : IAsyncDisposable
{
    private readonly List<RemotingServer> _servers = [];
    private readonly List<RemotingClient> _clients = [];
    private readonly List<Task> _serving = [];

    public RemotingServer Add(RemotingServer server)
    {
        _servers.Add(server);
        return server;
    }

    public RemotingClient Add(RemotingClient client)
    {
        _clients.Add(client);
        return client;
    }

    public async Task<RemotingServer> ServerAsync(Action<RemotingServer> export, RemotingServerOptions? options = null, int port = 0) =>
        Add(await RefKit.StartTcpAsync(export, options, port));

    public async Task<RemotingClient> ClientAsync(RemotingServer server, string marshaller) =>
        Add(await RefKit.ConnectAsync(server, marshaller));

    public async Task<RemotingClient> InMemoryClientAsync(RemotingServer server, string marshaller)
    {
        var (client, serving) = await RefKit.ConnectInMemoryAsync(server, marshaller);
        _serving.Add(serving);
        return Add(client);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync().AsTask().WaitAsync(RefKit.Timeout);
        }

        foreach (var client in _clients)
        {
            await client.DisposeAsync().AsTask().WaitAsync(RefKit.Timeout);
        }

        await Task.WhenAll(_serving).WaitAsync(RefKit.Timeout);
    }
}
