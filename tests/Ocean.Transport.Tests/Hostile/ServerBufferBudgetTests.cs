using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests.Hostile;

/// <summary>
/// Many peers send into handlers that do not consume (or examine without consuming): each connection alone stays
/// within MaxReadBufferSize, but together they would hold MaxConnections times that. The server-wide
/// MaxBufferedBytes bounds the total: the connection whose receive would cross it is aborted, the others go on.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class ServerBufferBudgetTests
{
    private const int Budget = 256 * 1024;
    private const byte HogRole = (byte)'H';
    private const byte EchoRole = (byte)'E';

    [Theory]
    [InlineData("tcp")]
    [InlineData("unix")]
    [InlineData("tls")]
    public async Task ManyClients_FloodHandlersThatDoNotConsume_TotalStaysWithinMaxBufferedBytes_AndCrossingConnectionsAreAborted(string transport)
    {
        var tls = transport == "tls";
        const int hogs = 4;
        const int hogPayload = 1024 * 1024; // each alone is four times the budget and within MaxReadBufferSize (1 MiB default)
        var logs = new CapturingLoggerFactory();
        var options = TestServer.Options(tls);
        options.MaxBufferedBytes = Budget;
        options.LoggerFactory = logs;
        var held = new long[hogs + 1];
        var connectionIndex = -1;
        var failures = new ConcurrentQueue<(string ConnectionId, Exception Error)>();
        var hogsRunning = hogs;
        var hogsEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                // The honest connection is opened (and echoed) before the hogs connect, so it gets index 0.
                var index = Interlocked.Increment(ref connectionIndex);
                var input = connection.Transport.Input;
                try
                {
                    var first = await input.ReadAsync(stopping);
                    if (first.Buffer.FirstSpan[0] == EchoRole)
                    {
                        input.AdvanceTo(first.Buffer.Start);
                        await connection.Transport.EchoAsync(stopping);
                        return;
                    }

                    // A frame decoder waiting for the end of a huge frame: it looks at everything and consumes nothing.
                    input.AdvanceTo(first.Buffer.Start, first.Buffer.End);
                    while (true)
                    {
                        var read = await input.ReadAsync(stopping);
                        Volatile.Write(ref held[index], read.Buffer.Length);
                        input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                        if (read.IsCompleted)
                        {
                            return;
                        }
                    }
                }
                catch (Exception ex)
                {
                    // The receive loop may fill the budget before the handler first reads: the first read fails then.
                    failures.Enqueue((connection.Id, ex));
                }
                finally
                {
                    Volatile.Write(ref held[index], 0);
                    if (index > 0 && Interlocked.Decrement(ref hogsRunning) == 0)
                    {
                        hogsEnded.SetResult();
                    }
                }
            },
            options,
            transport == "unix" ? new UnixDomainSocketEndPoint(Path.Combine(Path.GetTempPath(), $"ocean-budget-{Guid.NewGuid():N}.sock")) : null);
        using var overBudget = CountOverBudgetAborts(server);

        // An honest connection, opened before the flood.
        await using var honest = await server.ConnectAsync(tls);
        await EchoRoundTripAsync(honest, 1000);

        // Watch the server's count and the bytes the hogs' handlers really hold, while the flood lasts.
        using var stopSampling = new CancellationTokenSource();
        long largestCounted = 0, largestHeld = 0;
        var sampler = Task.Run(async () =>
        {
            var firstPass = new long[held.Length];
            while (!stopSampling.IsCancellationRequested)
            {
                largestCounted = Math.Max(largestCounted, server.BufferedBytes);

                // The entries are read one by one: a sampler stalled between two of them could add a hog's stale count
                // to a later hog's, grown into the budget the first gave back once aborted. A hog's count only grows
                // until it drops to 0 for good, so the lesser of two passes, summed, is at most what all held at one
                // moment between the passes.
                for (var i = 0; i < held.Length; i++)
                {
                    firstPass[i] = Volatile.Read(ref held[i]);
                }

                long sum = 0;
                for (var i = 0; i < held.Length; i++)
                {
                    sum += Math.Min(firstPass[i], Volatile.Read(ref held[i]));
                }

                largestHeld = Math.Max(largestHeld, sum);
                await Task.Delay(1, CancellationToken.None);
            }
        });

        var clients = new List<Connection>();
        var sends = new List<Task>();
        for (var i = 0; i < hogs; i++)
        {
            // All connected (TLS handshakes done) before any floods: a handshake that arrives once the budget is spent
            // is refused like any other receive, which is not what this test is about.
            clients.Add(await server.ConnectAsync(tls));
        }

        foreach (var client in clients)
        {
            var payload = new byte[hogPayload];
            payload[0] = HogRole;
            sends.Add(client.Transport.Output.WriteAsync(payload).AsTask()); // not awaited: it stalls once the server stops reading
        }

        await hogsEnded.Task.WithTimeout(); // every hog sends more than the budget, so each is aborted in turn
        await stopSampling.CancelAsync();
        await sampler.WithTimeout();

        failures.Should().HaveCount(hogs);
        foreach (var (_, error) in failures)
        {
            error.Should().BeOfType<ConnectionAbortedException>().Which.Message.Should().Contain("buffer budget is exhausted").And.Contain(Budget.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        largestCounted.Should().BeLessThanOrEqualTo(Budget);
        largestHeld.Should().BeLessThanOrEqualTo(Budget, "what the handlers see unconsumed is what the server counts");
        var warnings = logs.Entries.Where(e => e.EventId.Id == 107).ToList();
        warnings.Should().OnlyContain(e => e.Level == LogLevel.Warning);
        warnings.Select(e => e.Message).Should().HaveCount(hogs)
            .And.Subject.Should().BeEquivalentTo(failures.Select(f => $"Connection {f.ConnectionId} aborted: the server's receive buffer budget of {Budget} bytes (SocketServerOptions.MaxBufferedBytes) is exhausted."));
        overBudget.Count.Should().Be(hogs);

        // The honest connection was not touched, and once the aborted connections have given back what they held the
        // budget is free again for it.
        await TestTimeouts.UntilAsync(() => server.BufferedBytes == 0, because: "aborted connections give back what they held once their handlers returned");
        await EchoRoundTripAsync(honest, 200 * 1024);
        foreach (var client in clients)
        {
            client.Abort();
        }

        foreach (var send in sends)
        {
            await TestServer.IgnoreAbortAsync(send);
        }

        server.BufferedBytes.Should().Be(0);
    }

    [Fact]
    public async Task Consumption_ReleasesBudget_SoMoreThanTheBudgetPassesThroughOneConnection()
    {
        const int budget = 64 * 1024;
        const int batch = 48 * 1024; // two batches are more than the budget: the second fits only if consuming the first released it
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                var input = connection.Transport.Input;
                var read = await TestServer.HoldAtLeastAsync(input, batch, stopping);
                holding.SetResult();
                await consume.Task.WaitAsync(stopping);
                var first = System.Buffers.BuffersExtensions.ToArray(read.Buffer);
                input.AdvanceTo(read.Buffer.End);
                var second = await input.ReadExactlyAsync(batch, stopping);
                received.SetResult([.. first, .. second]);
            },
            new SocketServerOptions { MaxBufferedBytes = budget });
        await using var client = await server.ConnectAsync();
        var sent = new byte[2 * batch];
        Random.Shared.NextBytes(sent);

        await client.Transport.Output.WriteAsync(sent.AsMemory(0, batch));
        await holding.Task.WithTimeout();
        server.BufferedBytes.Should().Be(batch, "the handler holds the whole first batch unconsumed");
        consume.SetResult();
        await TestTimeouts.UntilAsync(() => server.BufferedBytes == 0, because: "consuming gives the bytes back");
        await client.Transport.Output.WriteAsync(sent.AsMemory(batch));

        (await received.Task.WithTimeout()).Should().Equal(sent);
    }

    [Fact]
    public async Task ConnectionEnd_ReleasesWhatItStillHeld_CounterReturnsToZero()
    {
        const int clients = 3;
        const int payload = 100 * 1024;
        var holdingCount = 0;
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                var input = connection.Transport.Input;
                var read = await TestServer.HoldAtLeastAsync(input, payload, stopping);
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                if (Interlocked.Increment(ref holdingCount) == clients)
                {
                    holding.SetResult();
                }
                await finish.Task.WaitAsync(stopping); // then return without consuming anything
            },
            new SocketServerOptions { MaxBufferedBytes = 1024 * 1024 });
        var connections = new List<Connection>();
        for (var i = 0; i < clients; i++)
        {
            var client = await server.ConnectAsync();
            connections.Add(client);
            await client.Transport.Output.WriteAsync(new byte[payload]);
        }

        await holding.Task.WithTimeout();
        server.BufferedBytes.Should().Be(clients * payload);
        finish.SetResult();

        await TestTimeouts.UntilAsync(() => server.BufferedBytes == 0 && server.ActiveConnections == 0, because: "ended connections give back everything they held");
        foreach (var client in connections)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task HandlerCompletesInputEarly_ReleasesAtOnce()
    {
        const int payload = 100 * 1024;
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                var input = connection.Transport.Input;
                var read = await TestServer.HoldAtLeastAsync(input, payload, stopping);
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                await input.CompleteAsync(); // done reading, still running (it could go on writing)
                completed.SetResult();
                await finish.Task.WaitAsync(stopping);
            },
            new SocketServerOptions { MaxBufferedBytes = 1024 * 1024 });
        await using var client = await server.ConnectAsync();
        await client.Transport.Output.WriteAsync(new byte[payload]);
        await completed.Task.WithTimeout();

        // The receive loop notices the completed reader at its next flush; the peer's next bytes (or its FIN) get it there.
        await client.Transport.Output.WriteAsync(new byte[] { 1 });
        await TestTimeouts.UntilAsync(() => server.BufferedBytes == 0, because: "a handler that completed its input holds nothing");
        finish.SetResult();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientConnections_HaveNoBudget_ServerConnectionsDo(bool tls)
    {
        var serverInput = new TaskCompletionSource<PipeReader>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            async (connection, stopping) =>
            {
                serverInput.SetResult(connection.Transport.Input);
                await connection.Transport.EchoAsync(stopping);
            },
            TestServer.Options(tls));
        await using var client = await server.ConnectAsync(tls);

        client.Transport.Input.Should().NotBeOfType<Internal.BudgetedPipeReader>("the budget is a server's; clients pay nothing for it");
        (await serverInput.Task.WithTimeout()).Should().BeOfType<Internal.BudgetedPipeReader>();
        await EchoRoundTripAsync(client, 10_000);
    }

    private static async Task EchoRoundTripAsync(Connection client, int length)
    {
        var message = new byte[length];
        Random.Shared.NextBytes(message);
        message[0] = EchoRole; // the first byte the server sees picks the role; echoed like the rest
        await client.Transport.Output.WriteAsync(message);
        (await client.Transport.Input.ReadExactlyAsync(length).WithTimeout()).Should().Equal(message);
    }

    private static OverBudgetCounter CountOverBudgetAborts(SocketServer server) => new(server.EndPoint.ToString()!);

    /// <summary>Counts <c>ocean.transport.connections.over_budget</c> for one server (other tests run servers in parallel).</summary>
    private sealed class OverBudgetCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public OverBudgetCounter(string endPoint)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Ocean.Transport" && instrument.Name == "ocean.transport.connections.over_budget")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "ocean.server.endpoint" && (string?)tag.Value == endPoint)
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
