using Ocean.Remoting;

namespace Ocean.Tool;

/// <summary><c>ocean names</c>: list the names a naming service (<c>ocean.naming</c>) binds, with their references.</summary>
internal static class NamesCommand
{
    private const string Help = """
        usage: ocean names HOST:PORT [--prefix TEXT] [--timeout SECONDS] [--tls ...]

        Lists the names bound in the naming service the server at HOST:PORT exports (ocean.naming), one line each:
        the name and the reference it is bound to (ocean://HOST:PORT/INCARNATION/NUMBER?interface=NAME), which
        `ocean call` takes. Exit 1 if the server exports no naming service.

        options:
          --prefix TEXT        only the names that start with TEXT
          --timeout SECONDS    how long to wait for the connection and for each answer (default 5)
        """ + TlsOptions.ConnectHelp;

    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        var line = CommandLine.Parse("names", args, TlsOptions.ConnectFlags, ["--prefix", "--timeout", .. TlsOptions.ConnectValued]);
        if (line.Help)
        {
            Program.WriteHelp(Help);
            return Program.Success;
        }

        if (line.Positional.Count != 1)
        {
            throw new UsageException(line.Positional.Count == 0
                ? "names needs HOST:PORT (see ocean names --help)"
                : $"unexpected argument '{line.Positional[1]}' (see ocean names --help)");
        }

        var target = RemoteTarget.Parse(line.Positional[0], allowReference: false) with { Tls = TlsOptions.ForConnect(line, udp: false) };
        var timeout = CommandLine.ParseTimeout(line.Get("--timeout"));
        var prefix = line.Get("--prefix") ?? "";

        await using var client = await target.ConnectAsync(timeout, stop);
        var naming = client.GetNamingService();
        string[] names;
        try
        {
            names = [.. (await naming.ListAsync(prefix).WaitAsync(timeout, stop) ?? []).Where(n => !string.IsNullOrEmpty(n))];
        }
        catch (RemotingException ex) when (ex.Status == RemotingStatus.UnknownObject)
        {
            throw new ExchangeException($"{target.Display} exports no naming service ({NamingService.WellKnownName})");
        }
        catch (TimeoutException)
        {
            throw new ExchangeException($"no answer from {target.Display} within {timeout.TotalSeconds:0.###} s");
        }

        var width = names.Length == 0 ? 0 : names.Max(n => n.Length);
        foreach (var name in names)
        {
            RemoteReference? reference;
            try
            {
                reference = await naming.LookupAsync(name, stop).WaitAsync(timeout, stop);
            }
            catch (TimeoutException)
            {
                throw new ExchangeException($"no answer from {target.Display} within {timeout.TotalSeconds:0.###} s");
            }

            if (reference is not null) // unbound since the list was made
            {
                Console.Out.WriteLine($"{name.PadRight(width)}  {reference}");
            }
        }

        return Program.Success;
    }
}
