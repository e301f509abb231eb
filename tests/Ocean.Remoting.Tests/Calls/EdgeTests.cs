using System.Collections.Concurrent;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>Edges of scopes, interceptors and completion found while writing the call-path tests.</summary>
public sealed class EdgeTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    [Fact]
    public async Task Scopes_disposed_out_of_order_leave_no_metadata_behind()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(new MetadataProbe(), "probe"));
        var probe = loop.Proxy<IMetadataProbe>("probe");

        var outer = RemoteCallScope.WithMetadata("outer", "1");
        var inner = RemoteCallScope.WithMetadata("inner", "2");
        outer.Dispose(); // out of order: the inner scope is still open
        (await probe.GetAsync("inner").WaitAsync(Timeout)).Should().Be("2", "the inner scope is still open");
        inner.Dispose();

        (await probe.GetAsync("outer").WaitAsync(Timeout)).Should().Be("<none>", "both scopes are disposed");
        (await probe.GetAsync("inner").WaitAsync(Timeout)).Should().Be("<none>");
    }

    [Fact]
    public async Task A_server_interceptor_that_neither_calls_next_nor_throws_still_gets_the_caller_an_answer()
    {
        var probe = new MetadataProbe();
        var serverOptions = new RemotingServerOptions();
        serverOptions.Interceptors.Add(new SwallowingServerInterceptor());
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(probe, "probe"), Link.InMemory, serverOptions);

        var e = (await loop.Proxy<IMetadataProbe>("probe").Awaiting(p => p.GetAsync("x").WaitAsync(TimeSpan.FromSeconds(10)))
            .Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.Internal);
        e.Completion.Should().Be(CompletionStatus.No);
        probe.Calls.Should().Be(0);
    }

    [Fact]
    public async Task A_client_interceptor_that_neither_calls_next_nor_throws_does_not_invent_a_result()
    {
        var clientOptions = new RemotingClientOptions();
        clientOptions.Interceptors.Add(new SwallowingClientInterceptor());
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(s => s.Export<ICalculator>(calculator, "calc"), Link.InMemory, clientOptions: clientOptions);

        var call = loop.Proxy<ICalculator>("calc").AddAsync(2, 3);
        var outcome = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(5)));
        if (outcome == call && call.IsCompletedSuccessfully)
        {
            (await call).Should().NotBe(0, "a call that was never sent must not complete with default(T)");
        }

        calculator.Calls.Should().Be(0);
    }

    [Theory]
    [InlineData(Link.Tcp)] // the in-memory pair carries at most 1 MiB per message: too small to catch a request mid-send
    public async Task A_call_that_gives_up_while_its_request_is_being_sent_never_says_not_executed_if_it_ran(Link link)
    {
        var lengths = new Lengths();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<ILengths>(lengths, "lengths"),
            link,
            new RemotingServerOptions { MaxMessageSize = 64 << 20 },
            new RemotingClientOptions { MaxMessageSize = 64 << 20 });
        var proxy = loop.Proxy<ILengths>("lengths");
        var reported = new ConcurrentQueue<(int Length, CompletionStatus Completion)>();

        // Deadlines short enough to pass while a large request is still being written.
        for (var i = 0; i < 20; i++)
        {
            var text = new string((char)('a' + (i % 26)), (2 << 20) + i);
            try
            {
                using (RemoteCallScope.WithDeadline(TimeSpan.FromMilliseconds(1)))
                {
                    await proxy.LengthAsync(text).WaitAsync(Timeout);
                }
            }
            catch (RemotingException e) when (e.Status == RemotingStatus.DeadlineExceeded)
            {
                reported.Enqueue((text.Length, e.Completion));
            }
        }

        // Everything the server will run has arrived once a later call on the connection is answered.
        (await proxy.LengthAsync("end").WaitAsync(Timeout)).Should().Be(3);
        var ran = lengths.Ran.ToHashSet();
        foreach (var (length, completion) in reported)
        {
            if (ran.Contains(length))
            {
                completion.Should().NotBe(CompletionStatus.No, $"the call with {length} characters ran on the server");
            }
        }
    }

    [Fact]
    public async Task A_token_cancelled_while_the_request_is_being_sent_still_cancels_the_server_method()
    {
        var holder = new Holder();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IHolder>(holder, "holder"),
            Link.Tcp,
            new RemotingServerOptions { MaxMessageSize = 64 << 20, ShutdownTimeout = TimeSpan.FromMilliseconds(200) },
            new RemotingClientOptions { MaxMessageSize = 64 << 20 });
        var proxy = loop.Proxy<IHolder>("holder");

        var payload = new string('p', 2 << 20);
        for (var round = 0; round < 5; round++)
        {
            // three 2 MiB requests at once: the later ones wait for room in the connection's output when cancelled
            using var cts = new CancellationTokenSource();
            var calls = Enumerable.Range(round * 3, 3).Select(tag => proxy.HoldAsync(tag, payload, cts.Token)).ToArray();
            cts.Cancel();
            foreach (var call in calls)
            {
                (await call.Awaiting(c => c.WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which.Status.Should().Be(RemotingStatus.Cancelled);
            }
        }

        // once a later call is answered, every request before it has reached the server
        (await proxy.OkAsync(1).WaitAsync(Timeout)).Should().Be(1);
        holder.Started.Should().NotBeEmpty("some requests arrived although their callers had cancelled");
        foreach (var tag in holder.Started)
        {
            await holder.Cancelled[tag].Task.WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task A_server_interceptor_that_calls_next_twice_runs_the_method_once()
    {
        var probe = new MetadataProbe();
        var twice = new TwiceServerInterceptor();
        var serverOptions = new RemotingServerOptions();
        serverOptions.Interceptors.Add(twice);
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(probe, "probe"), Link.InMemory, serverOptions);

        (await loop.Proxy<IMetadataProbe>("probe").GetAsync("x").WaitAsync(Timeout)).Should().Be("<none>");
        (await twice.SecondCall.Task.WaitAsync(Timeout)).Should().BeOfType<InvalidOperationException>();
        probe.Calls.Should().Be(1);
    }

    private sealed class TwiceServerInterceptor : IRemoteServerInterceptor
    {
        public TaskCompletionSource<Exception> SecondCall { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next)
        {
            await next(context);
            try
            {
                await next(context);
                SecondCall.TrySetException(new InvalidOperationException("the second next ran the method"));
            }
            catch (InvalidOperationException e)
            {
                SecondCall.TrySetResult(e);
            }
        }
    }

    private sealed class SwallowingServerInterceptor : IRemoteServerInterceptor
    {
        public ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next) => default;
    }

    private sealed class SwallowingClientInterceptor : IRemoteClientInterceptor
    {
        public ValueTask InterceptAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next) => default;
    }
}
