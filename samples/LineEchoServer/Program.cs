// A line echo server for netcat, telnet or a Pharo SocketStream: reads lines ending in LF or CR LF
// (Pharo's sendCommand: writes CR LF) and answers each with "echo: <line>" ending in LF (nextLineLf reads it).
// Lines are up to 4,096 bytes; a CR inside a line (not before its LF) comes back as the two characters \r,
// since a line cannot carry one. A longer line, or bytes after the last LF when the client closes, end the
// connection, and the server prints why.
// Usage: dotnet run --project samples/LineEchoServer -- [--host 127.0.0.1] [--port 12345]
// Try:   printf 'hello\n' | nc -q1 127.0.0.1 12345
using Ocean;
using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Samples;
using Ocean.Transport;

const int MaxLineBytes = 4096;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=");
    var stop = Shutdown.OnCtrlC();

    // The codec's limit bounds the lines it writes as well as those it reads, so it leaves room for the echo
    // of the longest line: the prefix, and every byte written twice (a CR becomes \r). The sample itself holds
    // lines read to MaxLineBytes.
    var codec = new LineCodec(new LineCodecOptions { Terminator = LineTerminator.Lf, MaxLineLength = "echo: "u8.Length + (2 * MaxLineBytes) });
    await using var server = MessageServer.ForStream(
        new IPEndPoint(options.ListenAddress, options.Port(12345)),
        codec,
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

                    if (result.Message.Length > MaxLineBytes)
                    {
                        Console.WriteLine($"{peer}: dropped (a line of {result.Message.Length} bytes is longer than the maximum of {MaxLineBytes})");
                        return;
                    }

                    Console.WriteLine($"{peer}: {codec.GetString(result.Message).Replace("\r", "\\r", StringComparison.Ordinal)}");
                    await connection.SendAsync(result.Message, static (line, output) =>
                    {
                        // The line's own bytes after the prefix, so whatever arrived comes back unchanged
                        // (no round trip through text), except a CR, which a line cannot carry.
                        output.Write("echo: "u8);
                        foreach (var segment in line)
                        {
                            var rest = segment.Span;
                            for (var cr = rest.IndexOf((byte)'\r'); cr >= 0; cr = rest.IndexOf((byte)'\r'))
                            {
                                output.Write(rest[..cr]);
                                output.Write("\\r"u8);
                                rest = rest[(cr + 1)..];
                            }

                            output.Write(rest);
                        }
                    }, stopping);
                }
            }
            catch (FramingException ex) when (ex.Error == FramingError.LineTooLong)
            {
                // The codec's own limit is the larger one above; say the sample's.
                Console.WriteLine($"{peer}: dropped (a line longer than the maximum of {MaxLineBytes} bytes)");
                return;
            }
            catch (Exception ex) when (SampleErrors.EndsConnection(ex, stopping))
            {
                Console.WriteLine($"{peer}: {SampleErrors.Describe(ex, stopping)}");
                return;
            }

            Console.WriteLine($"{peer}: closed");
        });
    await server.StartAsync(stop);
    Console.WriteLine($"listening on {server.EndPoint}"); // IPEndPoint writes IPv6 as [::1]:12345
    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine("stopping");
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or FormatException or System.Net.Sockets.SocketException or OceanException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
