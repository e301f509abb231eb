using Ocean.Transport;

namespace Ocean.Benchmarks.TcpEcho;

/// <summary>
/// TCP echo of 64-byte messages with a 4-byte big-endian length prefix, Ocean.Transport against a plain
/// async socket server, in two shapes: ping-pong (one connection, one message in flight) and throughput
/// (8 connections, 32 messages in flight each).
/// </summary>
internal static class TcpEchoScenario
{
    public const string Ocean = "ocean";
    public const string OceanNoWait = "ocean (WaitForDataBeforeAllocatingBuffer=false)";
    public const string Raw = "raw";
    public const string OceanFraming = "ocean framing (length-prefixed codec)";

    public static Scenario Create() => new(
        "tcp-echo",
        "TCP echo of 68-byte frames (4-byte big-endian length 64 + payload) over loopback: Ocean.Transport vs a raw async socket server",
        [
            new BenchmarkCase("ping-pong 1 conn x 1 in flight", "round trips", Raw, () => Variants(connections: 1, framesInFlight: 1)),
            new BenchmarkCase("throughput 8 conn x 32 in flight", "messages", Raw, () => Variants(connections: 8, framesInFlight: 32)),
        ]);

    private static IReadOnlyList<IBenchmarkVariant> Variants(int connections, int framesInFlight) =>
    [
        new EchoVariant(Ocean, () => new OceanEchoServer(new SocketServerOptions()), connections, framesInFlight),
        new EchoVariant(Raw, () => new RawEchoServer(), connections, framesInFlight),
        new EchoVariant(OceanFraming, () => CrossProcess.OceanMessageEchoServer.ForStream(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), new Ocean.Framing.LengthPrefixedCodec()), connections, framesInFlight),
        new EchoVariant(OceanNoWait, () => new OceanEchoServer(new SocketServerOptions { WaitForDataBeforeAllocatingBuffer = false }), connections, framesInFlight),
    ];

    /// <summary>One server plus the shared client, connected once and reused for every round.</summary>
    private sealed class EchoVariant(string name, Func<IEchoServer> createServer, int connections, int framesInFlight) : IBenchmarkVariant
    {
        private IEchoServer? _server;
        private EchoClient? _client;

        public string Name => name;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            _server = createServer();
            await _server.StartAsync(cancellationToken);
            _client = await EchoClient.ConnectAsync(_server.EndPoint, connections, framesInFlight, cancellationToken);
        }

        public Task<long> RunAsync(TimeSpan duration, CancellationToken cancellationToken) =>
            (_client ?? throw new InvalidOperationException("Not started.")).RunAsync(duration, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
