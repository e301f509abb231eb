using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests.FaultInjection;

/// <summary>The wrapper over real UDP sockets on loopback: a server's unconnected socket and a client's connected one.</summary>
public sealed class FaultInjectingDatagramTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    public static TheoryData<string> OutgoingFaults => ["none", "duplicate", "delay", "reorder"];

    private static FaultRates Rates(string fault) => fault switch
    {
        "duplicate" => new FaultRates { Duplicate = 1 },
        "delay" => new FaultRates { Delay = 1, MaxDelay = TimeSpan.FromMilliseconds(20) },
        "reorder" => new FaultRates { Reorder = 1, MaxDelay = TimeSpan.FromMilliseconds(20) }, // nothing follows: out after MaxDelay
        _ => new FaultRates(),
    };

    [Theory]
    [MemberData(nameof(OutgoingFaults))]
    public async Task ServerStyle_UnconnectedSocketWrapped_RepliesToEachOfTwoSendersWithTheDestinationOverloads(string fault)
    {
        var serverSocket = DatagramSocket.Bind(Loopback);
        await using var server = new FaultInjectingConnection(
            MessageConnection.Create(serverSocket, new IPEndPoint(IPAddress.Loopback, 9)), // a default destination nobody uses
            new FaultInjectionOptions { Seed = 11, Outgoing = Rates(fault) });
        await using var alice = MessageConnection.Create(await DatagramSocket.ConnectAsync(serverSocket.LocalEndPoint));
        await using var bob = MessageConnection.Create(await DatagramSocket.ConnectAsync(serverSocket.LocalEndPoint));

        await alice.SendAsync("alice"u8.ToArray()).AsTask().WithTimeout();
        await bob.SendAsync("bob"u8.ToArray()).AsTask().WithTimeout();
        for (var i = 0; i < 2; i++)
        {
            var request = await server.ReceiveAsync().WithTimeout();
            var name = System.Text.Encoding.ASCII.GetString(request.Message.ToArray());
            var sender = request.RemoteEndPoint!;
            sender.Should().Be(name == "alice" ? alice.LocalEndPoint : bob.LocalEndPoint, "the sender of each datagram is kept");
            if (name == "alice")
            {
                await server.SendAsync(System.Text.Encoding.ASCII.GetBytes("hi " + name), sender).AsTask().WithTimeout();
            }
            else
            {
                await server.SendAsync(name, static (n, output) => output.Write(System.Text.Encoding.ASCII.GetBytes("hi " + n)), sender).AsTask().WithTimeout();
            }
        }

        var copies = fault == "duplicate" ? 2 : 1;
        foreach (var (client, name) in new[] { (alice, "alice"), (bob, "bob") })
        {
            for (var i = 0; i < copies; i++)
            {
                var reply = await client.ReceiveAsync().WithTimeout();
                System.Text.Encoding.ASCII.GetString(reply.Message.ToArray()).Should().Be("hi " + name);
                reply.RemoteEndPoint.Should().Be(serverSocket.LocalEndPoint);
            }
        }

        server.Statistics.Sent.Should().Be(2);
    }

    [Fact]
    public async Task IncomingFaults_OnARealUdpPair_DropAndDuplicateAsCounted()
    {
        const int Count = 200;
        var serverSocket = DatagramSocket.Bind(Loopback);
        var clientSocket = await DatagramSocket.ConnectAsync(serverSocket.LocalEndPoint);
        await using var client = MessageConnection.Create(clientSocket);
        await using var server = new FaultInjectingConnection(
            MessageConnection.Create(serverSocket, clientSocket.LocalEndPoint),
            new FaultInjectionOptions { Seed = 12, Incoming = new FaultRates { Drop = 0.3, Duplicate = 0.2 } });

        var received = new List<int>();
        for (var i = 0; i < Count; i++)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(bytes, i);
            await client.SendAsync(bytes).AsTask().WithTimeout();
            if (i % 20 == 19)
            {
                await DrainAsync(i + 1); // a few at a time, so the socket's buffer never overflows
            }
        }

        await DrainAsync(Count);

        var statistics = server.Statistics;
        statistics.Received.Should().Be(Count, "loopback loses nothing");
        received.Should().HaveCount((int)(Count - statistics.ReceivedDropped + statistics.ReceivedDuplicated));
        received.Distinct().Should().HaveCount((int)(Count - statistics.ReceivedDropped));
        statistics.ReceivedDropped.Should().BeInRange(30, 90);
        statistics.ReceivedDuplicated.Should().BeGreaterThan(10);

        // Reads everything that has arrived: until the wrapper has read all sent so far and nothing more comes soon. A
        // read that waits after the last one was dropped only ends by its quiet timeout; but a loaded machine may stall a
        // read past that timeout with datagrams still waiting, so the drain ends only once the wrapper has read all sent.
        // (A duplicate still held is returned at once, whatever its read's token.)
        async Task DrainAsync(int sent)
        {
            using var overall = new CancellationTokenSource(TestTimeouts.Operation);
            while (true)
            {
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                quiet.CancelAfter(TimeSpan.FromMilliseconds(200));
                try
                {
                    var result = await server.ReceiveAsync(quiet.Token).WithTimeout();
                    received.Add(BinaryPrimitives.ReadInt32BigEndian(result.Message.ToArray()));
                }
                catch (OperationCanceledException) when (!overall.IsCancellationRequested)
                {
                    if (server.Statistics.Received >= sent)
                    {
                        return;
                    }
                }
            }
        }
    }

    [Fact]
    public async Task IncomingDelay_RealClock_AReadWaitingOnTheSocketWakesForTheDelayedMessage()
    {
        var serverSocket = DatagramSocket.Bind(Loopback);
        var clientSocket = await DatagramSocket.ConnectAsync(serverSocket.LocalEndPoint);
        await using var client = MessageConnection.Create(clientSocket);
        await using var server = new FaultInjectingConnection(
            MessageConnection.Create(serverSocket, clientSocket.LocalEndPoint),
            new FaultInjectionOptions { Incoming = new FaultRates { Delay = 1, MaxDelay = TimeSpan.FromMilliseconds(30) } });
        var pending = server.ReceiveAsync().AsTask();

        await client.SendAsync("late"u8.ToArray()).AsTask().WithTimeout();

        var result = await pending.WithTimeout(); // nothing else arrives: only the timer can wake the read
        result.Message.ToArray().Should().Equal("late"u8.ToArray());
        result.RemoteEndPoint.Should().Be(clientSocket.LocalEndPoint);
        server.Statistics.ReceivedDelayed.Should().Be(1);
    }

    [Fact]
    public async Task CancelPendingReceive_OnAUdpWrapper_ReturnsCanceledAndLosesNothing()
    {
        var serverSocket = DatagramSocket.Bind(Loopback);
        var clientSocket = await DatagramSocket.ConnectAsync(serverSocket.LocalEndPoint);
        await using var client = MessageConnection.Create(clientSocket);
        await using var server = new FaultInjectingConnection(
            MessageConnection.Create(serverSocket, clientSocket.LocalEndPoint),
            new FaultInjectionOptions { Incoming = new FaultRates { Duplicate = 1 } });
        var pending = server.ReceiveAsync().AsTask();

        server.CancelPendingReceive();

        (await pending.WithTimeout()).IsCanceled.Should().BeTrue();
        await client.SendAsync("x"u8.ToArray()).AsTask().WithTimeout();
        (await server.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("x"u8.ToArray());
        server.CancelPendingReceive();
        (await server.ReceiveAsync().WithTimeout()).IsCanceled.Should().BeTrue("a cancel comes before a held duplicate");
        (await server.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("x"u8.ToArray(), "and the duplicate is not lost");
    }
}
