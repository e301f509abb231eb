using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Ocean.Transport;

namespace Ocean.Benchmarks.TcpEcho;

/// <summary>
/// Echo over Ocean.Transport: a <see cref="SocketServer"/> whose handler copies whatever it reads from
/// the input pipe to the output pipe, one flush per read.
/// </summary>
internal sealed class OceanEchoServer(SocketServerOptions options) : IEchoServer
{
    private readonly SocketServer _server = new(new IPEndPoint(IPAddress.Loopback, 0), EchoAsync, options);

    public EndPoint EndPoint => _server.EndPoint;

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async ValueTask EchoAsync(Connection connection, CancellationToken stopping)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;

        // One registration per connection rather than a cancellable ReadAsync per read.
        await using var stop = stopping.Register(static state => ((PipeReader)state!).CancelPendingRead(), input);
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                output.Write(segment.Span);
            }

            var flush = await output.FlushAsync();
            input.AdvanceTo(buffer.End);
            if (result.IsCompleted || result.IsCanceled || flush.IsCompleted || flush.IsCanceled)
            {
                break;
            }
        }
    }
}
