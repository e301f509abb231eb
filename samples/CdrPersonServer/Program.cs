// Receives Person records marshalled as CORBA CDR (big-endian) in 4-byte length-prefixed frames over TCP,
// prints the bytes that crossed the wire and the decoded value, and answers with the same Person.
// Usage: dotnet run --project samples/CdrPersonServer -- [--host 127.0.0.1] [--port 7900]
using Ocean;
using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Samples;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=");
    var stop = Shutdown.OnCtrlC();
    await using var server = MessageServer.ForStream(
        new IPEndPoint(options.ListenAddress, options.Port(7900)),
        new LengthPrefixedCodec(),
        async (connection, stopping) =>
        {
            var peer = connection.RemoteEndPoint;
            Console.WriteLine($"{peer}: connected");
            try
            {
                while (true)
                {
                    var result = await connection.ReceiveAsync(stopping);
                    if (result.IsCompleted)
                    {
                        break;
                    }

                    var bytes = result.Message.ToArray();
                    Console.WriteLine($"{peer}: {bytes.Length} bytes  {Convert.ToHexStringLower(bytes)}");
                    var person = CdrMarshaller.Default.Unmarshal<Person>(result.Message);
                    Console.WriteLine($"{peer}: {person}");
                    await connection.SendAsync(person, static (p, output) => CdrMarshaller.Default.Marshal(p, output), stopping);
                }
            }
            catch (Exception ex) when (SampleErrors.EndsConnection(ex, stopping))
            {
                Console.WriteLine($"{peer}: {SampleErrors.Describe(ex, stopping)}");
                return;
            }

            Console.WriteLine($"{peer}: closed");
        });
    await server.StartAsync(stop);
    Console.WriteLine($"listening on {server.EndPoint}"); // IPEndPoint writes IPv6 as [::1]:7900
    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine("stopping");
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or FormatException or System.Net.Sockets.SocketException or Ocean.OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
