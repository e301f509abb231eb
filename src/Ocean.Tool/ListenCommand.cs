using System.Net;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Tool;

/// <summary><c>ocean listen</c>: a TCP or UDP server printing (and with --echo returning) each frame received.</summary>
internal static class ListenCommand
{
    private const string Help = """
        usage: ocean listen [--host H] --port P [--udp] [--framing KIND] [--prefix SIZE] [--little-endian] [--hex|--both] [--echo]
                            [--tls [--cert FILE [--key FILE] [--cert-password P]]]

        Accepts TCP connections (or UDP datagrams with --udp), prints "listening on HOST:PORT" (the real port
        when --port is 0), then each frame received, one line per frame. Runs until Ctrl+C or SIGTERM (exit 0).

        options:
          --host H              the IP address to listen on (default 127.0.0.1)
          --port P              the port, 0 for any free one
          --echo                send every frame back to whoever sent it

        """ + FrameSettings.Help + "\n" + TlsOptions.ListenHelp;

    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        var line = CommandLine.Parse(
            "listen",
            args,
            [.. FrameSettings.Flags, .. TlsOptions.ListenFlags, "--echo"],
            [.. FrameSettings.Valued, .. TlsOptions.ListenValued, "--host", "--port"]);
        if (line.Help)
        {
            Program.WriteHelp(Help);
            return Program.Success;
        }

        if (line.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{line.Positional[0]}' (see ocean listen --help)");
        }

        var portText = line.Get("--port") ?? throw new UsageException("--port is required (0 for any free port)");
        var endPoint = new IPEndPoint(CommandLine.ParseListenAddress(line.Get("--host")), CommandLine.ParsePort(portText, "--port"));
        var settings = FrameSettings.From(line);
        var echo = line.Flag("--echo");
        if (echo && !settings.CanEcho)
        {
            throw new UsageException("--echo needs frames kept whole (--strip 0) to send them back with --length-offset or a partial --strip");
        }

        var tls = TlsOptions.ForListen(line, settings, endPoint.Address);
        var streamOptions = new SocketServerOptions { Tls = tls };

        async ValueTask Serve(FrameChannel channel, string peer, CancellationToken stopping)
        {
            await using (channel)
            {
                try
                {
                    while (await channel.ReceiveAsync(stopping) is { } frame)
                    {
                        Console.Out.WriteLine(settings.Format(frame));
                        if (echo)
                        {
                            await channel.SendAsync(frame, stopping);
                        }
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                }
                catch (Exception ex) when (ex is OceanException or IOException)
                {
                    // One peer's bad bytes or broken connection: the listener goes on.
                    Console.Error.WriteLine($"warning: {peer}: {ex.Message.ReplaceLineEndings(" ")}");
                }
            }
        }

        IAsyncDisposable server;
        EndPoint bound;
        if (settings.Udp)
        {
            var messages = MessageServer.ForDatagrams(endPoint, (c, s) => Serve(FrameChannel.Over(c), c.RemoteEndPoint?.ToString() ?? c.Id, s));
            await messages.StartAsync(stop);
            (server, bound) = (messages, messages.EndPoint);
        }
        else if (settings.Codec is { } codec)
        {
            var messages = MessageServer.ForStream(
                endPoint,
                codec,
                (c, s) => Serve(FrameChannel.Over(c), c.RemoteEndPoint?.ToString() ?? c.Id, s),
                new MessageServerOptions { Stream = streamOptions, LoggerFactory = HandshakeWarnings.Instance });
            await messages.StartAsync(stop);
            (server, bound) = (messages, messages.EndPoint);
        }
        else
        {
            streamOptions.LoggerFactory = HandshakeWarnings.Instance;
            var sockets = new SocketServer(endPoint, (c, s) => Serve(FrameChannel.Raw(c), c.RemoteEndPoint?.ToString() ?? c.Id, s), streamOptions);
            await sockets.StartAsync(stop);
            (server, bound) = (sockets, sockets.EndPoint);
        }

        await using (server)
        {
            Console.Out.WriteLine($"listening on {bound}");
            await Task.Delay(Timeout.Infinite, stop).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        return Program.Success;
    }
}
