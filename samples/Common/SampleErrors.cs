using Ocean;
using Ocean.Transport;

namespace Ocean.Samples;

/// <summary>How a sample server reports a connection that ended other than by the client closing it.</summary>
internal static class SampleErrors
{
    /// <summary>
    /// What ends one connection without stopping the server: bad input, a timeout, the peer going away, or
    /// the server stopping.
    /// </summary>
    public static bool EndsConnection(Exception exception, CancellationToken stopping) =>
        exception is OceanException or TimeoutException or IOException
        || (exception is OperationCanceledException && stopping.IsCancellationRequested);

    /// <summary>One line saying why, for the server's console.</summary>
    public static string Describe(Exception exception, CancellationToken stopping) =>
        exception is OperationCanceledException && stopping.IsCancellationRequested
            ? "closed (the server is stopping)"
            : $"dropped ({exception.Message})";
}
