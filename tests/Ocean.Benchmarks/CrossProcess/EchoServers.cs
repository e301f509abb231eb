using System.Net;
using Ocean.Benchmarks.TcpEcho;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>Ocean.Transport: a <see cref="SocketServer"/> whose handler parses the frames by hand over the pipes.</summary>
internal sealed class OceanTransportFrameServer(IPEndPoint endPoint) : IEchoServer
{
    private readonly SocketServer _server = new(endPoint, static (connection, stopping) => new ValueTask(PipeFrameEcho.RunAsync(connection.Transport.Input, connection.Transport.Output, stopping)), new SocketServerOptions());

    public EndPoint EndPoint => _server.EndPoint;

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>
/// Ocean.Framing: a <see cref="MessageServer"/> (stream with a codec, or datagrams) whose handler sends
/// back every message it receives.
/// </summary>
internal sealed class OceanMessageEchoServer : IEchoServer
{
    private readonly MessageServer _server;

    private OceanMessageEchoServer(MessageServer server) => _server = server;

    public EndPoint EndPoint => _server.EndPoint;

    public static OceanMessageEchoServer ForStream(IPEndPoint endPoint, FrameCodec codec) => new(MessageServer.ForStream(endPoint, codec, EchoAsync));

    public static OceanMessageEchoServer ForDatagrams(IPEndPoint endPoint) => new(MessageServer.ForDatagrams(endPoint, EchoAsync));

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async ValueTask EchoAsync(MessageConnection connection, CancellationToken stopping)
    {
        while (true)
        {
            var result = await connection.ReceiveAsync(stopping);
            if (result.IsCompleted)
            {
                return;
            }

            await connection.SendAsync(result.Message, stopping);
        }
    }
}

/// <summary>Ocean.Transport's <see cref="DatagramSocket"/>: receive into one reused buffer, send back to the sender.</summary>
internal sealed class OceanDatagramSocketEchoServer(IPEndPoint endPoint) : IEchoServer
{
    private readonly DatagramSocket _socket = DatagramSocket.Bind(endPoint);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public EndPoint EndPoint => _socket.LocalEndPoint;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(LoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _socket.Dispose();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[DatagramSocket.MaxIPv6DatagramSize];
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var result = await _socket.ReceiveAsync(buffer, _stopping.Token);
                await _socket.SendAsync(buffer.AsMemory(0, result.Length), (IPEndPoint)result.RemoteEndPoint, _stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
