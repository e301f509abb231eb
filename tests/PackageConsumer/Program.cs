// A program that uses Ocean from its NuGet packages: a remote call, a CDR round trip and a framed echo, on loopback.
// Exits 0 and prints "consumer: ok" when all three work; 1 with "error: ..." otherwise.
using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting;
using Ocean.Transport;

try
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

    // Ocean.Remoting: a proxy call over TCP.
    await using (var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0)))
    {
        server.Export<IGreeter>(new Greeter(), "greeter");
        await server.StartAsync(timeout.Token);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint, cancellationToken: timeout.Token);
        var greeting = await client.GetProxy<IGreeter>("greeter").GreetAsync("package");
        Check(greeting == "hello, package", $"remote call returned '{greeting}'");
        Console.WriteLine($"remote call: {greeting}");
    }

    // Ocean.Marshalling: CDR bytes of a struct and back.
    var buffer = new ArrayBufferWriter<byte>();
    CdrMarshaller.Default.Marshal(new Person("Smith", "London", 1934), buffer);
    var person = CdrMarshaller.Default.Unmarshal<Person>(new ReadOnlySequence<byte>(buffer.WrittenMemory));
    Check(person == new Person("Smith", "London", 1934) && buffer.WrittenCount == 28, $"CDR round trip gave {person} in {buffer.WrittenCount} bytes");
    Console.WriteLine($"CDR round trip: {person} in {buffer.WrittenCount} bytes");

    // Ocean.Framing over Ocean.Transport: a length-prefixed echo.
    var codec = new LengthPrefixedCodec();
    await using (var echo = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), codec, async (connection, stopping) =>
    {
        while (true)
        {
            var received = await connection.ReceiveAsync(stopping);
            if (received.IsCompleted)
            {
                return;
            }

            await connection.SendAsync(received.Message, stopping);
        }
    }))
    {
        await echo.StartAsync(timeout.Token);
        await using var connection = MessageConnection.Create(await SocketConnector.ConnectAsync(echo.EndPoint, cancellationToken: timeout.Token), codec);
        await connection.SendAsync("framed"u8.ToArray(), timeout.Token);
        var reply = await connection.ReceiveAsync(timeout.Token);
        var text = System.Text.Encoding.UTF8.GetString(reply.Message.ToArray());
        Check(text == "framed", $"framed echo returned '{text}'");
        Console.WriteLine($"framed echo: {text}");
    }

    Console.WriteLine("consumer: ok");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
    return 1;
}

static void Check(bool condition, string what)
{
    if (!condition)
    {
        throw new InvalidOperationException(what);
    }
}

/// <summary>The remote interface both sides compile.</summary>
public interface IGreeter
{
    Task<string> GreetAsync(string name);
}

/// <summary>The exported object.</summary>
public sealed class Greeter : IGreeter
{
    public Task<string> GreetAsync(string name) => Task.FromResult($"hello, {name}");
}

/// <summary>A CDR struct: three fields, marshalled in declaration order.</summary>
public sealed record Person(string Name, string Place, int Year);
