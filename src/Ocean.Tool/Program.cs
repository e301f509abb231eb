using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ocean.Tool;

/// <summary>
/// The <c>ocean</c> command. Exit codes: 0 success (and a listener or an interactive connect ended by Ctrl+C or
/// SIGTERM), 1 a failed exchange, 2 a usage mistake, 130 a <c>connect --send</c>, <c>call</c> or <c>names</c> interrupted by Ctrl+C.
/// </summary>
internal static class Program
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;

    private const string MainHelp = """
        ocean: send and receive frames of Ocean's protocols (netcat for framed protocols)

        usage: ocean <command> [options]

        commands:
          listen    accept TCP connections or UDP datagrams and print each frame received
          connect   connect to HOST:PORT, send frames, print each frame received
          call      list what an Ocean server exports (its reflection service) and call a method, arguments in JSON
          names     list the names bound in an Ocean naming service
          cdr       decode CDR bytes as JSON against an inline type (and encode JSON as CDR)
          multicast join GROUP:PORT, print each datagram sent to the group, send datagrams to it

        ocean <command> --help   the command's options
        exit codes: 0 success, 1 a failed exchange, 2 a usage mistake (one "error: ..." line on stderr)
        """;

    // Kept alive here: a registration that is collected stops handling its signal.
    private static PosixSignalRegistration? s_sigint;
    private static PosixSignalRegistration? s_sigterm;

    public static async Task<int> Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        s_sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            // The first Ctrl+C ends the command cleanly; a second one while it is ending ends the process.
            context.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        });
        s_sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        try
        {
            if (args.Length == 0)
            {
                throw new UsageException("no command given (see ocean --help)");
            }

            switch (args[0])
            {
                case "--help" or "-h" or "help":
                    Console.Out.WriteLine(MainHelp);
                    return Success;
                case "listen":
                    return await ListenCommand.RunAsync(args[1..], stop.Token);
                case "connect":
                    return await ConnectCommand.RunAsync(args[1..], stop.Token);
                case "call":
                    return await CallCommand.RunAsync(args[1..], stop.Token);
                case "names":
                    return await NamesCommand.RunAsync(args[1..], stop.Token);
                case "cdr":
                    return CdrCommand.Run(args[1..]);
                case "multicast":
                    return await MulticastCommand.RunAsync(args[1..], stop.Token);
                default:
                    throw new UsageException($"unknown command '{args[0]}' (see ocean --help)");
            }
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message, Usage);
        }
        catch (ExchangeException ex)
        {
            return Fail(ex.Message, Failed);
        }
        catch (Exception ex) when (ex is OceanException or SocketException or IOException or OperationCanceledException)
        {
            if (ex is OperationCanceledException && stop.IsCancellationRequested)
            {
                return Interrupted;
            }

            return Fail(ex.Message, Failed);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever slipped through (a peer's bytes no check foresaw): still one line and exit 1, never a stack trace.
            return Fail($"{ex.GetType().Name}: {ex.Message}", Failed);
        }
        finally
        {
            s_sigint?.Dispose();
            s_sigterm?.Dispose();
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));
        return code;
    }

    public static void WriteHelp(string text) => Console.Out.WriteLine(text.TrimEnd());
}
