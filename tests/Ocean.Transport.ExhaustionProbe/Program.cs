// Proves that a SocketServer survives running out of file descriptors. Run it under a lowered limit
// (bash -c 'ulimit -n 256; exec dotnet Ocean.Transport.ExhaustionProbe.dll'). It prints one line per step;
// DescriptorExhaustionTests asserts on them. Every wait is bounded; exit code 0 means every step passed.
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Ocean.Transport;

var stepTimeout = TimeSpan.FromSeconds(20);
var logs = new EventLog();
var options = new SocketServerOptions { LoggerFactory = logs, IdleTimeout = Timeout.InfiniteTimeSpan, CloseTimeout = TimeSpan.FromSeconds(2) };
await using var server = new SocketServer(new IPEndPoint(IPAddress.Loopback, 0), EchoAsync, options);
await server.StartAsync();
var endPoint = (IPEndPoint)server.EndPoint;
Console.WriteLine($"listening on {endPoint}"); // opens stdout now: later there will be no descriptor left for it

// Made while descriptors are still free; connected once there are none left, so the server's accept must fail.
using var spare = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

var clients = new List<Socket>();
try
{
    while (clients.Count < 100_000)
    {
        Socket client;
        try
        {
            client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TooManyOpenSockets)
        {
            break;
        }

        clients.Add(client);
        await client.ConnectAsync(endPoint).WaitAsync(stepTimeout);
    }

    Console.WriteLine($"exhausted after {clients.Count} clients");

    await spare.ConnectAsync(endPoint).WaitAsync(stepTimeout); // completes in the kernel's backlog
    var deadline = DateTime.UtcNow + stepTimeout;
    while (!logs.Saw(206) || logs.Saw(209) && DateTime.UtcNow < deadline)
    {
        await Task.Delay(10);
    }

    Console.WriteLine(logs.Saw(209) ? "accept-backing-off" : "no-backoff-logged");
    Console.WriteLine(logs.Saw(206) ? "accept-loop-stopped" : "accept-loop-running");
}
finally
{
    foreach (var client in clients)
    {
        client.Dispose();
    }
}

Console.WriteLine("clients-closed");
var spareEchoed = await EchoOverAsync(spare, "spare");
Console.WriteLine(spareEchoed ? "spare-echoed" : "spare-not-echoed");

bool freshEchoed;
using (var fresh = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
{
    await fresh.ConnectAsync(endPoint).WaitAsync(stepTimeout);
    freshEchoed = await EchoOverAsync(fresh, "fresh");
}

Console.WriteLine(freshEchoed ? "fresh-echoed" : "fresh-not-echoed");
return spareEchoed && freshEchoed ? 0 : 1;

async Task<bool> EchoOverAsync(Socket socket, string text)
{
    var payload = System.Text.Encoding.ASCII.GetBytes(text);
    await socket.SendAsync(payload);
    var received = new byte[payload.Length];
    var filled = 0;
    using var timeout = new CancellationTokenSource(stepTimeout);
    try
    {
        while (filled < received.Length)
        {
            var read = await socket.ReceiveAsync(received.AsMemory(filled), SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                return false;
            }

            filled += read;
        }
    }
    catch (OperationCanceledException)
    {
        return false; // never accepted: nothing came back within the step timeout
    }

    return received.AsSpan().SequenceEqual(payload);
}

static async ValueTask EchoAsync(Connection connection, CancellationToken stopping)
{
    var input = connection.Transport.Input;
    var output = connection.Transport.Output;
    while (true)
    {
        var read = await input.ReadAsync(stopping);
        foreach (var segment in read.Buffer)
        {
            output.Write(segment.Span);
        }

        input.AdvanceTo(read.Buffer.End);
        var flush = await output.FlushAsync(stopping);
        if (read.IsCompleted || flush.IsCompleted)
        {
            return;
        }
    }
}

/// <summary>Remembers which event ids were logged; formats nothing (there may be no descriptor to spare).</summary>
internal sealed class EventLog : ILoggerFactory, ILogger
{
    private readonly ConcurrentDictionary<int, bool> _seen = new();

    public bool Saw(int eventId) => _seen.ContainsKey(eventId);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _seen[eventId.Id] = true;

    public void Dispose()
    {
    }
}
