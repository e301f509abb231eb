using Microsoft.Extensions.Logging;

namespace Ocean.Samples;

/// <summary>
/// A minimal console logger for the server: prints the lines the samples' convention asks for (each connection opened
/// and closed, a foreign client refused and why) and every warning or error, from the library's own log events.
/// A real application would plug in its logging framework's <see cref="ILoggerFactory"/> instead.
/// </summary>
internal sealed class ConnectionLog : ILoggerFactory, ILogger
{
    // Ocean.Transport: 101 connection opened, 102 closed, 103 the peer went away. Ocean.Remoting: 2 handshake refused.
    private static readonly int[] s_shown = [101, 102, 103, 2];

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Warning || s_shown.Contains(eventId.Id))
        {
            var reason = exception is null ? string.Empty : $" ({exception.Message})";
            Console.WriteLine($"{formatter(state, exception)}{reason}");
        }
    }
}
