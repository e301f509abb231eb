// A tour of Ocean on loopback, on ephemeral ports: each step prints what crosses the wire.
// Usage: dotnet run --project samples/Ocean.Demo
using System.Buffers;
using System.Net;
using System.Text;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting;
using Ocean.Samples;
using Ocean.Transport;

try
{
    SampleArgs.Parse(args); // takes no options: refuse any, rather than ignore it
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

Console.WriteLine("Ocean demo: everything below runs on 127.0.0.1, on ports the OS picks.");
Console.WriteLine();
await TcpEchoAsync();
Console.WriteLine();
await TlsEchoAsync();
Console.WriteLine();
await UdpEchoAsync();
Console.WriteLine();
await MulticastAsync();
Console.WriteLine();
await FramingAsync();
Console.WriteLine();
await MarshallingAsync();
Console.WriteLine();
await RemotingAsync();
Console.WriteLine();
await RemotingOverUdpAsync();
Console.WriteLine();
await TranscriptAsync();
Console.WriteLine();
Console.WriteLine("demo finished");
return 0;

static async Task TcpEchoAsync()
{
    Console.WriteLine("== TCP echo: one server, three clients, each served in its own task");
    await using var server = new SocketServer(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(stopping);
            foreach (var segment in read.Buffer)
            {
                connection.Transport.Output.Write(segment.Span);
            }

            input.AdvanceTo(read.Buffer.End);
            await connection.Transport.Output.FlushAsync(stopping);
            if (read.IsCompleted)
            {
                return;
            }
        }
    });
    await server.StartAsync();
    Console.WriteLine($"server: listening on {server.EndPoint}");

    var clients = new[] { "Hello from Pharo", "Hello from Java", "Hello from C#" }.Select(async message =>
    {
        await using var connection = await SocketConnector.ConnectAsync(server.EndPoint);
        await connection.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes(message));
        await connection.Transport.Output.CompleteAsync();
        var reply = new ArrayBufferWriter<byte>();
        while (true)
        {
            var read = await connection.Transport.Input.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                reply.Write(segment.Span);
            }

            connection.Transport.Input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        return $"client {connection.LocalEndPoint}: sent \"{message}\", echoed \"{Encoding.UTF8.GetString(reply.WrittenSpan)}\"";
    });

    foreach (var line in await Task.WhenAll(clients))
    {
        Console.WriteLine(line);
    }

    await server.StopAsync();
    Console.WriteLine($"server: stopped after {server.AcceptedConnections} connections");
}

static async Task UdpEchoAsync()
{
    Console.WriteLine("== UDP echo: each datagram is a message; the server answers whoever sent it");
    var options = new DatagramOptions { ReceiveTimeout = TimeSpan.FromSeconds(5) };
    await using var server = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);
    Console.WriteLine($"server: listening on {server.LocalEndPoint}");
    var serve = Task.Run(async () =>
    {
        for (var i = 0; i < 3; i++)
        {
            using var request = await server.ReceiveAsync();
            Console.WriteLine($"server: {request.Length} bytes from {request.RemoteEndPoint}");
            await server.SendAsync(request.Payload, (IPEndPoint)request.RemoteEndPoint);
        }
    });

    await using var client = await DatagramSocket.ConnectAsync(server.LocalEndPoint, options);
    foreach (var message in new[] { "ping", string.Empty, "a datagram is a frame" })
    {
        await client.SendAsync(Encoding.UTF8.GetBytes(message));
        using var reply = await client.ReceiveAsync();
        Console.WriteLine($"client: sent \"{message}\", echoed \"{Encoding.UTF8.GetString(reply.Payload.Span)}\" ({reply.Length} bytes)");
    }

    await serve;
}

static async Task MulticastAsync()
{
    Console.WriteLine("== Multicast: two members of 228.5.6.7 on interface lo, one sender");
    var group = IPAddress.Parse("228.5.6.7");
    var options = new DatagramOptions { MulticastInterface = "lo", ReuseAddress = true, ReceiveTimeout = TimeSpan.FromSeconds(5) };
    await using var alice = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, 0), options);
    var port = alice.LocalEndPoint.Port;
    await using var bob = DatagramSocket.Bind(new IPEndPoint(IPAddress.Any, port), options);
    alice.JoinMulticastGroup(group);
    bob.JoinMulticastGroup(group);
    Console.WriteLine($"alice and bob joined {new IPEndPoint(group, port)}");

    await using var sender = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);
    await sender.SendAsync(Encoding.UTF8.GetBytes("hello, group"), new IPEndPoint(group, port));
    foreach (var (name, member) in new[] { ("alice", alice), ("bob", bob) })
    {
        using var datagram = await member.ReceiveAsync();
        Console.WriteLine($"{name}: received \"{Encoding.UTF8.GetString(datagram.Payload.Span)}\" from {datagram.RemoteEndPoint}");
    }
}

static async Task TlsEchoAsync()
{
    Console.WriteLine("== TLS: the same connection type, encrypted; the client pins the server's certificate");
    var certificate = SampleTls.CreateSelfSigned();
    var serverOptions = new SocketServerOptions { Tls = new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = certificate } };
    await using var server = new SocketServer(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
    {
        var read = await connection.Transport.Input.ReadAsync(stopping);
        var text = Encoding.UTF8.GetString(read.Buffer.ToArray());
        connection.Transport.Input.AdvanceTo(read.Buffer.End);
        await connection.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes(text.ToUpperInvariant()), stopping);
    }, serverOptions);
    await server.StartAsync();
    Console.WriteLine($"server: listening on {server.EndPoint}, certificate sha256 {SampleTls.Fingerprint(certificate)[..16]}...");

    await using var client = await SocketConnector.ConnectAsync("localhost", ((IPEndPoint)server.EndPoint).Port, new SocketConnectorOptions { Tls = SampleTls.Client(SampleTls.Fingerprint(certificate)) });
    await client.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes("whisper"));
    var reply = await client.Transport.Input.ReadAsync();
    Console.WriteLine($"client: connected over {client.TlsProtocol}, sent \"whisper\", got \"{Encoding.UTF8.GetString(reply.Buffer.ToArray())}\"");
    client.Transport.Input.AdvanceTo(reply.Buffer.End);
}

static async Task FramingAsync()
{
    Console.WriteLine("== Framing: Java writeUTF messages and text lines over TCP, found whole however they arrive");
    await using var utfServer = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), JavaUtfCodec.Instance, async (connection, stopping) =>
    {
        while (true)
        {
            var result = await connection.ReceiveAsync(stopping);
            if (result.IsCompleted)
            {
                return;
            }

            await connection.SendAsync(result.Message.ToArray(), stopping);
        }
    });
    await utfServer.StartAsync();
    await using (var client = MessageConnection.Create(await SocketConnector.ConnectAsync(utfServer.EndPoint), JavaUtfCodec.Instance))
    {
        foreach (var text in new[] { "Hello, Java", "a\0b", "日本 😀" })
        {
            var encoded = new ArrayBufferWriter<byte>();
            JavaUtfCodec.WriteString(text, encoded);
            await client.SendAsync(encoded.WrittenMemory[2..]);
            var reply = await client.ReceiveAsync();
            Console.WriteLine($"writeUTF: sent {Convert.ToHexString(encoded.WrittenSpan)}, echoed \"{JavaUtfCodec.ReadString(reply.Message).Replace("\0", "\\0", StringComparison.Ordinal)}\"");
        }
    }

    var lines = new LineCodec(new LineCodecOptions { Terminator = LineTerminator.CrLf });
    await using var lineServer = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), lines, async (connection, stopping) =>
    {
        var count = 0;
        while (!(await connection.ReceiveAsync(stopping)).IsCompleted)
        {
            count++;
            await connection.SendAsync(System.Text.Encoding.UTF8.GetBytes($"line {count} received"), stopping);
        }
    });
    await lineServer.StartAsync();
    await using var lineClient = MessageConnection.Create(await SocketConnector.ConnectAsync(lineServer.EndPoint), lines);
    foreach (var line in new[] { "GET /ocean", "QUIT" })
    {
        await lineClient.SendAsync(System.Text.Encoding.UTF8.GetBytes(line));
        Console.WriteLine($"line: sent \"{line}\\r\\n\", got \"{lines.GetString((await lineClient.ReceiveAsync()).Message)}\"");
    }
}

static async Task MarshallingAsync()
{
    Console.WriteLine("== Marshalling: CORBA CDR, byte for byte what omniORB writes, and object graphs with shared references");
    var person = new Person("Smith", "London", 1934);
    var cdr = new ArrayBufferWriter<byte>();
    CdrMarshaller.Default.Marshal(person, cdr);
    Console.WriteLine($"cdr: {person} is {Convert.ToHexStringLower(cdr.WrittenSpan)}");

    var codec = new LengthPrefixedCodec();
    await using var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), codec, async (connection, stopping) =>
    {
        var people = new MessageChannel<Person>(connection, CdrMarshaller.Default);
        await foreach (var received in people.ReceiveAllAsync(stopping))
        {
            await people.SendAsync(received with { Year = received.Year + 1 }, stopping);
        }
    });
    await server.StartAsync();
    await using (var channel = new MessageChannel<Person>(MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec), CdrMarshaller.Default))
    {
        await channel.SendAsync(person);
        Console.WriteLine($"channel: sent {person}, got back {await channel.ReceiveAsync()}");
    }

    // Object graphs: two teams share one captain; the graph marshaller keeps the sharing (CDR would copy her).
    var registry = new GraphTypeRegistry().Register<Person>("demo.Person").Register<Team>("demo.Team");
    var graph = new GraphMarshaller(registry);
    var captain = new Person("Ada", "London", 1815);
    var teams = new List<Team> { new("Analytical", captain), new("Engines", captain) };
    var bytes = new ArrayBufferWriter<byte>();
    graph.Marshal(teams, bytes);
    var back = graph.Unmarshal<List<Team>>(new ReadOnlySequence<byte>(bytes.WrittenMemory));
    Console.WriteLine($"graph: {teams.Count} teams in {bytes.WrittenCount} bytes; one captain object after reading: {ReferenceEquals(back[0].Captain, back[1].Captain)}");
}

static async Task RemotingAsync()
{
    Console.WriteLine("== Remoting: a remote method call that looks local; errors say whether the method ran");
    var serverOptions = new RemotingServerOptions();
    serverOptions.Interceptors.Add(new PrintCalls());
    await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), serverOptions);
    server.Export<ICalculator>(new Calculator(), "calculator");
    await server.StartAsync();
    Console.WriteLine($"server: exported a Calculator as \"calculator\", listening on {server.EndPoint}");

    await using var client = await RemotingClient.ConnectAsync(server.EndPoint, new RemotingClientOptions { DefaultDeadline = TimeSpan.FromSeconds(10) });
    var calculator = client.GetProxy<ICalculator>("calculator"); // the shared interface: the same type on both sides
    Console.WriteLine($"client: AddAsync(2, 3) = {await calculator.AddAsync(2, 3)}");
    Console.WriteLine($"client: EchoAsync(\"Hello, Ocean\") = \"{await calculator.EchoAsync("Hello, Ocean")}\"");
    try
    {
        await calculator.DivideAsync(1, 0);
    }
    catch (RemotingException ex)
    {
        Console.WriteLine($"client: DivideAsync(1, 0) failed: {ex.Status}, completion {ex.Completion} (it ran), remote type {ex.RemoteTypeName}");
    }

    using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
    try
    {
        await calculator.SlowSumAsync(1000, cancel.Token); // 10 s of work: the token's cancel travels to the server
    }
    catch (RemotingException ex)
    {
        Console.WriteLine($"client: SlowSumAsync(1000) cancelled after 200 ms: {ex.Status}, completion {ex.Completion} (it may have run)");
    }

    using (RemoteCallScope.WithDeadline(TimeSpan.FromMilliseconds(300)))
    {
        try
        {
            await calculator.SlowSumAsync(1000, CancellationToken.None); // the deadline travels with the request
        }
        catch (RemotingException ex)
        {
            Console.WriteLine($"client: SlowSumAsync(1000) with a 300 ms deadline: {ex.Status}");
        }
    }
}

static async Task RemotingOverUdpAsync()
{
    Console.WriteLine("== Remoting over UDP: one request per datagram, retransmitted through 30% loss each way; the server runs each call once");
    await using var server = new RemotingServer(new RemotingServerOptions { UdpEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }); // UDP only
    server.Export<ICalculator>(new Calculator(), "calculator");
    await server.StartAsync();
    Console.WriteLine($"server: exported a Calculator as \"calculator\", udp on {server.UdpEndPoint}");

    // The client's own datagrams pass through a seeded fault injector (the same seed, the same losses).
    var lossy = new FaultInjectingConnection(MessageConnection.Create(await DatagramSocket.ConnectAsync(server.UdpEndPoint)), new FaultInjectionOptions
    {
        Seed = 7,
        Outgoing = FaultRates.Loss(0.3),
        Incoming = FaultRates.Loss(0.3),
    });
    await using var client = await RemotingClient.ConnectAsync(lossy, new RemotingClientOptions // an unreliable connection: calls over datagrams
    {
        RetransmitInterval = TimeSpan.FromMilliseconds(100), // doubling up to 1 s; 10 attempts: 0.51^10, about 0.1% of calls fail at this loss
        MaxRetransmitInterval = TimeSpan.FromSeconds(1),
        MaxAttempts = 10,
        DefaultDeadline = TimeSpan.FromSeconds(10),
    });
    var calculator = client.GetProxy<ICalculator>("calculator");
    for (var i = 1; i <= 8; i++)
    {
        var before = client.Retransmissions;
        var sum = await calculator.AddAsync(i, i);
        Console.WriteLine($"client: AddAsync({i}, {i}) = {sum} after {client.Retransmissions - before} retransmission(s)");
    }

    var faults = lossy.Statistics;
    var seen = server.DatagramStatistics;
    Console.WriteLine($"client: {client.Retransmissions} retransmissions; the injector dropped {faults.SentDropped} of {faults.Sent} datagrams sent and {faults.ReceivedDropped} of {faults.Received} received");
    Console.WriteLine($"server: ran {seen.Calls} calls; answered {seen.Replayed} copies from its reply cache without running them again");
}

static async Task TranscriptAsync()
{
    Console.WriteLine("== Remote Transcript (the Pharo lecture's): each client passes its own transcript by reference, the server calls it back");
    var timeout = TimeSpan.FromSeconds(5);
    await using var hub = new TranscriptHub(line => Console.WriteLine($"server: {line}"), showTimeout: timeout);
    await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
    server.Export<ITranscriptServer>(hub, ITranscriptServer.ExportName);
    await server.StartAsync();
    Console.WriteLine($"server: exported a TranscriptHub as \"{ITranscriptServer.ExportName}\", listening on {server.EndPoint}");

    var options = new RemotingClientOptions { DefaultDeadline = TimeSpan.FromSeconds(10) };
    await using var alice = await RemotingClient.ConnectAsync(server.EndPoint, options);
    var bob = await RemotingClient.ConnectAsync(server.EndPoint, options); // goes away below without unregistering
    var aliceServer = alice.GetProxy<ITranscriptServer>(ITranscriptServer.ExportName);
    var bobServer = bob.GetProxy<ITranscriptServer>(ITranscriptServer.ExportName);
    var aliceTranscript = new PrintingTranscript(line => Console.WriteLine($"alice's transcript: {line}"));
    var bobTranscript = new PrintingTranscript(line => Console.WriteLine($"bob's transcript: {line}"));

    // [Remote] on ITranscript: the objects stay in the clients; the server gets proxies that call back over each client's connection.
    var aliceRegistration = await aliceServer.RegisterAsync("alice", aliceTranscript);
    await bobServer.RegisterAsync("bob", bobTranscript);

    // Each line is awaited on both transcripts before the next is sent, so the printout reads in order.
    foreach (var (proxy, sender, text) in new[] { (aliceServer, "alice", "Hello from Pharo"), (bobServer, "bob", "Hello from C#") })
    {
        var shown = Task.WhenAll(aliceTranscript.Expect(sender, text), bobTranscript.Expect(sender, text));
        await proxy.SendAsync(sender, text);
        await shown.WaitAsync(timeout);
    }

    Console.WriteLine($"client alice: LinesAsync() = [{string.Join(", ", await aliceServer.LinesAsync())}]");

    // Bob's client goes away without unregistering: the server's next call on his transcript fails, and it drops it.
    await bob.DisposeAsync();
    Console.WriteLine("client bob: disconnected without unregistering");
    var stillThere = aliceTranscript.Expect("alice", "Still there?");
    await aliceServer.SendAsync("alice", "Still there?");
    await stillThere.WaitAsync(timeout);
    for (var waited = 0; hub.Count > 1 && waited < 5000; waited += 20)
    {
        await Task.Delay(20); // bounded: the drop is printed by bob's queue, as soon as its call fails
    }

    await aliceServer.UnregisterAsync(aliceRegistration);
}

/// <summary>A server interceptor for the remoting part of the tour: prints each call as the server receives it.</summary>
internal sealed class PrintCalls : IRemoteServerInterceptor
{
    public ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next)
    {
        var deadline = context.Deadline is { } d ? $", deadline in {(d - DateTimeOffset.UtcNow).TotalSeconds:F1} s" : string.Empty;
        Console.WriteLine($"server: {context.ObjectName}.{context.Method.Name} from {context.PeerEndPoint}{deadline}");
        return next(context);
    }
}

/// <summary>A team with a captain, for the object-graph part of the tour.</summary>
public sealed record Team(string Name, Person Captain);
