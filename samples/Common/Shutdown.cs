using System.Runtime.InteropServices;

namespace Ocean.Samples;

/// <summary>A token that fires on Ctrl+C or SIGTERM, so servers run until told to stop.</summary>
internal static class Shutdown
{
    // Kept alive here: a registration that is collected stops handling the signal.
    private static PosixSignalRegistration? s_sigterm;

    /// <summary>
    /// The first Ctrl+C (or SIGTERM) asks the server to stop gracefully; a second Ctrl+C while it is still
    /// stopping ends the process at once, as Ctrl+C normally does.
    /// </summary>
    public static CancellationToken OnCtrlC()
    {
        var source = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !source.IsCancellationRequested;
            source.Cancel();
        };
        s_sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            source.Cancel();
        });
        return source.Token;
    }
}
