using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Ocean.Benchmarks.TcpEcho;
using Ocean.Framing;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// <c>Ocean.Benchmarks serve --kind K --port P</c>: one echo server in this process, on 127.0.0.1. The
/// first line on stdout is the bound port; the process then serves until SIGTERM or SIGINT, or until
/// --max-seconds have passed (so a forgotten server cannot outlive the benchmark by long), and prints
/// a second line, <c>allocated N</c>: the bytes it allocated while serving.
/// </summary>
internal static class ServeCommand
{
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static readonly Dictionary<string, (string Protocol, string Description, Func<IPEndPoint, IEchoServer> Create)> Kinds = new()
    {
        ["ocean-transport"] = ("tcp", "Ocean.Transport SocketServer, length-prefixed frames parsed by hand over the pipes", ep => new OceanTransportFrameServer(ep)),
        ["ocean-framing-lp"] = ("tcp", "Ocean.Framing MessageServer.ForStream + LengthPrefixedCodec (4-byte big-endian), echo each message", ep => OceanMessageEchoServer.ForStream(ep, new LengthPrefixedCodec())),
        ["ocean-framing-line"] = ("tcp", "Ocean.Framing MessageServer.ForStream + LineCodec (LF), echo each line", ep => OceanMessageEchoServer.ForStream(ep, new LineCodec())),
        ["ocean-udp-framing"] = ("udp", "Ocean.Framing MessageServer.ForDatagrams, echo each datagram", OceanMessageEchoServer.ForDatagrams),
        ["ocean-udp-socket"] = ("udp", "Ocean.Transport DatagramSocket: receive into a buffer, SendAsync back", ep => new OceanDatagramSocketEchoServer(ep)),
        ["raw"] = ("tcp", "raw async Socket server parsing the length-prefixed frames, one send per receive", ep => new RawFrameServer(ep)),
        ["raw-inline"] = ("tcp", $"the raw server with {InlineCompletionsVariable}=1", ep => new RawFrameServer(ep)),
        ["raw-udp"] = ("udp", "raw Socket, ReceiveFromAsync/SendToAsync with a reused SocketAddress", ep => new RawUdpEchoServer(ep)),
        ["kestrel"] = ("tcp", "Kestrel ConnectionHandler, the same hand-parsed framed echo over its pipes", ep => new KestrelFrameServer(ep)),

        // Remote calls (issue 12), driven by `rpcload --kind K`: these servers count the calls they serve.
        ["rpc-raw"] = ("rpc", "remote-call limit: raw async Socket, hand-written request-reply frames (id, op, ints or UTF-8), pipelined, one send per receive", ep => new RawRpcServer(ep)),
        ["rpc-http"] = ("http", "ASP.NET Core minimal API on Kestrel, HTTP/1.1: GET /add?a=&b=, POST /echo (JSON)", ep => new HttpRpcServer(ep)),

        ["rpc-ocean-cdr"] = ("rpc", "Ocean.Remoting RemotingServer, CDR marshaller, RpcBenchService exported as \"bench\"", ep => new OceanRpcServer(ep, graph: false)),
        ["rpc-ocean-cdr-inline"] = ("rpc", "the rpc-ocean-cdr server (its client kind turns InlineContinuations on)", ep => new OceanRpcServer(ep, graph: false)),
        ["rpc-ocean-graph"] = ("rpc", "Ocean.Remoting RemotingServer, object-graph marshaller, RpcBenchService exported as \"bench\"", ep => new OceanRpcServer(ep, graph: true)),

        // Remote calls over UDP (issue 14): the port printed is the UDP port.
        ["rpc-raw-udp"] = ("rpc-udp", "remote-call limit over UDP: raw Socket, one request datagram, one reply datagram, ReceiveFromAsync/SendToAsync with a reused SocketAddress", ep => new RawUdpRpcServer(ep)),
        ["rpc-ocean-udp"] = ("rpc-udp", "Ocean.Remoting RemotingServer with only RemotingServerOptions.UdpEndPoint, CDR, RpcBenchService exported as \"bench\"", ep => new OceanRpcServer(ep, graph: false, udp: true)),
        ["rpc-ocean-udp-idem"] = ("rpc-udp", "the rpc-ocean-udp server (its client kind calls the [Idempotent] methods)", ep => new OceanRpcServer(ep, graph: false, udp: true)),
    };

    public static string Usage =>
        "Usage: Ocean.Benchmarks serve --kind KIND [--port 0] [--max-seconds 3600]\n\n" +
        "Prints the bound port as the first line on stdout; serves on 127.0.0.1 until SIGTERM/SIGINT, then\nprints 'allocated N' (bytes allocated while serving) as the second line and, for the rpc kinds,\n'calls N' (calls served) as the third.\nKinds:\n" +
        string.Join('\n', Kinds.Select(k => $"  {k.Key,-20} {k.Value.Protocol}  {k.Value.Description}"));

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        string? kind = null;
        var port = 0;
        var maxSeconds = 3600.0;
        for (var i = 0; i < args.Count; i++)
        {
            if (i + 1 >= args.Count)
            {
                return Fail($"{args[i]} needs a value.");
            }

            switch (args[i])
            {
                case "--kind":
                    kind = args[++i];
                    break;
                case "--port" when int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535:
                    i++;
                    break;
                case "--max-seconds" when double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out maxSeconds) && maxSeconds is > 0 and <= 86_400:
                    i++;
                    break;
                default:
                    return Fail($"Bad serve argument '{args[i]} {args[i + 1]}'.");
            }
        }

        if (kind is null || !Kinds.TryGetValue(kind, out var entry))
        {
            return Fail($"Unknown or missing --kind '{kind}'.");
        }

        // A server labelled inline that does not run inline would be a lie in the table.
        if (kind == "raw-inline" && Environment.GetEnvironmentVariable(InlineCompletionsVariable) != "1")
        {
            return Fail($"The raw-inline kind needs {InlineCompletionsVariable}=1 in its environment.");
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });

        var server = entry.Create(new IPEndPoint(IPAddress.Loopback, port));
        await using (server)
        {
            await server.StartAsync(CancellationToken.None);
            Console.Out.WriteLine(((IPEndPoint)server.EndPoint).Port.ToString(CultureInfo.InvariantCulture));
            Console.Out.Flush();
            Console.Error.WriteLine($"serve: {kind} ({entry.Description}) on {server.EndPoint}, pid {Environment.ProcessId}");
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var workItemsBefore = ThreadPool.CompletedWorkItemCount;
            await Task.WhenAny(stop.Task, Task.Delay(TimeSpan.FromSeconds(maxSeconds)));

            // The second stdout line: what serving allocated (connections' set-up included), for bytes per message.
            Console.Out.WriteLine($"allocated {GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore}");
            if (server is ICallCountingServer counting)
            {
                // The third line, for the rpc kinds: the calls served, so that bytes per call divide by what the server did.
                Console.Out.WriteLine($"calls {counting.CallsServed}");
            }

            Console.Error.WriteLine($"serve: thread pool work items {ThreadPool.CompletedWorkItemCount - workItemsBefore}, threads {ThreadPool.ThreadCount}");
            Console.Out.Flush();
        }

        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        Console.Error.WriteLine(Usage);
        return 2;
    }
}
