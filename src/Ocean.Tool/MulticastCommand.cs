using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Ocean.Transport;

namespace Ocean.Tool;

/// <summary><c>ocean multicast</c>: join a group, print each datagram sent to it, send datagrams to it.</summary>
internal static class MulticastCommand
{
    private const string Help = """
        usage: ocean multicast GROUP:PORT [--interface NIC] [--ttl N] [--no-loopback] [--from] [--hex|--both]
                               [--send TEXT ... [--wait SECONDS]]

        Joins the multicast group GROUP (IPv4 224.0.0.0/4, or IPv6 ff00::/8 in brackets: [ff12::1]:7000) on PORT,
        prints "joined GROUP:PORT on NIC" (the real port when PORT is 0, for other members to use), then each
        datagram sent to the group, one line per datagram. Each line of standard input is sent to the group as
        one datagram (a line that is not valid hex with --hex is skipped with a warning). Runs until Ctrl+C or
        SIGTERM (exit 0); the end of standard input does not end it. Datagrams it sent itself are not printed.
        With --send (repeatable): sends each value as one datagram, then exits 0 (after --wait, if given), with
        no "joined" line.

        options:
          --interface NIC       the interface to join on and send from: a name (lo, eth0) or one of its addresses
                                (default: the one the routing table picks; on a host with only lo, give lo)
          --ttl N               hops a datagram may travel, 0 to 255 (default 1: the local network only)
          --no-loopback         this host's other members do not receive what is sent (lo delivers regardless)
          --from                print the sender before each datagram: "127.0.0.1:40000 hello"
          --send TEXT           a datagram to send (hex bytes with --hex); give it once per datagram
          --wait SECONDS        with --send: print what arrives (to the group, or sent back to the sender) for
                                this long after sending, then exit
          --hex                 print datagrams as hex bytes ("68 69"); datagrams sent are hex too
          --both                print datagrams as hex, then " | ", then text
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        var line = CommandLine.Parse(
            "multicast",
            args,
            ["--no-loopback", "--from", "--hex", "--both"],
            ["--interface", "--ttl", "--send", "--wait"]);
        if (line.Help)
        {
            Program.WriteHelp(Help);
            return Program.Success;
        }

        if (line.Positional.Count != 1)
        {
            throw new UsageException(line.Positional.Count == 0
                ? "multicast needs GROUP:PORT (see ocean multicast --help)"
                : $"unexpected argument '{line.Positional[1]}' (see ocean multicast --help)");
        }

        var group = ParseGroup(line.Positional[0]);
        var settings = FrameSettings.ForDatagrams(line.Flag("--hex"), line.Flag("--both"));
        var nic = ParseInterface(line.Get("--interface"));
        var ttl = ParseTtl(line.Get("--ttl"));
        var sends = line.All("--send").Select(settings.Parse).ToArray();
        var wait = line.Get("--wait") is { } waitText ? CommandLine.ParseTimeout(waitText, "--wait") : (TimeSpan?)null;
        if (wait is not null && sends.Length == 0)
        {
            throw new UsageException("--wait applies to --send");
        }

        if (sends.Length > 0 && group.Port == 0)
        {
            throw new UsageException("cannot send to port 0: give the group's port");
        }

        if (sends.FirstOrDefault(s => s.Length > DatagramSocket.MaxDatagramSize(group)) is { } tooLong)
        {
            throw new UsageException($"a datagram of {tooLong.Length} bytes is larger than UDP allows ({DatagramSocket.MaxDatagramSize(group)})");
        }

        var any = group.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        DatagramOptions Options(bool reuse) => new()
        {
            ReuseAddress = reuse,
            MulticastInterface = nic,
            MulticastTimeToLive = ttl,
            MulticastLoopback = !line.Flag("--no-loopback"),
        };

        DatagramSocket member;
        DatagramSocket sender;
        try
        {
            // The member shares the group's port with the other members on this host; the sender has a port of its
            // own, so what this command sent can be told from what other members on this host sent.
            member = DatagramSocket.Bind(new IPEndPoint(any, group.Port), Options(reuse: true));
            sender = DatagramSocket.Bind(new IPEndPoint(any, 0), Options(reuse: false));
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message.Split(" (Parameter", 2)[0]);
        }

        await using (member)
        await using (sender)
        {
            try
            {
                member.JoinMulticastGroup(group.Address);
            }
            catch (SocketException ex)
            {
                throw new ExchangeException($"could not join {group.Address} on {nic ?? "the default interface"}: {ex.Message}");
            }

            var destination = new IPEndPoint(group.Address, member.LocalEndPoint.Port);
            if (sends.Length == 0)
            {
                Console.Out.WriteLine($"joined {Format(destination)} on {nic ?? "the default interface"}");
            }

            var own = OwnEndPoints(sender.LocalEndPoint.Port);
            using var receiving = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var receivers = Task.WhenAll(
                Task.Run(() => ReceiveAsync(member, settings, line.Flag("--from"), own, receiving.Token), CancellationToken.None),
                Task.Run(() => ReceiveAsync(sender, settings, line.Flag("--from"), own, receiving.Token), CancellationToken.None));

            try
            {
                if (sends.Length > 0)
                {
                    foreach (var datagram in sends)
                    {
                        await SendAsync(sender, datagram, destination, stop);
                    }

                    if (wait is { } waiting)
                    {
                        await Task.Delay(waiting, stop).ContinueWith(static _ => { }, TaskScheduler.Default);
                    }
                }
                else
                {
                    await SendInputAsync(sender, destination, settings, stop);
                    await Task.Delay(Timeout.Infinite, stop).ContinueWith(static _ => { }, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            finally
            {
                await receiving.CancelAsync();
                await receivers;
            }
        }

        return Program.Success;
    }

    /// <summary>Sends each line of standard input, until it ends or Ctrl+C.</summary>
    private static async Task SendInputAsync(DatagramSocket sender, IPEndPoint destination, FrameSettings settings, CancellationToken stop)
    {
        var stopped = Task.Delay(Timeout.Infinite, stop);
        while (true)
        {
            // Console.In reads synchronously, so on its own thread: Ctrl+C ends the command while a read is pending.
            var reading = Task.Run(Console.In.ReadLine, CancellationToken.None);
            if (await Task.WhenAny(reading, stopped) != reading || await reading is not { } text)
            {
                return;
            }

            byte[] datagram;
            try
            {
                datagram = settings.Parse(text);
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine("warning: not sent: " + ex.Message);
                continue;
            }

            if (datagram.Length > DatagramSocket.MaxDatagramSize(destination))
            {
                Console.Error.WriteLine($"warning: not sent: a datagram of {datagram.Length} bytes is larger than UDP allows");
                continue;
            }

            await SendAsync(sender, datagram, destination, stop);
        }
    }

    private static async ValueTask SendAsync(DatagramSocket sender, byte[] datagram, IPEndPoint destination, CancellationToken stop)
    {
        try
        {
            await sender.SendAsync(datagram, destination, stop);
        }
        catch (SocketException ex)
        {
            throw new ExchangeException($"could not send to {Format(destination)}: {ex.Message}");
        }
    }

    private static async Task ReceiveAsync(DatagramSocket socket, FrameSettings settings, bool from, HashSet<IPEndPoint> own, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var datagram = await socket.ReceiveAsync(cancellationToken);
                var remote = (IPEndPoint)datagram.RemoteEndPoint;
                if (own.Contains(Unmapped(remote)))
                {
                    continue; // this command's own datagram, looped back
                }

                var text = settings.Format(datagram.Payload.Span);
                Console.Out.WriteLine(from ? Format(remote) + " " + text : text);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // An ICMP error from an earlier send, say: reported, and the member goes on.
                Console.Error.WriteLine("warning: " + ex.Message.ReplaceLineEndings(" "));
            }
        }
    }

    /// <summary>Where this command's own datagrams come from: the sender's port on each of this host's addresses.</summary>
    private static HashSet<IPEndPoint> OwnEndPoints(int port)
    {
        var own = new HashSet<IPEndPoint> { new(IPAddress.Loopback, port), new(IPAddress.IPv6Loopback, port) };
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var address in nic.GetIPProperties().UnicastAddresses)
            {
                own.Add(new IPEndPoint(address.Address, port));
            }
        }

        return own;
    }

    private static IPEndPoint Unmapped(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static string Format(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]:{endPoint.Port}" : endPoint.ToString();

    /// <summary>GROUP:PORT, the group a multicast address (IPv6 in brackets), the port 0 for any free one.</summary>
    private static IPEndPoint ParseGroup(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new UsageException($"expected GROUP:PORT (such as 239.1.2.3:7000 or [ff12::1]:7000), not '{text}'");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            throw new UsageException($"write an IPv6 group in brackets, as [ff12::1]:7000, not '{text}'");
        }

        var port = CommandLine.ParsePort(text[(colon + 1)..], "the port");
        if (!IPAddress.TryParse(host, out var address)
            || !(address.AddressFamily == AddressFamily.InterNetworkV6 ? address.IsIPv6Multicast : (address.GetAddressBytes()[0] & 0xF0) == 0xE0))
        {
            throw new UsageException($"'{host}' is not a multicast group address (IPv4 224.0.0.0 to 239.255.255.255, or IPv6 ff00::/8)");
        }

        return new IPEndPoint(address, port);
    }

    /// <summary>An interface's name, given its name or one of its addresses.</summary>
    private static string? ParseInterface(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var nics = NetworkInterface.GetAllNetworkInterfaces();
        if (nics.FirstOrDefault(n => n.Name == text) is { } named)
        {
            return named.Name;
        }

        if (IPAddress.TryParse(text, out var address)
            && nics.FirstOrDefault(n => n.GetIPProperties().UnicastAddresses.Any(a => a.Address.Equals(address))) is { } byAddress)
        {
            return byAddress.Name;
        }

        throw new UsageException($"--interface: no network interface is named or has the address '{text}' (there are: {string.Join(", ", nics.Select(n => n.Name))})");
    }

    private static int ParseTtl(string? text)
    {
        if (text is null)
        {
            return 1;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) && ttl <= 255
            ? ttl
            : throw new UsageException($"--ttl must be a number of hops from 0 to 255, not '{text}'");
    }
}
