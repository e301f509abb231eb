using Ocean.Testing;
using System.Net;

namespace Ocean.Transport.Tests.Infrastructure;

public static class TestServer
{
    public static readonly ConnectionHandler Echo = static (connection, stopping) => connection.Transport.EchoAsync(stopping);

    /// <summary>Starts a server on loopback port 0 (IPv4 unless told otherwise).</summary>
    public static async Task<SocketServer> StartAsync(ConnectionHandler handler, SocketServerOptions? options = null, EndPoint? endPoint = null)
    {
        var server = new SocketServer(endPoint ?? new IPEndPoint(IPAddress.Loopback, 0), handler, options);
        await server.StartAsync();
        return server;
    }

    public static int Port(this SocketServer server) => ((IPEndPoint)server.EndPoint).Port;

    public static ValueTask<Connection> ConnectAsync(this SocketServer server, ConnectOptions? options = null) =>
        SocketConnector.ConnectAsync(server.EndPoint, options);
}
