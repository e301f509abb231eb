using System.Net;
using System.Net.Sockets;
using Ocean.Transport;

namespace Ocean.Framing.Tests.FaultInjection;

/// <summary>
/// An undisturbed message costs the wrapper nothing: a fault-free wrapper over a connected UDP connection echoes
/// with no allocation per message (the same measure and bound as <see cref="DatagramAllocationTests"/>).
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class FaultInjectingAllocationTests
{
    private const int WarmUp = 2_000;
    private const int Measured = 5_000;
    private const double MaxBytesPerMessage = 32;

    [Fact]
    public async Task FaultFreeWrapper_OverUdp_AllocatesNothingPerMessage()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.ReceiveTimeout = (int)TestTimeouts.Operation.TotalMilliseconds;
        await using var connection = new FaultInjectingConnection(
            MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)peer.LocalEndPoint!)),
            new FaultInjectionOptions { Seed = 1 });
        using var cts = new CancellationTokenSource();
        var peerAddress = ((IPEndPoint)connection.LocalEndPoint!).Serialize();
        var buffer = new byte[64];

        async Task RoundTripsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                buffer[0] = (byte)i;
                peer.SendTo(buffer.AsSpan(0, 16), SocketFlags.None, peerAddress);
                var result = await connection.ReceiveAsync(cts.Token);
                await connection.SendAsync(result.Message.First, cts.Token);
                var length = peer.Receive(buffer.AsSpan(), SocketFlags.None);
                if (length != 16 || buffer[0] != (byte)i)
                {
                    throw new InvalidOperationException($"Echo {i} came back wrong ({length} bytes, first {buffer[0]}).");
                }
            }
        }

        var perMessage = await Task.Run(async () =>
        {
            await RoundTripsAsync(WarmUp);
            return await Allocations.LeastPerOperationAsync(Measured, RoundTripsAsync);
        });

        perMessage.Should().BeLessThan(MaxBytesPerMessage);
        connection.Statistics.Sent.Should().Be(WarmUp + (3 * Measured));
    }
}
