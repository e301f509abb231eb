// Sends a Person marshalled as CORBA CDR over TCP, prints the bytes both ways and the reply.
// Usage: dotnet run --project samples/CdrPersonClient -- [--host 127.0.0.1] [--port 7900] [--message "Smith,London,1934"]
// Exits 0 when the reply is the Person sent, 1 with a one-line error otherwise.
using Ocean;
using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Samples;
using Ocean.Transport;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--message=");
    var person = Person.Parse(options.Message ?? "Smith,London,1934");
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    var connection = await SocketConnector.ConnectAsync(options.Host, options.Port(7900), cancellationToken: timeout.Token);
    await using var channel = new MessageChannel<Person>(MessageConnection.Create(connection, new LengthPrefixedCodec()), CdrMarshaller.Default);

    var sent = new ArrayBufferWriter<byte>();
    CdrMarshaller.Default.Marshal(person, sent);
    Console.WriteLine($"sending {person}");
    Console.WriteLine($"  {sent.WrittenCount} bytes of CDR: {Convert.ToHexStringLower(sent.WrittenSpan)}");
    await channel.SendAsync(person, timeout.Token);

    var reply = await channel.ReceiveAsync(timeout.Token);
    Console.WriteLine($"received {reply}");
    if (reply != person)
    {
        Console.Error.WriteLine("error: the reply differs from the Person sent");
        return 1;
    }

    return 0;
}
catch (Exception ex) when (ex is OceanException or ArgumentException or OperationCanceledException or IOException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
