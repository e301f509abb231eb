using System.Net;
using Ocean.Framing;
using Ocean.Marshalling;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>How a test's client reaches its server.</summary>
public enum Link
{
    /// <summary>MessageConnection.CreatePair + ServeAsync.</summary>
    InMemory,

    /// <summary>TCP on 127.0.0.1, port 0.</summary>
    Tcp,
}

/// <summary>A server and one client connected to it, over the in-memory pair or loopback TCP; disposed together.</summary>
public sealed class Loopback : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private Task? _serving;

    private Loopback(RemotingServer server, RemotingClient client, Task? serving)
    {
        Server = server;
        Client = client;
        _serving = serving;
    }

    public RemotingServer Server { get; }

    public RemotingClient Client { get; }

    public T Proxy<T>(string name)
        where T : class => Client.GetProxy<T>(name);

    /// <summary>Starts a server, lets <paramref name="export"/> export its objects, and connects a client.</summary>
    public static async Task<Loopback> StartAsync(
        Action<RemotingServer> export,
        Link link = Link.InMemory,
        RemotingServerOptions? serverOptions = null,
        RemotingClientOptions? clientOptions = null)
    {
        if (link == Link.Tcp)
        {
            var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), serverOptions);
            export(server);
            await server.StartAsync().WaitAsync(Timeout);
            var client = await RemotingClient.ConnectAsync(server.EndPoint, clientOptions).WaitAsync(Timeout);
            return new Loopback(server, client, null);
        }
        else
        {
            var server = new RemotingServer(serverOptions);
            export(server);
            var (first, second) = MessageConnection.CreatePair();
            var serving = server.ServeAsync(second);
            var client = await RemotingClient.ConnectAsync(first, clientOptions).WaitAsync(Timeout);
            return new Loopback(server, client, serving);
        }
    }

    /// <summary>A graph marshaller with the test types registered (a fresh one: a registry is frozen by its marshaller).</summary>
    public static GraphMarshaller NewGraphMarshaller() =>
        new(new GraphTypeRegistry().Register<Node>("test.Node").Register<Pair>("test.Pair"));

    public async ValueTask DisposeAsync()
    {
        // The server first: disposing it after its client has gone throws today (see ShutdownOrderTests).
        await Server.DisposeAsync().AsTask().WaitAsync(Timeout);
        await Client.DisposeAsync().AsTask().WaitAsync(Timeout);
        if (_serving is { } serving)
        {
            _serving = null;
            await serving.WaitAsync(Timeout);
        }
    }
}
