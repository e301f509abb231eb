using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class ObservabilityTests
{
    [Fact]
    public async Task Meter_ReportsAcceptedRefusedActiveClosedAndBytes_ForThisServer()
    {
        var totals = new ConcurrentDictionary<string, long>();
        var endPointTag = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        long bytesIn = 0, bytesOut = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Ocean.Transport")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "ocean.transport.bytes.received")
            {
                Interlocked.Add(ref bytesIn, value);
                return;
            }

            if (instrument.Name == "ocean.transport.bytes.sent")
            {
                Interlocked.Add(ref bytesOut, value);
                return;
            }

            foreach (var tag in tags)
            {
                // Parallel tests run other servers: count only measurements tagged with ours.
                if (tag.Key == "ocean.server.endpoint" && endPointTag.Task.IsCompleted && (string?)tag.Value == endPointTag.Task.Result)
                {
                    totals.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
                }
            }
        });
        listener.Start();

        await using var server = await TestServer.StartAsync(TestServer.Echo, new SocketServerOptions { MaxConnections = 1 });
        endPointTag.SetResult(server.EndPoint.ToString()!);
        await using (var client = await server.ConnectAsync())
        {
            await client.Transport.Output.WriteAsync(new byte[1000]);
            (await client.Transport.Input.ReadExactlyAsync(1000).WithTimeout()).Length.Should().Be(1000);
            await TestTimeouts.UntilAsync(() => totals.GetValueOrDefault("ocean.transport.connections.active") == 1);
            await using var refused = await server.ConnectAsync();
            (await refused.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty();
        }

        await TestTimeouts.UntilAsync(() => totals.GetValueOrDefault("ocean.transport.connections.closed") == 1);
        totals.GetValueOrDefault("ocean.transport.connections.accepted").Should().Be(2);
        totals.GetValueOrDefault("ocean.transport.connections.refused").Should().Be(1);
        totals.GetValueOrDefault("ocean.transport.connections.active").Should().Be(0);
        Interlocked.Read(ref bytesIn).Should().BeGreaterThanOrEqualTo(2000, "the server received 1000 bytes and the client 1000 back");
        Interlocked.Read(ref bytesOut).Should().BeGreaterThanOrEqualTo(2000);
    }

    [Fact]
    public async Task Logger_ReceivesListeningAndOverLimitEvents_WithStableIds()
    {
        var logs = new CapturingLoggerFactory();
        await using var server = await TestServer.StartAsync(TestServer.Echo, new SocketServerOptions { LoggerFactory = logs, MaxConnections = 1 });
        await using var first = await server.ConnectAsync();
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1);
        await using var second = await server.ConnectAsync();
        (await second.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty();

        // The first connection's handler task logs "opened" on its own thread: wait for it rather than race it.
        await TestTimeouts.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 101), because: "the opened event should be logged");
        logs.Entries.Should().Contain(e => e.EventId.Id == 201 && e.Level == LogLevel.Information && e.Message.Contains(server.EndPoint.ToString()!));
        logs.Entries.Should().Contain(e => e.EventId.Id == 202 && e.Level == LogLevel.Warning);
        logs.Entries.Should().Contain(e => e.EventId.Id == 101 && e.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task MaxConnections_RefusedConnection_NeverBuiltIntoAConnection()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo, new SocketServerOptions { MaxConnections = 1 });
        await using var first = await server.ConnectAsync();
        await TestTimeouts.UntilAsync(() => server.ActiveConnections == 1);

        for (var i = 0; i < 3; i++)
        {
            await using var refused = await server.ConnectAsync();
            (await refused.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty();
        }

        server.Core.RefusedConnections.Should().Be(3);
        server.Core.AcceptedConnections.Should().Be(4, "refused connections count as accepted");
        server.ConnectionsBuilt.Should().Be(1, "a socket refused at the limit is closed before pipes, buffers and an id are made for it");
    }
}
