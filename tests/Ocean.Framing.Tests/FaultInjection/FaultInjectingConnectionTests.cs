using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests.FaultInjection;

public sealed class FaultInjectingConnectionTests
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(50);

    private static byte[] Numbered(int i)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, i);
        return bytes;
    }

    private static int Number(in MessageReceiveResult result) => BinaryPrimitives.ReadInt32BigEndian(result.Message.ToArray());

    /// <summary>Reads until the end, returning the numbers read.</summary>
    private static async Task<List<int>> ReadToEndAsync(MessageConnection connection)
    {
        var numbers = new List<int>();
        while (true)
        {
            var result = await connection.ReceiveAsync().WithTimeout();
            if (result.IsCompleted)
            {
                return numbers;
            }

            result.IsCanceled.Should().BeFalse();
            numbers.Add(Number(result));
        }
    }

    private static FaultRates Everything(double p) => new() { Drop = p, Duplicate = p, Delay = p, Reorder = p, MaxDelay = MaxDelay };

    /// <summary>
    /// 1,000 numbered messages through a sender wrapper and a receiver wrapper over an in-memory pair, with every fault
    /// on in both directions and fake clocks: what arrives, in order, and the statistics of both ends.
    /// </summary>
    private static async Task<(List<int> Delivered, FaultInjectionStatistics Sender, FaultInjectionStatistics Receiver)> RunAsync(int seed, int count = 1000)
    {
        var (first, second) = MessageConnection.CreatePair(capacity: 4 * count);
        var senderClock = new ManualTimeProvider();
        var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Seed = seed, Outgoing = Everything(0.1), TimeProvider = senderClock });
        var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Seed = seed, Incoming = Everything(0.1), TimeProvider = new ManualTimeProvider() });
        await using (receiver)
        {
            for (var i = 0; i < count; i++)
            {
                await sender.SendAsync(Numbered(i)).AsTask().WithTimeout();
            }

            senderClock.Advance(MaxDelay); // everything delayed or still held goes out
            await sender.DisposeAsync();
            var delivered = await ReadToEndAsync(receiver); // messages the receiver still holds come out before the end
            return (delivered, sender.Statistics, receiver.Statistics);
        }
    }

    [Fact]
    public async Task SameSeed_SameMessages_SameDeliveredSequenceAndStatistics_AnotherSeedDiffers()
    {
        var one = await RunAsync(seed: 42);
        var two = await RunAsync(seed: 42);
        var other = await RunAsync(seed: 43);

        two.Delivered.Should().Equal(one.Delivered);
        two.Sender.Should().Be(one.Sender);
        two.Receiver.Should().Be(one.Receiver);
        other.Delivered.Should().NotEqual(one.Delivered);

        // Every kind of fault happened, in both directions, and the counts add up.
        var s = one.Sender;
        var r = one.Receiver;
        s.Sent.Should().Be(1000);
        new[] { s.SentDropped, s.SentDuplicated, s.SentDelayed, s.SentReordered, r.ReceivedDropped, r.ReceivedDuplicated, r.ReceivedDelayed, r.ReceivedReordered }
            .Should().OnlyContain(n => n > 0);
        r.Received.Should().Be(s.Sent - s.SentDropped + s.SentDuplicated);
        one.Delivered.Count.Should().Be((int)(r.Received - r.ReceivedDropped + r.ReceivedDuplicated));
        one.Delivered.Should().NotBeInAscendingOrder();
    }

    [Theory]
    [InlineData("outgoing")]
    [InlineData("incoming")]
    public async Task Drop_30Percent_Of10000_DeliversWithinFiveStandardDeviations(string direction)
    {
        const int Count = 10_000;
        const double P = 0.3;
        var (first, second) = MessageConnection.CreatePair(capacity: Count);
        var options = new FaultInjectionOptions { Seed = 7 };
        if (direction == "outgoing")
        {
            options.Outgoing = FaultRates.Loss(P);
        }
        else
        {
            options.Incoming = FaultRates.Loss(P);
        }

        await using var sender = direction == "outgoing" ? new FaultInjectingConnection(first, options) : first;
        await using var receiver = direction == "incoming" ? new FaultInjectingConnection(second, options) : second;
        for (var i = 0; i < Count; i++)
        {
            await sender.SendAsync(Numbered(i)).AsTask().WithTimeout();
        }

        await sender.CloseAsync();
        var delivered = await ReadToEndAsync(receiver);

        var sd = Math.Sqrt(Count * P * (1 - P)); // about 46: a wrong rate (25% or 35%) is 500 away
        delivered.Count.Should().BeInRange((int)((Count * (1 - P)) - (5 * sd)), (int)((Count * (1 - P)) + (5 * sd)));
        delivered.Should().BeInAscendingOrder("drop alone does not reorder").And.OnlyHaveUniqueItems();
        var statistics = ((FaultInjectingConnection)(direction == "outgoing" ? sender : receiver)).Statistics;
        (direction == "outgoing" ? statistics.SentDropped : statistics.ReceivedDropped).Should().Be(Count - delivered.Count);
        (direction == "outgoing" ? statistics.Sent : statistics.Received).Should().Be(Count);
    }

    [Fact]
    public async Task Duplicate_20Percent_Of10000_DuplicatesWithinFiveStandardDeviations()
    {
        const int Count = 10_000;
        const double P = 0.2;
        var (first, second) = MessageConnection.CreatePair(capacity: 2 * Count);
        await using var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Seed = 8, Outgoing = new FaultRates { Duplicate = P } });
        await using var receiver = second;
        for (var i = 0; i < Count; i++)
        {
            await sender.SendAsync(Numbered(i)).AsTask().WithTimeout();
        }

        await sender.CloseAsync();
        var delivered = await ReadToEndAsync(receiver);

        var sd = Math.Sqrt(Count * P * (1 - P));
        (delivered.Count - Count).Should().BeInRange((int)((Count * P) - (5 * sd)), (int)((Count * P) + (5 * sd)));
        delivered.Distinct().Should().HaveCount(Count, "nothing is lost");
        sender.Statistics.SentDuplicated.Should().Be(delivered.Count - Count);
    }

    [Fact]
    public async Task Outgoing_Duplicate_TheSameBytesArriveTwice_BothOverloads()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Outgoing = new FaultRates { Duplicate = 1 } });
        await using var receiver = second;

        await sender.SendAsync("abc"u8.ToArray()).AsTask().WithTimeout();
        await sender.SendAsync(7, static (n, output) => output.Write([(byte)n, (byte)(n + 1)])).AsTask().WithTimeout();

        (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("abc"u8.ToArray());
        (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("abc"u8.ToArray());
        (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(7, 8);
        (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(7, 8);
        sender.Statistics.Should().Be(new FaultInjectionStatistics(2, 0, 2, 0, 0, 0, 0, 0, 0, 0));
    }

    [Fact]
    public async Task Incoming_Duplicate_TheNextReadReturnsTheSameBytesAgain()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var sender = first;
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Incoming = new FaultRates { Duplicate = 1 } });

        await sender.SendAsync("one"u8.ToArray()).AsTask().WithTimeout();
        await sender.SendAsync("two"u8.ToArray()).AsTask().WithTimeout();

        var texts = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            texts.Add(System.Text.Encoding.ASCII.GetString((await receiver.ReceiveAsync().WithTimeout()).Message.ToArray()));
        }

        texts.Should().Equal("one", "one", "two", "two");
        receiver.Statistics.ReceivedDuplicated.Should().Be(2);
    }

    /// <summary>
    /// Checks that <paramref name="delivered"/> is 0..count-1 where each run of held messages comes right after the
    /// next message that went through; returns how many were held.
    /// </summary>
    private static int CheckReorderedBlocks(List<int> delivered, int count)
    {
        delivered.Should().BeEquivalentTo(Enumerable.Range(0, count), "reordering loses and adds nothing");
        var held = 0;
        var expectedNext = 0; // the lowest number not yet delivered
        var i = 0;
        while (i < delivered.Count)
        {
            var through = delivered[i]; // went through; the numbers before it that are missing were held for it
            var run = through - expectedNext;
            run.Should().BeGreaterThanOrEqualTo(0);
            delivered.Skip(i + 1).Take(run).Should().Equal(Enumerable.Range(expectedNext, run), "held messages follow the next one, in order");
            held += run;
            i += run + 1;
            expectedNext = through + 1;
        }

        return held;
    }

    [Fact]
    public async Task Outgoing_Reorder_AHeldMessageGoesOutRightAfterTheNextOne()
    {
        const int Count = 200;
        var (first, second) = MessageConnection.CreatePair(capacity: 2 * Count);
        var clock = new ManualTimeProvider();
        var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Seed = 5, Outgoing = new FaultRates { Reorder = 0.4 }, TimeProvider = clock });
        await using var receiver = second;
        for (var i = 0; i < Count; i++)
        {
            await sender.SendAsync(Numbered(i)).AsTask().WithTimeout();
        }

        clock.Advance(MaxDelay); // the last ones, if held, go out now
        await sender.DisposeAsync();
        var delivered = await ReadToEndAsync(receiver);

        var held = CheckReorderedBlocks(delivered, Count);
        held.Should().BeGreaterThan(40).And.BeLessThanOrEqualTo((int)sender.Statistics.SentReordered, "a trailing run goes out in order, after MaxDelay");
        delivered.Zip(delivered.Skip(1)).Should().Contain(p => p.First == p.Second + 1, "some message swapped with the next");
    }

    [Fact]
    public async Task Incoming_Reorder_AHeldMessageIsReturnedRightAfterTheNextOne()
    {
        const int Count = 200;
        var (first, second) = MessageConnection.CreatePair(capacity: 2 * Count);
        await using var sender = first;
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Seed = 6, Incoming = new FaultRates { Reorder = 0.4 }, TimeProvider = new ManualTimeProvider() });
        for (var i = 0; i <= Count; i++)
        {
            await sender.SendAsync(Numbered(i)).AsTask().WithTimeout();
        }

        await sender.CloseAsync();
        var delivered = await ReadToEndAsync(receiver); // held at the end: returned before the end

        var held = CheckReorderedBlocks(delivered, Count + 1);
        held.Should().BeGreaterThan(40).And.BeLessThanOrEqualTo((int)receiver.Statistics.ReceivedReordered, "a trailing run is returned in order, before the end");
    }

    [Fact]
    public async Task Outgoing_Reorder_NoNextMessage_GoesOutAfterMaxDelay()
    {
        var (first, second) = MessageConnection.CreatePair();
        var clock = new ManualTimeProvider();
        await using var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Outgoing = new FaultRates { Reorder = 1, MaxDelay = MaxDelay }, TimeProvider = clock });
        await using var receiver = second;

        await sender.SendAsync("late"u8.ToArray()).AsTask().WithTimeout();
        var pending = receiver.ReceiveAsync().AsTask();
        pending.IsCompleted.Should().BeFalse("held for the next message");
        clock.Advance(MaxDelay - TimeSpan.FromMilliseconds(1));
        pending.IsCompleted.Should().BeFalse();

        clock.Advance(TimeSpan.FromMilliseconds(1));

        (await pending.WithTimeout()).Message.ToArray().Should().Equal("late"u8.ToArray());
    }

    [Fact]
    public async Task Outgoing_Delay_HeldUntilTheFakeClockAdvances()
    {
        var (first, second) = MessageConnection.CreatePair();
        var clock = new ManualTimeProvider();
        await using var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Outgoing = new FaultRates { Delay = 1, MaxDelay = MaxDelay }, TimeProvider = clock });
        await using var receiver = second;

        await sender.SendAsync("x"u8.ToArray()).AsTask().WithTimeout();
        await sender.SendAsync(0, static (_, output) => output.Write("y"u8)).AsTask().WithTimeout();
        clock.ArmedTimers.Should().Be(1);
        var pending = receiver.ReceiveAsync().AsTask();
        pending.IsCompleted.Should().BeFalse("the message is delayed and the clock has not moved");

        clock.Advance(MaxDelay);

        var both = new[] { (await pending.WithTimeout()).Message.ToArray(), (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray() };
        both.Should().BeEquivalentTo(new[] { "x"u8.ToArray(), "y"u8.ToArray() });
        sender.Statistics.SentDelayed.Should().Be(2);
    }

    [Fact]
    public async Task Incoming_Delay_AReadWaitingOnTheConnectionWakesWhenTheMessageFallsDue()
    {
        var (first, second) = MessageConnection.CreatePair();
        var clock = new ManualTimeProvider();
        await using var sender = first;
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Incoming = new FaultRates { Delay = 1, MaxDelay = MaxDelay }, TimeProvider = clock });
        var pending = receiver.ReceiveAsync().AsTask();

        await sender.SendAsync("x"u8.ToArray()).AsTask().WithTimeout();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1, because: "the reader holds the message and sets a timer");
        pending.IsCompleted.Should().BeFalse("the message is delayed and the clock has not moved");

        clock.Advance(MaxDelay);

        var result = await pending.WithTimeout();
        result.Message.ToArray().Should().Equal("x"u8.ToArray());
        receiver.Statistics.ReceivedDelayed.Should().Be(1);
    }

    [Fact]
    public async Task CancelPendingReceive_WhileAMessageIsHeld_ReturnsCanceled_ThenTheMessageOnceDue()
    {
        var (first, second) = MessageConnection.CreatePair();
        var clock = new ManualTimeProvider();
        await using var sender = first;
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Incoming = new FaultRates { Delay = 1, MaxDelay = MaxDelay }, TimeProvider = clock });
        var pending = receiver.ReceiveAsync().AsTask();
        await sender.SendAsync("x"u8.ToArray()).AsTask().WithTimeout();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1, because: "the reader holds the message");

        receiver.CancelPendingReceive();

        (await pending.WithTimeout()).IsCanceled.Should().BeTrue();
        clock.Advance(MaxDelay);
        var next = await receiver.ReceiveAsync().WithTimeout();
        next.IsCanceled.Should().BeFalse();
        next.Message.ToArray().Should().Equal("x"u8.ToArray());
    }

    [Fact]
    public async Task Dispose_WhileMessagesAreHeld_TheyAreDiscardedAndTheTimersStopped()
    {
        var (first, second) = MessageConnection.CreatePair();
        var clock = new ManualTimeProvider();
        var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Outgoing = new FaultRates { Delay = 1, MaxDelay = MaxDelay }, TimeProvider = clock });
        await using var receiver = second;
        for (var i = 0; i < 3; i++)
        {
            await sender.SendAsync(Numbered(i)).AsTask().WithTimeout();
        }

        await sender.DisposeAsync();
        clock.ArmedTimers.Should().Be(0);
        clock.Advance(MaxDelay);

        (await receiver.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue("the delayed messages died with the wrapper");
        await FluentActions.Awaiting(() => sender.SendAsync(Numbered(9)).AsTask()).Should().ThrowAsync<ConnectionAbortedException>();
    }

    [Fact]
    public async Task Dispose_WhileReceivedMessagesAreHeld_ReadsEndCleanly()
    {
        var (first, second) = MessageConnection.CreatePair();
        var clock = new ManualTimeProvider();
        await using var sender = first;
        var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Incoming = new FaultRates { Reorder = 1, MaxDelay = MaxDelay }, TimeProvider = clock });
        var pending = receiver.ReceiveAsync().AsTask();
        await sender.SendAsync("x"u8.ToArray()).AsTask().WithTimeout();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1, because: "the reader holds the message");

        await receiver.DisposeAsync();

        (await pending.WithTimeout()).IsCompleted.Should().BeTrue();
        (await receiver.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue();
        clock.ArmedTimers.Should().Be(0);
    }

    [Fact]
    public async Task Abort_WhileMessagesAreHeld_ReadsRaiseTheAbort()
    {
        var (first, second) = MessageConnection.CreatePair();
        var clock = new ManualTimeProvider();
        await using var sender = first;
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Incoming = new FaultRates { Delay = 1 }, TimeProvider = clock });
        await sender.SendAsync("x"u8.ToArray()).AsTask().WithTimeout();
        var pending = receiver.ReceiveAsync().AsTask();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers == 1, because: "the reader holds the message");
        var reason = new InvalidOperationException("gave up");

        receiver.Abort(reason);

        (await FluentActions.Awaiting(() => pending.WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>()).Which.InnerException.Should().BeSameAs(reason);
    }

    [Fact]
    public async Task PeerCloses_HeldMessagesComeBeforeTheEnd()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var sender = first;
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Incoming = new FaultRates { Delay = 1 }, TimeProvider = new ManualTimeProvider() });
        await sender.SendAsync(Numbered(1)).AsTask().WithTimeout();
        await sender.SendAsync(Numbered(2)).AsTask().WithTimeout();

        await sender.CloseAsync();

        (await ReadToEndAsync(receiver)).Should().BeEquivalentTo([1, 2]);
        receiver.ConnectionClosed.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public async Task Dropped_TooLargeOrOnAClosedConnection_StillRaisesWhatTheConnectionRaises()
    {
        var (first, second) = MessageConnection.CreatePair(maxMessageSize: 100);
        await using var peer = second;
        var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Outgoing = FaultRates.Loss(1) });

        (await FluentActions.Awaiting(() => sender.SendAsync(new byte[101]).AsTask()).Should().ThrowAsync<FramingException>()).Which.Error.Should().Be(FramingError.FrameTooLarge);
        (await FluentActions.Awaiting(() => sender.SendAsync(0, static (_, o) => o.Write(new byte[101])).AsTask()).Should().ThrowAsync<FramingException>()).Which.Error.Should().Be(FramingError.FrameTooLarge);
        await FluentActions.Awaiting(() => sender.SendAsync(0, static (_, _) => throw new InvalidDataException("serializer")).AsTask()).Should().ThrowAsync<InvalidDataException>();
        await sender.SendAsync(new byte[100]).AsTask().WithTimeout(); // dropped, successfully

        await sender.DisposeAsync();

        await FluentActions.Awaiting(() => sender.SendAsync(new byte[1]).AsTask()).Should().ThrowAsync<ConnectionAbortedException>();
        (await peer.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue("every message was dropped");
    }

    [Fact]
    public async Task AllRatesZero_EveryMessageArrivesInOrder_AndNothingIsCounted()
    {
        var (first, second) = MessageConnection.CreatePair(capacity: 1000);
        await using var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Seed = 9 });
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Seed = 9 });
        for (var i = 0; i < 500; i++)
        {
            await sender.SendAsync(Numbered(i)).AsTask().WithTimeout();
            await sender.SendAsync(i, static (n, o) => o.Write(Numbered(n))).AsTask().WithTimeout();
        }

        await sender.CloseAsync();

        (await ReadToEndAsync(receiver)).Should().Equal(Enumerable.Range(0, 500).SelectMany(i => new[] { i, i }));
        sender.Statistics.Should().Be(new FaultInjectionStatistics(1000, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        receiver.Statistics.Should().Be(new FaultInjectionStatistics(0, 0, 0, 0, 0, 1000, 0, 0, 0, 0));
    }

    [Fact]
    public async Task Properties_AreTheWrappedConnections()
    {
        var inner = MessageConnection.Create(DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), new IPEndPoint(IPAddress.Loopback, 9));
        await using var wrapper = new FaultInjectingConnection(inner, new FaultInjectionOptions());

        wrapper.Id.Should().Be("F" + inner.Id);
        wrapper.LocalEndPoint.Should().Be(inner.LocalEndPoint);
        wrapper.RemoteEndPoint.Should().Be(inner.RemoteEndPoint);
        wrapper.MaxMessageSize.Should().Be(inner.MaxMessageSize);
        wrapper.ConnectionClosed.Should().Be(inner.ConnectionClosed);
        wrapper.IsReliable.Should().BeFalse();
        wrapper.IsOrdered.Should().BeFalse();
    }

    [Fact]
    public async Task DestinationOverloads_OnAConnectionWithOnePeer_RaiseNotSupportedAsTheWrappedOneDoes()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var peer = second;
        await using var wrapper = new FaultInjectingConnection(first, new FaultInjectionOptions());
        var somewhere = new IPEndPoint(IPAddress.Loopback, 9);

        await FluentActions.Awaiting(() => wrapper.SendAsync(new byte[1], somewhere).AsTask()).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => wrapper.SendAsync(0, static (_, o) => o.Write("x"u8), somewhere).AsTask()).Should().ThrowAsync<NotSupportedException>();
    }

    [Fact]
    public async Task ConcurrentSenders_EveryFaultBothWays_RealClock_EveryMessageIntactAndTheCountsAddUp()
    {
        const int Senders = 4;
        const int PerSender = 500;
        const int Length = 64;
        var (first, second) = MessageConnection.CreatePair(capacity: 8 * Senders * PerSender);
        var rates = new FaultRates { Drop = 0.1, Duplicate = 0.1, Delay = 0.1, Reorder = 0.1, MaxDelay = TimeSpan.FromMilliseconds(5) };
        await using var sender = new FaultInjectingConnection(first, new FaultInjectionOptions { Seed = 21, Outgoing = rates });
        await using var receiver = new FaultInjectingConnection(second, new FaultInjectionOptions { Seed = 21, Incoming = rates });

        await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < PerSender; i++)
            {
                var n = (s * PerSender) + i;
                if (i % 2 == 0)
                {
                    await sender.SendAsync(Filled(n)).AsTask().WithTimeout();
                }
                else
                {
                    await sender.SendAsync(n, static (number, output) => output.Write(Filled(number))).AsTask().WithTimeout();
                }
            }
        }))).WithTimeout();

        var sent = sender.Statistics;
        var arriving = sent.Sent - sent.SentDropped + sent.SentDuplicated; // all of it, once the held ones have gone out
        var counts = new Dictionary<int, int>();
        var read = 0L;
        using var overall = new CancellationTokenSource(TestTimeouts.Operation);
        while (true)
        {
            var r = receiver.Statistics;
            if (r.Received == arriving && read == r.Received - r.ReceivedDropped + r.ReceivedDuplicated)
            {
                break;
            }

            // The last message to arrive may be dropped: read in slices, looking at the counts between them.
            using var slice = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            slice.CancelAfter(TimeSpan.FromMilliseconds(100));
            MessageReceiveResult result;
            try
            {
                result = await receiver.ReceiveAsync(slice.Token);
            }
            catch (OperationCanceledException) when (!overall.IsCancellationRequested)
            {
                continue;
            }

            var bytes = result.Message.ToArray();
            bytes.Should().HaveCount(Length);
            var number = BinaryPrimitives.ReadInt32BigEndian(bytes);
            bytes.AsSpan(4).ToArray().Should().OnlyContain(b => b == (byte)number, "a message's bytes are never overwritten by another's");
            counts[number] = counts.GetValueOrDefault(number) + 1;
            read++;
        }

        sent.Sent.Should().Be(Senders * PerSender);
        counts.Keys.Should().OnlyContain(n => n >= 0 && n < Senders * PerSender);
        counts.Values.Should().OnlyContain(c => c <= 4, "duplicated at most once each way");

        static byte[] Filled(int number)
        {
            var bytes = new byte[Length];
            bytes.AsSpan(4).Fill((byte)number);
            BinaryPrimitives.WriteInt32BigEndian(bytes, number);
            return bytes;
        }
    }

    [Fact]
    public async Task WrappedConnectionFails_HeldMessagesComeFirst_ThenTheException()
    {
        var (left, right) = Infrastructure.PipeConnection.CreatePair();
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { Prefix = LengthPrefix.OneByte });
        await using var receiver = new FaultInjectingConnection(MessageConnection.Create(left, codec), new FaultInjectionOptions { Incoming = new FaultRates { Delay = 1 }, TimeProvider = new ManualTimeProvider() });

        // Two frames, both delayed (the clock never moves), then a frame cut short by the end of the input.
        await right.Transport.Output.WriteAsync(new byte[] { 1, 7, 1, 8, 2, 9 });
        await right.Transport.Output.CompleteAsync();

        var held = new[] { (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray(), (await receiver.ReceiveAsync().WithTimeout()).Message.ToArray() };
        held.Should().BeEquivalentTo(new[] { new byte[] { 7 }, new byte[] { 8 } }, "held messages come out before the failure, soonest due first");
        (await FluentActions.Awaiting(() => receiver.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<FramingException>()).Which.Error.Should().Be(FramingError.TruncatedFrame);
        await FluentActions.Awaiting(() => receiver.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<FramingException>("later reads raise it too");
    }

    [Fact]
    public void InvalidOptions_Throw()
    {
        var rates = new FaultRates();
        foreach (var bad in new[] { -0.01, 1.01, double.NaN, double.PositiveInfinity })
        {
            FluentActions.Invoking(() => rates.Drop = bad).Should().Throw<ArgumentOutOfRangeException>();
            FluentActions.Invoking(() => rates.Duplicate = bad).Should().Throw<ArgumentOutOfRangeException>();
            FluentActions.Invoking(() => rates.Delay = bad).Should().Throw<ArgumentOutOfRangeException>();
            FluentActions.Invoking(() => rates.Reorder = bad).Should().Throw<ArgumentOutOfRangeException>();
            FluentActions.Invoking(() => FaultRates.Loss(bad)).Should().Throw<ArgumentOutOfRangeException>();
        }

        FluentActions.Invoking(() => rates.MaxDelay = TimeSpan.Zero).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => rates.MaxDelay = TimeSpan.FromMilliseconds(-1)).Should().Throw<ArgumentOutOfRangeException>();
        rates.Drop = 1;
        rates.Drop = 0;
        FaultRates.None.Drop.Should().Be(0);
        var options = new FaultInjectionOptions();
        FluentActions.Invoking(() => options.Outgoing = null!).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => options.Incoming = null!).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => options.TimeProvider = null!).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new FaultInjectingConnection(null!, options)).Should().Throw<ArgumentNullException>();
        var (first, second) = MessageConnection.CreatePair();
        FluentActions.Invoking(() => new FaultInjectingConnection(first, null!)).Should().Throw<ArgumentNullException>();
        first.Abort();
        second.Abort();
    }
}
