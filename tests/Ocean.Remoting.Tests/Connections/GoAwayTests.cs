using System.Buffers;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>A client that receives go-away finishes its calls in flight on the old connection and sends new ones on a new connection.</summary>
public sealed class GoAwayTests
{
    [Fact]
    public async Task GoAway_CallInFlightFinishesOnTheOldConnection_NewCallsUseANewOne()
    {
        var requestsPerConnection = new int[3];
        var firstClosed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshakeAsync();
            if (index == 1)
            {
                // The first request: say go-away, then still answer it (requests already accepted run to their end).
                var message = await connection.ReadMessageAsync();
                var request = MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(message!), ProtocolLimits.Default);
                Interlocked.Increment(ref requestsPerConnection[1]);
                await connection.GoAwayAsync("moving to another connection");
                await connection.ReplyAsync(request.RequestId, 100);

                // Nothing more must arrive here but the close (a ping would be fine too).
                while (await connection.ReadMessageAsync() is { } more)
                {
                    if ((MessageKind)more[0] == MessageKind.Request)
                    {
                        Interlocked.Increment(ref requestsPerConnection[1]);
                    }
                }

                firstClosed.TrySetResult(true);
                return;
            }

            requestsPerConnection[2] = await connection.ServeAddsAsync();
        });

        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint, new RemotingClientOptions { PingInterval = Timeout.InfiniteTimeSpan });
        await using (client)
        {
            (await proxy.AddAsync(1, 2).WithTimeout()).Should().Be(100, "the first connection's answer");
            (await proxy.AddAsync(3, 4).WithTimeout()).Should().Be(7);
            (await proxy.AddAsync(5, 6).WithTimeout()).Should().Be(11);
            fake.Accepted.Should().Be(2);
        }

        await firstClosed.Task.WithTimeout();
        requestsPerConnection[1].Should().Be(1, "no call was sent after the go-away on the old connection");
        await TestTimeouts.UntilAsync(() => Volatile.Read(ref requestsPerConnection[2]) == 2);
        fake.Failures.Should().BeEmpty();
    }

    [Fact]
    public async Task GoAway_WithNoCallsInFlight_TheNextCallReconnects()
    {
        var goAwaySent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var crossed = 0;
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshakeAsync();
            if (index == 1)
            {
                await connection.GoAwayAsync("idle go-away");
                goAwaySent.TrySetResult();

                // A request that crosses the go-away is answered unavailable, not executed (as the README says).
                while (await connection.ReadMessageAsync() is { } message)
                {
                    if ((MessageKind)message[0] == MessageKind.Request)
                    {
                        Interlocked.Increment(ref crossed);
                        var request = MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(message), ProtocolLimits.Default);
                        await connection.SendAsync(o => MessageEncoder.WriteReplyError(o, request.RequestId, RemotingStatus.Unavailable, CompletionStatus.No, null, "going away", null, ProtocolLimits.Default));
                    }
                }

                return;
            }

            await connection.ServeAddsAsync();
        });

        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint);
        await using var _ = client;
        await goAwaySent.Task.WithTimeout();

        var sum = 0;
        await Kit.EventuallyAsync(
            async () =>
            {
                var failure = await Kit.TryAsync(async () => sum = await proxy.AddAsync(2, 2));
                if (failure is not null)
                {
                    (failure.Status, failure.Completion).Should().Be((RemotingStatus.Unavailable, CompletionStatus.No), failure.Message);
                }

                return failure is null;
            },
            TimeSpan.FromSeconds(10),
            "a call reaches the second connection");
        sum.Should().Be(4);
        fake.Accepted.Should().Be(2);
        crossed.Should().BeLessThanOrEqualTo(1, "once the client has read the go-away it sends nothing more on that connection");
        (await proxy.AddAsync(3, 3).WithTimeout()).Should().Be(6);
        fake.Accepted.Should().Be(2, "the new connection is kept");
        fake.Failures.Should().BeEmpty();
    }
}
