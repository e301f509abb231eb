using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ocean.Transport;

namespace Ocean.Benchmarks.UdpEcho;

/// <summary>
/// UDP echo of 64-byte datagrams over loopback, ping-pong (one datagram in flight): an echo server on
/// Ocean's <see cref="DatagramSocket"/> against one written directly on <see cref="Socket"/>, same client.
/// </summary>
internal static class UdpEchoScenario
{
    public const string Ocean = "ocean DatagramSocket";
    public const string Raw = "raw Socket";

    public static Scenario Create() => new(
        "udp-echo",
        "UDP echo of 64-byte datagrams over loopback, one in flight: Ocean.Transport's DatagramSocket vs a raw Socket server",
        [
            new BenchmarkCase("ping-pong 1 datagram in flight", "round trips", Raw, () => [new Variant(Ocean, ocean: true), new Variant(Raw, ocean: false)]),
        ]);

    private sealed class Variant(string name, bool ocean) : IBenchmarkVariant
    {
        private readonly CancellationTokenSource _stopping = new();
        private DatagramSocket? _oceanServer;
        private Socket? _rawServer;
        private Socket? _client;
        private Task _serverLoop = Task.CompletedTask;
        private EndPoint? _serverEndPoint;
        private long _sequence;

        public string Name => name;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (ocean)
            {
                _oceanServer = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                _serverEndPoint = _oceanServer.LocalEndPoint;
                _serverLoop = Task.Run(OceanLoopAsync, CancellationToken.None);
            }
            else
            {
                _rawServer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                _rawServer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                _serverEndPoint = _rawServer.LocalEndPoint;
                _serverLoop = Task.Run(RawLoopAsync, CancellationToken.None);
            }

            _client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _client.Connect(_serverEndPoint!);
            return Task.CompletedTask;
        }

        public async Task<long> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
        {
            var client = _client!;
            var send = new byte[64];
            var receive = new byte[2048];
            var until = DateTime.UtcNow + duration;
            long ops = 0;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            while (DateTime.UtcNow < until && ops < 50_000_000)
            {
                var sequence = ++_sequence;
                BinaryPrimitives.WriteInt64BigEndian(send, sequence);
                await client.SendAsync(send, SocketFlags.None, cancellationToken);
                while (true)
                {
                    // A lost datagram (rare on loopback) is sent again after a second rather than hanging the run.
                    if (!timeout.TryReset())
                    {
                        throw new OperationCanceledException(cancellationToken);
                    }

                    timeout.CancelAfter(TimeSpan.FromSeconds(1));
                    int received;
                    try
                    {
                        received = await client.ReceiveAsync(receive.AsMemory(), SocketFlags.None, timeout.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        await client.SendAsync(send, SocketFlags.None, cancellationToken);
                        continue;
                    }

                    if (received == 64 && BinaryPrimitives.ReadInt64BigEndian(receive) == sequence)
                    {
                        break;
                    }
                }

                ops++;
            }

            return ops;
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            _oceanServer?.Dispose();
            _rawServer?.Dispose();
            _client?.Dispose();
            try
            {
                await _serverLoop.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }

            _stopping.Dispose();
        }

        private async Task OceanLoopAsync()
        {
            var server = _oceanServer!;
            var buffer = new byte[DatagramSocket.MaxIPv6DatagramSize];
            while (!_stopping.IsCancellationRequested)
            {
                DatagramReceiveResult result;
                try
                {
                    result = await server.ReceiveAsync(buffer, _stopping.Token);
                }
                catch (Exception) when (_stopping.IsCancellationRequested)
                {
                    return;
                }

                await server.SendAsync(buffer.AsMemory(0, result.Length), (IPEndPoint)result.RemoteEndPoint, _stopping.Token);
            }
        }

        private async Task RawLoopAsync()
        {
            var server = _rawServer!;
            var buffer = new byte[65_536];
            var address = new SocketAddress(AddressFamily.InterNetwork);
            while (!_stopping.IsCancellationRequested)
            {
                int received;
                try
                {
                    received = await server.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, address, _stopping.Token);
                }
                catch (Exception) when (_stopping.IsCancellationRequested)
                {
                    return;
                }

                await server.SendToAsync(buffer.AsMemory(0, received), SocketFlags.None, address, _stopping.Token);
            }
        }
    }
}
