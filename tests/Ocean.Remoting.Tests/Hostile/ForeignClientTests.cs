using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Connections;

namespace Ocean.Remoting.Tests.Hostile;

/// <summary>Foreign and stalling clients against a real RemotingServer on loopback: each gets its refusal and is closed, and an Ocean client on the same server keeps working.</summary>
[Trait("Category", "Hostile")]
public sealed class ForeignClientTests
{
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Clients() => ["http", "http2", "http-partial", "tls", "tls-one-byte", "java", "length-prefix", "random"];

    private static byte[] FirstBytes(string client) => client switch
    {
        "http" => "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n"u8.ToArray(),
        "http2" => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(),

        // Fewer bytes than a preamble: the server decides from what it has, it does not wait for 16.
        "http-partial" => "GE"u8.ToArray(),
        "tls-one-byte" => [0x16],

        // A 4-byte length-prefixed client (a Framing peer): must not be read as a giant frame.
        "length-prefix" => [0x00, 0x00, 0x10, 0x00, 0x01, 0x02, 0x03],

        // The start of a real TLS 1.2 ClientHello record: handshake (16), version 3.1, length, ClientHello (01).
        "tls" => [0x16, 0x03, 0x01, 0x00, 0xF1, 0x01, 0x00, 0x00, 0xED, 0x03, 0x03, .. Enumerable.Range(0, 32).Select(i => (byte)i)],

        // What DataOutputStream.writeUTF("hello ocean") writes.
        "java" => [0x00, 0x0B, .. "hello ocean"u8.ToArray()],
        _ => RandomBytes(),
    };

    private static byte[] RandomBytes()
    {
        var bytes = new byte[64];
        new Random(20261129).NextBytes(bytes);
        bytes[0] = 0xFF; // not a letter, not TLS, not the magic
        bytes[2] = 0x01; // a control byte: not writeUTF text
        ForeignClient.Classify(bytes).Should().Be(ForeignProtocol.Unknown);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task ForeignClient_GetsItsRefusal_AndIsClosed_WhileOceanClientsKeepWorking(string kind)
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(3);

        using var foreign = await Kit.ConnectRawAsync(server.EndPoint);
        await foreign.SendAsync(FirstBytes(kind)).WithTimeout();
        var (reply, _) = await Kit.ReadToEndAsync(foreign, CloseBound);

        reply.Length.Should().BeInRange(1, 255, "a refusal is short");
        switch (kind)
        {
            case "http" or "http2" or "http-partial":
                var text = Encoding.ASCII.GetString(reply);
                text.Should().StartWith("HTTP/1.1 400 Bad Request\r\n");
                text.Should().Contain("Connection: close\r\n");
                var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
                text.Should().Contain($"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n");
                body.Should().Contain("Ocean remoting");
                break;
            case "tls" or "tls-one-byte":
                reply.Should().Equal(0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28);
                break;
            case "java":
                // readUTF: a 2-byte length, then that many bytes of text.
                BinaryPrimitives.ReadUInt16BigEndian(reply).Should().Be((ushort)(reply.Length - 2));
                Encoding.UTF8.GetString(reply, 2, reply.Length - 2).Should().Be(ForeignClient.RefusalText);
                break;
            default:
                reply.Should().HaveCount(Preamble.Length);
                reply[..4].Should().Equal(0xCE, 0x4F, 0x43, 0x4E);
                reply[4].Should().Be(Preamble.CurrentVersion);
                reply[5].Should().Be((byte)PreambleStatus.NotRecognized);
                break;
        }

        server.ActiveConnections.Should().Be(1, "the foreign connection never became a remoting connection");
        (await proxy.AddAsync(20, 22).WithTimeout()).Should().Be(42);
        probe.Calls.Should().Be(2);
    }

    [Fact]
    public async Task SilentClient_IsClosedAtTheHandshakeTimeout()
    {
        var probe = new Probe();
        var timeout = TimeSpan.FromMilliseconds(400);
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { HandshakeTimeout = timeout });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(3);

        var watch = Stopwatch.StartNew();
        using var silent = await Kit.ConnectRawAsync(server.EndPoint);
        var (reply, _) = await Kit.ReadToEndAsync(silent, CloseBound);
        watch.Stop();

        reply.Should().BeEmpty("a client that said nothing gets nothing");
        watch.Elapsed.Should().BeGreaterThan(timeout - TimeSpan.FromMilliseconds(100), "it is closed at the timeout, not before");
        (await proxy.AddAsync(2, 3).WithTimeout()).Should().Be(5);
    }

    [Fact]
    public async Task DrippingClient_IsClosedAtTheHandshakeTimeout_NotWhenItsNextByteArrives()
    {
        var probe = new Probe();
        var timeout = TimeSpan.FromMilliseconds(400);
        await using var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { HandshakeTimeout = timeout });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(3);

        var watch = Stopwatch.StartNew();
        using var dripping = await Kit.ConnectRawAsync(server.EndPoint);
        var hello = Kit.PreambleBytes(Kit.ClientHello());
        var closed = Kit.ReadToEndAsync(dripping, CloseBound);
        using var stopDripping = new CancellationTokenSource();
        var drip = Task.Run(async () =>
        {
            // One byte of a valid preamble every 50 ms: 15 bytes take 750 ms, well past the timeout; the 16th never comes.
            for (var i = 0; i < hello.Length - 1 && !closed.IsCompleted; i++)
            {
                try
                {
                    await dripping.SendAsync(hello.AsMemory(i, 1));
                    await Task.Delay(50, stopDripping.Token);
                }
                catch (Exception)
                {
                    return;
                }
            }
        });

        var (reply, _) = await closed;
        watch.Stop();
        await stopDripping.CancelAsync();
        await drip.WithTimeout();

        reply.Should().BeEmpty();
        watch.Elapsed.Should().BeGreaterThan(timeout - TimeSpan.FromMilliseconds(100));
        server.ActiveConnections.Should().Be(1);
        (await proxy.AddAsync(2, 3).WithTimeout()).Should().Be(5);
    }

    [Fact]
    public async Task PortScanner_ConnectingAndResetting_LeavesTheServerServing()
    {
        var probe = new Probe();
        await using var server = await Kit.StartServerAsync(probe);
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;
        var inFlight = proxy.HoldAsync(3, CancellationToken.None);
        await probe.Started.WithTimeout();

        for (var i = 0; i < 20; i++)
        {
            using var scan = await Kit.ConnectRawAsync(server.EndPoint);
            if (i % 3 == 1)
            {
                await scan.SendAsync(Kit.PreambleBytes(Kit.ClientHello()).AsMemory(0, 8)).WithTimeout(); // half a preamble
            }

            if (i % 2 == 0)
            {
                scan.LingerState = new System.Net.Sockets.LingerOption(true, 0); // reset, not a clean close
            }

            scan.Close();
        }

        probe.Release();
        (await inFlight.WithTimeout()).Should().Be(3);
        (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(3);
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1);
    }
}
