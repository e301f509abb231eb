using System.Buffers;
using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>Frames several times larger than the transport's read buffer, over real TCP sockets, both ways.</summary>
public sealed class LargeFrameTests
{
    [Theory]
    [InlineData(4 * 1024 * 1024)]
    [InlineData(8 * 1024 * 1024)]
    public async Task FrameLargerThanTheReadBuffer_EchoedOverTcp_ArrivesIntact(int size)
    {
        const int ReadBuffer = 1024 * 1024;
        var codec = new LengthPrefixedCodec();
        var options = new MessageServerOptions();
        options.Stream.MaxReadBufferSize = ReadBuffer;
        await using var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), codec, static async (connection, stopping) =>
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
        }, options);
        await server.StartAsync();
        await using var client = MessageConnection.Create(
            await SocketConnector.ConnectAsync(server.EndPoint, new SocketConnectorOptions { MaxReadBufferSize = ReadBuffer }),
            codec);
        var payload = new byte[size];
        new Random(size).NextBytes(payload);

        for (var round = 0; round < 2; round++)
        {
            var sending = client.SendAsync(payload).AsTask();
            var echoed = await client.ReceiveAsync().WithTimeout(TestTimeouts.Load);
            await sending.WithTimeout();

            echoed.Message.Length.Should().Be(size);
            echoed.Message.ToArray().AsSpan().SequenceEqual(payload).Should().BeTrue("the frame must come back byte for byte");
        }

        // The part of each frame beyond the read buffer was reserved from the server's budget, and given back.
        var budget = server.StreamBufferBudget!;
        budget.Peak.Should().BeInRange(1, size + 4 - ReadBuffer);
        await client.DisposeAsync();
        await TestTimeouts.UntilAsync(() => budget.Used == 0);
    }
}
