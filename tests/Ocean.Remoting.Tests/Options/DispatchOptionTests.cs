using System.Net;

namespace Ocean.Remoting.Tests.Options;

/// <summary>The thread options: InlineDispatch on the server, InlineContinuations on the client.</summary>
public sealed class DispatchOptionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public interface ISummer
    {
        Task<int> AddAsync(int a, int b);

        int Add(int a, int b);

        Task<int> BlockAsync(int milliseconds);

        Task<int> GatedAsync();
    }

    private sealed class Summer : ISummer
    {
        public TaskCompletionSource<int> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<int> GatedAsync() => Gate.Task;

        public Task<int> AddAsync(int a, int b) => Task.FromResult(a + b);

        public int Add(int a, int b) => a + b;

        /// <summary>Ends <see cref="BlockAsync"/>'s wait.</summary>
        public ManualResetEventSlim Unblock { get; } = new();

        // Blocks its thread before any await (until unblocked, at most the time given): with inline dispatch this holds
        // up the connection's other calls.
        public Task<int> BlockAsync(int milliseconds)
        {
            Unblock.Wait(milliseconds); // the behaviour under test, not synchronisation
            return Task.FromResult(milliseconds);
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task Concurrent_callers_get_their_own_results_whatever_the_thread_options(bool inlineDispatch, bool inlineContinuations)
    {
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { InlineDispatch = inlineDispatch });
        server.Export<ISummer>(new Summer(), "summer");
        await server.StartAsync();
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint, new RemotingClientOptions { InlineContinuations = inlineContinuations });
        var summer = client.GetProxy<ISummer>("summer");

        var callers = Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                (await summer.AddAsync(caller * 1000, i)).Should().Be((caller * 1000) + i);
            }
        }));
        await Task.WhenAll(callers).WaitAsync(Timeout);
    }

    [Fact]
    public async Task With_inline_dispatch_off_a_blocking_async_method_does_not_hold_up_other_calls()
    {
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { InlineDispatch = false });
        var implementation = new Summer();
        server.Export<ISummer>(implementation, "summer");
        await server.StartAsync();
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint);
        var summer = client.GetProxy<ISummer>("summer");

        // Blocked until the test says (at most a minute, twice the bound below): the other call must not wait for it. A
        // 3 s sleep and a 2 s bound failed when a loaded machine took 2 s to answer the other call.
        var blocked = summer.BlockAsync(60_000);
        (await summer.AddAsync(1, 2).WaitAsync(TestTimeouts.Operation)).Should().Be(3, "the blocked call runs on the thread pool, not on the read loop");
        blocked.IsCompleted.Should().BeFalse();
        implementation.Unblock.Set();
        (await blocked.WaitAsync(Timeout)).Should().Be(60_000);
    }

    [Fact]
    public async Task A_synchronous_method_never_runs_on_the_read_loop_even_with_inline_dispatch()
    {
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        var gate = new ManualResetEventSlim();
        server.Export<ISummer>(new GatedSummer(gate), "summer");
        await server.StartAsync();
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint);
        var summer = client.GetProxy<ISummer>("summer");

        // The gate holds the synchronous call up to a minute, twice the bound on the other call (was 5 s, a delay a loaded
        // machine can reach): had it run on the read loop, the other call would wait for it.
        var blocked = Task.Run(() => summer.Add(1, 1));
        (await summer.AddAsync(2, 2).WaitAsync(TestTimeouts.Operation)).Should().Be(4);
        gate.Set();
        (await blocked.WaitAsync(Timeout)).Should().Be(2);
    }

    [Fact]
    public async Task With_inline_continuations_a_synchronous_call_from_the_read_loop_is_refused_not_deadlocked()
    {
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        var summer = new Summer();
        server.Export<ISummer>(summer, "summer");
        await server.StartAsync();
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint, new RemotingClientOptions { InlineContinuations = true });
        var proxy = client.GetProxy<ISummer>("summer");

        // The continuation is attached before the server may answer, so it runs where the reply completes the call:
        // on the client's read loop.
        var pending = proxy.GatedAsync();
        var resumed = pending.ContinueWith(
            _ =>
            {
                try
                {
                    return (object)proxy.Add(3, 4);
                }
                catch (InvalidOperationException e)
                {
                    return e;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        summer.Gate.SetResult(1);

        var outcome = await resumed.WaitAsync(Timeout);
        outcome.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Contain("read loop");
        (await Task.Run(() => proxy.Add(5, 6)).WaitAsync(Timeout)).Should().Be(11, "off the read loop a synchronous call works");
        (await proxy.AddAsync(7, 8).WaitAsync(Timeout)).Should().Be(15, "the connection is unharmed");
    }

    private sealed class GatedSummer(ManualResetEventSlim gate) : ISummer
    {
        public Task<int> AddAsync(int a, int b) => Task.FromResult(a + b);

        public int Add(int a, int b)
        {
            gate.Wait(TimeSpan.FromMinutes(1));
            return a + b;
        }

        public Task<int> BlockAsync(int milliseconds) => Task.FromResult(0);

        public Task<int> GatedAsync() => Task.FromResult(0);
    }
}
