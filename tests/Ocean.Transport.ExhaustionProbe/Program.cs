// The server half of DescriptorExhaustionTests, run under a lowered descriptor limit
// (bash -c 'ulimit -n 128; exec dotnet Ocean.Transport.ExhaustionProbe.dll'), which cannot be lowered inside the
// test host without starving every other test. It runs an echo SocketServer on 127.0.0.1, prints
// "listening PORT", then one line per accept event the test waits for ("accept-backing-off" when accepting failed
// for lack of descriptors and the loop went on, "accept-loop-stopped" when it gave up), and stops when its
// standard input closes. The test process plays the clients, so this process spends its descriptors on accepted
// connections only.
using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging;
using Ocean.Transport;

// Started now, while descriptors are free: creating a thread makes the runtime read /proc/self/status, and it
// aborts ("Out of memory.") when it cannot. A fixed-size pool, all of it running, needs no new thread later.
const int PoolThreads = 8;
ThreadPool.SetMaxThreads(PoolThreads, PoolThreads);
ThreadPool.SetMinThreads(PoolThreads, PoolThreads);
var allStarted = new CountdownEvent(PoolThreads); // not disposed: workers may still be leaving Wait
for (var i = 0; i < PoolThreads; i++)
{
    ThreadPool.UnsafeQueueUserWorkItem(static state => { state.Signal(); state.Wait(); }, allStarted, preferLocal: false);
}

allStarted.Wait(TimeSpan.FromSeconds(20));

// Loaded now for the same reason: the stack trace every socket error captures, the timer the backoff waits on.
_ = new System.Diagnostics.StackTrace(fNeedFileInfo: true).ToString();
_ = System.Runtime.ExceptionServices.ExceptionDispatchInfo.SetCurrentStackTrace(new InvalidOperationException()).StackTrace;
await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System);

var output = Console.Out; // opened now: later there may be no descriptor left to open it with
var events = new AcceptEvents(output);
var options = new SocketServerOptions { LoggerFactory = events, IdleTimeout = Timeout.InfiniteTimeSpan };
await using var server = new SocketServer(new IPEndPoint(IPAddress.Loopback, 0), EchoAsync, options);
await server.StartAsync();
output.WriteLine($"listening {((IPEndPoint)server.EndPoint).Port}");
output.Flush();

await Console.In.ReadToEndAsync(); // the test closes our input when it is done
await server.StopAsync();
return 0;

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

/// <summary>Prints the accept events, once each; formats nothing else (there may be no descriptor to spare).</summary>
internal sealed class AcceptEvents(TextWriter output) : ILoggerFactory, ILogger
{
    private int _backingOff;
    private int _stopped;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == 209 && Interlocked.Exchange(ref _backingOff, 1) == 0)
        {
            lock (output)
            {
                output.WriteLine("accept-backing-off");
                output.Flush();
            }
        }
        else if (eventId.Id == 206 && Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            lock (output)
            {
                output.WriteLine("accept-loop-stopped");
                output.Flush();
            }
        }
    }

    public void Dispose()
    {
    }
}
