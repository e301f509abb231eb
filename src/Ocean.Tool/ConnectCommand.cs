using System.Security.Authentication;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Tool;

/// <summary><c>ocean connect</c>: send frames to a server and print what comes back.</summary>
internal static class ConnectCommand
{
    private const string Help = """
        usage: ocean connect HOST:PORT [--udp] [--framing KIND] [--prefix SIZE] [--little-endian] [--hex|--both]
                             [--send TEXT ...] [--timeout SECONDS] [--tls [--sni NAME] [--pin SHA256|--ca FILE|--insecure]]

        Connects (TCP, or UDP with --udp) and prints each frame received, one line per frame.
        With --send (repeatable): sends each value as one frame and waits for one reply to each; exits 0 when
        every reply came, 1 when the peer closed first or a reply took longer than --timeout.
        Without --send: sends each line of standard input as one frame (with --framing raw, the line and an LF);
        ends (exit 0) when the peer closes, or once input has ended and nothing has come for --timeout.
        Ctrl+C ends it: exit 0, or 130 while --send is waiting.

        options:
          --send TEXT           a frame to send (hex bytes with --hex); give it once per frame
          --timeout SECONDS     how long to wait for the connection (and TLS handshake) and for each reply (default 5)

        """ + FrameSettings.Help + "\n" + TlsOptions.ConnectHelp;

    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        var line = CommandLine.Parse(
            "connect",
            args,
            [.. FrameSettings.Flags, .. TlsOptions.ConnectFlags],
            [.. FrameSettings.Valued, .. TlsOptions.ConnectValued, "--send", "--timeout"]);
        if (line.Help)
        {
            Program.WriteHelp(Help);
            return Program.Success;
        }

        if (line.Positional.Count != 1)
        {
            throw new UsageException(line.Positional.Count == 0
                ? "connect needs HOST:PORT (see ocean connect --help)"
                : $"unexpected argument '{line.Positional[1]}' (see ocean connect --help)");
        }

        var (host, port) = CommandLine.ParseHostPort(line.Positional[0]);
        var settings = FrameSettings.From(line);
        var timeout = CommandLine.ParseTimeout(line.Get("--timeout"));
        var sends = line.All("--send").Select(settings.Parse).ToArray();
        var tls = TlsOptions.ForConnect(line, settings.Udp);

        await using var channel = await OpenAsync(host, port, settings, tls, timeout, stop);
        return sends.Length > 0
            ? await ExchangeAsync(channel, settings, sends, timeout, stop)
            : await InteractiveAsync(channel, settings, timeout, stop);
    }

    private static async Task<FrameChannel> OpenAsync(string host, int port, FrameSettings settings, ClientTls? tls, TimeSpan timeout, CancellationToken stop)
    {
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(stop);
        connecting.CancelAfter(timeout);
        try
        {
            if (settings.Udp)
            {
                var socket = await DatagramSocket.ConnectAsync(host, port, null, connecting.Token);
                return FrameChannel.Over(MessageConnection.Create(socket));
            }

            var options = new SocketConnectorOptions { Tls = tls?.Options, ConnectTimeout = Timeout.InfiniteTimeSpan }; // --timeout applies
            var connection = await SocketConnector.ConnectAsync(host, port, options, connecting.Token);
            return settings.Codec is { } codec ? FrameChannel.Over(MessageConnection.Create(connection, codec)) : FrameChannel.Raw(connection);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            throw new ExchangeException(tls is null
                ? $"could not connect to {host}:{port} within {timeout.TotalSeconds:0.###} s"
                : $"could not connect to {host}:{port} and finish the TLS handshake within {timeout.TotalSeconds:0.###} s (is it a TLS server?)");
        }
        catch (Exception ex) when (tls is not null && ex is AuthenticationException or IOException or (OceanException and not ConnectException))
        {
            var reason = tls.Refusal is { } refusal
                ? "the server's certificate was refused: " + refusal
                : Reasons(ex) + " (is it a TLS server?)";
            throw new ExchangeException($"TLS handshake with {host}:{port} failed: {reason}");
        }
    }

    /// <summary>The messages of an exception and its inner ones, less the ones that only point to the next ("see inner exception").</summary>
    private static string Reasons(Exception ex)
    {
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (!e.Message.Contains("inner exception", StringComparison.OrdinalIgnoreCase))
            {
                messages.Add(e.Message.ReplaceLineEndings(" ").TrimEnd('.'));
            }
        }

        return messages.Count > 0 ? string.Join(": ", messages.Distinct()) : ex.GetType().Name;
    }

    private static async Task<int> ExchangeAsync(FrameChannel channel, FrameSettings settings, byte[][] sends, TimeSpan timeout, CancellationToken stop)
    {
        foreach (var frame in sends)
        {
            await channel.SendAsync(frame, stop);
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
            waiting.CancelAfter(timeout);
            byte[]? reply;
            try
            {
                reply = await channel.ReceiveAsync(waiting.Token);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                throw new ExchangeException($"no reply within {timeout.TotalSeconds:0.###} s");
            }

            if (reply is null)
            {
                throw new ExchangeException("the peer closed the connection before replying");
            }

            Console.Out.WriteLine(settings.Format(reply));
        }

        return Program.Success;
    }

    private static async Task<int> InteractiveAsync(FrameChannel channel, FrameSettings settings, TimeSpan timeout, CancellationToken stop)
    {
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var inputEnded = false;
        var receiver = Task.Run(async () =>
        {
            try
            {
                while (await channel.ReceiveAsync(receiving.Token) is { } frame)
                {
                    Console.Out.WriteLine(settings.Format(frame));
                    if (Volatile.Read(ref inputEnded))
                    {
                        receiving.CancelAfter(timeout); // quiet for --timeout after the input ended: done
                    }
                }
            }
            catch (OperationCanceledException) when (receiving.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);

        try
        {
            var stopped = Task.Delay(Timeout.Infinite, stop);
            while (true)
            {
                // Console.In reads synchronously, so on its own thread: the peer closing, or Ctrl+C, ends the command
                // even while standard input is still open (a read left pending does not keep the process alive).
                var reading = Task.Run(Console.In.ReadLine, CancellationToken.None);
                if (await Task.WhenAny(reading, receiver, stopped) != reading || await reading is not { } text)
                {
                    break;
                }

                byte[] frame;
                try
                {
                    frame = settings.Codec is null && !settings.Udp && !settings.Hex ? settings.Parse(text + "\n") : settings.Parse(text);
                }
                catch (UsageException ex)
                {
                    // One bad line (too long for the prefix, bad hex) is not the session's end: the others go, as in multicast.
                    Console.Error.WriteLine("warning: not sent: " + ex.Message);
                    continue;
                }

                await channel.SendAsync(frame, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        Volatile.Write(ref inputEnded, true);
        receiving.CancelAfter(timeout);
        await receiver;
        return Program.Success;
    }
}
