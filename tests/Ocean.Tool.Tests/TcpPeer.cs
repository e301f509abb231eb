using System.Net;
using System.Net.Sockets;

namespace Ocean.Tool.Tests;

/// <summary>A hand-written TCP peer on loopback (port 0) that accepts one connection and runs a script on it.</summary>
internal sealed class TcpPeer<T> : IDisposable
{
    private readonly TcpListener _listener;

    internal TcpPeer(TcpListener listener, Task<T> served)
    {
        _listener = listener;
        Served = served;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>What the script returned, once it ran (await it bounded: <c>WithTimeout</c>).</summary>
    public Task<T> Served { get; }

    public void Dispose() => _listener.Stop();
}

internal static class TcpPeer
{
    /// <summary>Listens, and runs <paramref name="serve"/> on the first connection (the accept bounded by <see cref="TestTimeouts.Operation"/>).</summary>
    public static TcpPeer<T> Start<T>(Func<NetworkStream, Task<T>> serve)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var served = Task.Run(async () =>
        {
            using var accepting = new CancellationTokenSource(TestTimeouts.Operation);
            using var client = await listener.AcceptTcpClientAsync(accepting.Token);
            return await serve(client.GetStream());
        });
        return new TcpPeer<T>(listener, served);
    }

    /// <summary>The same, for a script that returns nothing.</summary>
    public static TcpPeer<bool> Start(Func<NetworkStream, Task> serve) => Start(async stream =>
    {
        await serve(stream);
        return true;
    });
}
