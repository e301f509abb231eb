// A line echo server for netcat, telnet or a Pharo SocketStream: reads lines ending in LF or CR LF
// (Pharo's sendCommand: writes CR LF) and answers each with "echo: <line>" ending in LF (nextLineLf reads it).
// Usage: dotnet run --project samples/LineEchoServer -- [--host 127.0.0.1] [--port 12345]
// Try:   printf 'hello\n' | nc -q1 127.0.0.1 12345
using System.Buffers;
using System.Net;
using Ocean.Framing;
using Ocean.Samples;

try
{
    var options = SampleArgs.Parse(args);
    var stop = Shutdown.OnCtrlC();
    var codec = new LineCodec(new LineCodecOptions { Terminator = LineTerminator.Lf, MaxLineLength = 4096 });
    await using var server = MessageServer.ForStream(
        new IPEndPoint(IPAddress.Parse(options.Host), options.Port(12345)),
        codec,
        async (connection, stopping) =>
        {
            Console.WriteLine($"{connection.RemoteEndPoint}: connected");
            while (true)
            {
                var result = await connection.ReadAsync(stopping);
                if (result.IsCompleted)
                {
                    break;
                }

                var line = codec.GetString(result.Message);
                Console.WriteLine($"{connection.RemoteEndPoint}: {line}");
                await connection.SendAsync((codec, line), static (state, output) =>
                {
                    var bytes = state.codec.Options.Encoding.GetBytes("echo: " + state.line);
                    output.Write(bytes);
                }, stopping);
            }

            Console.WriteLine($"{connection.RemoteEndPoint}: closed");
        });
    await server.StartAsync(stop);
    var bound = (IPEndPoint)server.EndPoint;
    Console.WriteLine($"listening on {bound.Address}:{bound.Port}");
    await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine("stopping");
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or FormatException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
