using System.Net;
using Ocean.Framing;

namespace Ocean.Benchmarks.TcpEcho;

/// <summary>
/// Echo through Ocean.Framing: a <see cref="MessageServer"/> with the 4-byte big-endian length-prefixed
/// codec; each message read is sent back as a message (decoded, then framed again).
/// </summary>
internal sealed class OceanFramingEchoServer : IEchoServer
{
    private readonly MessageServer _server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), new LengthPrefixedCodec(), EchoAsync);

    public EndPoint EndPoint => _server.EndPoint;

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
