using System.Net;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>Remote calls over UDP on loopback, no faults: each semantics, errors, sizes.</summary>
public sealed class UdpCallTests
{
    private static async Task<(RemotingServer Server, RemotingClient Client, Counter Counter)> StartAsync(RemotingServerOptions? serverOptions = null, RemotingClientOptions? clientOptions = null)
    {
        serverOptions ??= new RemotingServerOptions();
        serverOptions.UdpEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        var server = new RemotingServer(serverOptions);
        var counter = new Counter();
        server.Export<ICounter>(counter, "counter");
        await server.StartAsync().WithTimeout();
        var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint, clientOptions).WithTimeout();
        return (server, client, counter);
    }

    [Fact]
    public async Task AtMostOnceCall_ReturnsTheResult_AndRunsOnce()
    {
        var (server, client, counter) = await StartAsync(clientOptions: new RemotingClientOptions { RetransmitInterval = UdpClientTests.NoRetransmission });
        await using (server)
        await using (client)
        {
            var proxy = client.GetProxy<ICounter>("counter");
            (await proxy.AddAsync(1, 5).WithTimeout()).Should().Be(5);
            (await proxy.AddAsync(2, 7).WithTimeout()).Should().Be(12);
            counter.RunsOf(1).Should().Be(1);
            counter.RunsOf(2).Should().Be(1);
            client.Retransmissions.Should().Be(0);
            var stats = server.DatagramStatistics;
            stats.Calls.Should().Be(2);
            stats.Malformed.Should().Be(0);
        }
    }

    [Fact]
    public async Task IdempotentAndOneWay_Work()
    {
        var (server, client, counter) = await StartAsync();
        await using (server)
        await using (client)
        {
            var proxy = client.GetProxy<ICounter>("counter");
            await proxy.AddAsync(1, 3).WithTimeout();
            (await proxy.ReadAsync(9).WithTimeout()).Should().Be(3);
            await proxy.NoteAsync(42).WithTimeout();
            (await counter.Noted.Task.WithTimeout()).Should().Be(42);
        }
    }

    [Fact]
    public async Task AnException_ArrivesWithCompletionYes()
    {
        var (server, client, _) = await StartAsync();
        await using (server)
        await using (client)
        {
            var proxy = client.GetProxy<ICounter>("counter");
            var act = () => proxy.FailAsync("no way");
            var error = (await act.Should().ThrowAsync<RemotingException>()).Which;
            error.Status.Should().Be(RemotingStatus.ApplicationException);
            error.Completion.Should().Be(CompletionStatus.Yes);
            error.Message.Should().Contain("no way");
        }
    }

    [Fact]
    public async Task ManyConcurrentCallers_EveryCallSucceeds_NoneIsAcknowledgedBeforeItIsSent()
    {
        // Regression: a call's id was not "unfinished" until its datagram was encoded, so another caller's request could
        // acknowledge it meanwhile; the server then dropped it (and its retransmissions) as stale, and the call failed.
        // Generous attempts (about 4 s in all): a loaded machine may delay a reply past a few retransmissions, but a call
        // acknowledged before it was sent is dropped as stale on every attempt, however many.
        var (server, client, counter) = await StartAsync(clientOptions: new RemotingClientOptions
        {
            RetransmitInterval = TimeSpan.FromMilliseconds(50),
            MaxRetransmitInterval = TimeSpan.FromMilliseconds(500),
            MaxAttempts = 10,
        });
        await using (server)
        await using (client)
        {
            var proxy = client.GetProxy<ICounter>("counter");
            var next = -1L;
            var failures = 0;
            var callers = Enumerable.Range(0, 16).Select(async _ =>
            {
                long key;
                while ((key = Interlocked.Increment(ref next)) < 20_000)
                {
                    try
                    {
                        await proxy.AddAsync(key, 1);
                    }
                    catch (RemotingException)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            });
            await Task.WhenAll(callers).WithTimeout(TestTimeouts.Load);

            failures.Should().Be(0);
            counter.Total.Should().Be(20_000);
            counter.Runs.Values.Should().OnlyContain(runs => runs == 1);
            server.DatagramStatistics.Busy.Should().Be(0);
        }
    }

    [Fact]
    public async Task OverIPv6Loopback_CallsWork()
    {
        var options = new RemotingServerOptions { UdpEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0) };
        await using var server = new RemotingServer(options);
        var counter = new Counter();
        server.Export<ICounter>(counter, "counter");
        await server.StartAsync().WithTimeout();
        server.UdpEndPoint.Address.Should().Be(IPAddress.IPv6Loopback);
        await using var client = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint).WithTimeout();
        var proxy = client.GetProxy<ICounter>("counter");
        (await proxy.AddAsync(1, 40).WithTimeout()).Should().Be(40);
        (await proxy.BytesAsync(60_000).WithTimeout()).Should().HaveCount(60_000, "a reply up to one IPv6 datagram fits");
        counter.RunsOf(1).Should().Be(1);
    }

    [Fact]
    public async Task AServerWithTcpAndUdp_ServesTheSameObjectOnBoth()
    {
        var options = new RemotingServerOptions { UdpEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), options);
        var counter = new Counter();
        server.Export<ICounter>(counter, "counter");
        await server.StartAsync().WithTimeout();
        await using var tcp = await RemotingClient.ConnectAsync(server.EndPoint).WithTimeout();
        await using var udp = await RemotingClient.ConnectUdpAsync(server.UdpEndPoint).WithTimeout();
        (await tcp.GetProxy<ICounter>("counter").AddAsync(1, 2).WithTimeout()).Should().Be(2);
        (await udp.GetProxy<ICounter>("counter").AddAsync(2, 3).WithTimeout()).Should().Be(5);
        counter.Total.Should().Be(5);
    }
}
