using System.Runtime.InteropServices;

namespace Ocean.Samples;

/// <summary>A token that fires on Ctrl+C or SIGTERM, so servers run until told to stop.</summary>
internal static class Shutdown
{
    public static CancellationToken OnCtrlC()
    {
        var source = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            source.Cancel();
        };
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            source.Cancel();
        });
        return source.Token;
    }
}
