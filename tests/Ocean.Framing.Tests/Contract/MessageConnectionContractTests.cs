using System.Buffers;
using System.Text.RegularExpressions;
using Ocean.Framing.Tests.Infrastructure;
using Ocean.Transport;

namespace Ocean.Framing.Tests.Contract;

/// <summary>
/// What every <see cref="MessageConnection"/> promises, proven once per kind: a derived class says how to make a
/// connected pair and what the kind claims (size, reliability, the error for an oversized message).
/// </summary>
public abstract partial class MessageConnectionContractTests
{
    /// <summary>A connected pair: <see cref="ConnectedPair.Local"/> is the kind under test.</summary>
    protected abstract Task<ConnectedPair> CreatePairAsync();

    /// <summary>The <see cref="MessageConnection.MaxMessageSize"/> the kind must report.</summary>
    protected abstract int ExpectedMaxMessageSize { get; }

    /// <summary>Reliable and ordered (streams, in-memory), or neither (UDP).</summary>
    protected abstract bool ExpectedReliableAndOrdered { get; }

    /// <summary>The error a too-large message raises.</summary>
    protected virtual FramingError OversizeError => FramingError.FrameTooLarge;

    /// <summary>Whether the peer can close the connection (a stream, an in-memory pair); UDP has no close on the wire.</summary>
    protected virtual bool PeerCanClose => ExpectedReliableAndOrdered;

    /// <summary>The shape of the kind's <see cref="MessageConnection.Id"/>.</summary>
    protected virtual string IdPattern => "^[A-Z][0-9A-F]{8}$";

    /// <summary>A message of <paramref name="length"/> bytes that every codec can carry (no line breaks).</summary>
    protected static byte[] Message(int length, int seed = 0) =>
        Enumerable.Range(0, length).Select(i => (byte)('a' + ((i + seed) % 26))).ToArray();

    [Fact]
    public async Task SendAndReceive_BothWays_MessagesArriveWholeFromTheRightSender()
    {
        await using var pair = await CreatePairAsync();
        var messages = new[] { Message(1), Message(100, 1), Message(0), Message(1000, 2) };
        foreach (var message in messages)
        {
            await pair.Local.SendAsync(message).AsTask().WithTimeout();
        }

        var received = new List<byte[]>();
        for (var i = 0; i < messages.Length; i++)
        {
            var result = await pair.Peer.ReceiveAsync().WithTimeout();
            result.IsCompleted.Should().BeFalse();
            result.IsCanceled.Should().BeFalse();
            received.Add(result.Message.ToArray());
        }

        if (ExpectedReliableAndOrdered)
        {
            received.Should().BeEquivalentTo(messages, o => o.WithStrictOrdering());
        }
        else
        {
            received.Should().BeEquivalentTo(messages);
        }

        await pair.Peer.SendAsync(Message(5, 3)).AsTask().WithTimeout();
        var reply = await pair.Local.ReceiveAsync().WithTimeout();
        reply.Message.ToArray().Should().Equal(Message(5, 3));
        reply.RemoteEndPoint.Should().Be(pair.Peer.LocalEndPoint, "the result names the sender");
    }

    [Fact]
    public async Task SendAsync_MessageWriter_RoundTrips()
    {
        await using var pair = await CreatePairAsync();
        var expected = Message(300, 4);

        await pair.Local.SendAsync(expected, static (m, output) =>
        {
            output.Write(m.AsSpan(0, 100));
            output.Write(m.AsSpan(100));
        }).AsTask().WithTimeout();

        (await pair.Peer.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(expected);
    }

    [Fact]
    public async Task Properties_DescribeTheKind()
    {
        await using var pair = await CreatePairAsync();

        pair.Local.MaxMessageSize.Should().Be(ExpectedMaxMessageSize);
        pair.Local.IsReliable.Should().Be(ExpectedReliableAndOrdered);
        pair.Local.IsOrdered.Should().Be(ExpectedReliableAndOrdered);
        pair.Local.ConnectionClosed.IsCancellationRequested.Should().BeFalse();
    }

    [Fact]
    public async Task Id_HasTheTransportShape_AndIsUnique()
    {
        await using var pair = await CreatePairAsync();
        await using var other = await CreatePairAsync();

        pair.Local.Id.Should().MatchRegex(IdPattern);
        new[] { pair.Local.Id, pair.Peer.Id, other.Local.Id, other.Peer.Id }.Should().OnlyHaveUniqueItems();
        pair.Local.Id.Should().Be(pair.Local.Id, "an id does not change");
    }

    [Fact]
    public async Task SendAsync_ExactlyMaxMessageSize_Arrives()
    {
        await using var pair = await CreatePairAsync();
        var largest = Message(pair.Local.MaxMessageSize, 5);

        await pair.Local.SendAsync(largest).AsTask().WithTimeout();

        (await pair.Peer.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(largest);
    }

    [Fact]
    public async Task SendAsync_OverMaxMessageSize_ThrowsFramingErrorAndNothingIsSent()
    {
        await using var pair = await CreatePairAsync();
        var tooLarge = Message(pair.Local.MaxMessageSize + 1);

        var direct = await FluentActions.Awaiting(() => pair.Local.SendAsync(tooLarge).AsTask()).Should().ThrowAsync<FramingException>();
        direct.Which.Error.Should().Be(OversizeError);
        var written = await FluentActions.Awaiting(() => pair.Local.SendAsync(tooLarge, static (m, output) => output.Write(m)).AsTask()).Should().ThrowAsync<FramingException>();
        written.Which.Error.Should().Be(OversizeError);
        var sequence = await FluentActions.Awaiting(() => pair.Local.SendAsync(Sequences.SplitAt(tooLarge, tooLarge.Length / 2)).AsTask()).Should().ThrowAsync<FramingException>();
        sequence.Which.Error.Should().Be(OversizeError);

        // Nothing of them reached the peer: the next message is the first it sees, and the connection still works.
        await pair.Local.SendAsync(Message(3, 7)).AsTask().WithTimeout();
        (await pair.Peer.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(Message(3, 7));
    }

    [Fact]
    public async Task SendAsync_WriterThrows_NothingIsSentAndTheConnectionWorks()
    {
        await using var pair = await CreatePairAsync();

        await FluentActions.Awaiting(() => pair.Local.SendAsync(0, static (_, output) =>
        {
            output.Write("partial"u8);
            throw new InvalidDataException("the serializer failed");
        }).AsTask()).Should().ThrowAsync<InvalidDataException>();

        await pair.Local.SendAsync(Message(4, 8)).AsTask().WithTimeout();
        (await pair.Peer.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(Message(4, 8));
    }

    [Fact]
    public async Task CancelPendingReceive_WhileWaiting_ReturnsCanceledAndLosesNothing()
    {
        await using var pair = await CreatePairAsync();
        var pending = pair.Local.ReceiveAsync().AsTask();
        pending.IsCompleted.Should().BeFalse("nothing was sent");

        pair.Local.CancelPendingReceive();

        var canceled = await pending.WithTimeout();
        canceled.IsCanceled.Should().BeTrue();
        canceled.IsCompleted.Should().BeFalse();
        canceled.Message.IsEmpty.Should().BeTrue();
        pair.Local.ConnectionClosed.IsCancellationRequested.Should().BeFalse("a cancelled read leaves the connection open");

        await pair.Peer.SendAsync(Message(6, 9)).AsTask().WithTimeout();
        var next = await pair.Local.ReceiveAsync().WithTimeout();
        next.IsCanceled.Should().BeFalse("one cancel cancels one read");
        next.Message.ToArray().Should().Equal(Message(6, 9));
    }

    [Fact]
    public async Task CancelPendingReceive_BeforeTheRead_TheNextReadReturnsCanceled_ThenTheMessage()
    {
        await using var pair = await CreatePairAsync();
        await pair.Peer.SendAsync(Message(2, 10)).AsTask().WithTimeout();

        pair.Local.CancelPendingReceive();
        pair.Local.CancelPendingReceive(); // several before one read count once

        (await pair.Local.ReceiveAsync().WithTimeout()).IsCanceled.Should().BeTrue();
        var message = await pair.Local.ReceiveAsync().WithTimeout();
        message.IsCanceled.Should().BeFalse();
        message.Message.ToArray().Should().Equal(Message(2, 10));
    }

    [Fact]
    public async Task ReceiveAsync_WhileAnotherIsPendingWithACancelRequested_RefusedWithoutTakingThatCancel()
    {
        await using var pair = await CreatePairAsync();
        for (var i = 0; i < 20; i++)
        {
            var pending = pair.Local.ReceiveAsync().AsTask();
            pair.Local.CancelPendingReceive();

            // Right behind the cancel, before the pending read has woken (or after: then this one is a fresh read).
            Task<MessageReceiveResult>? second = null;
            try
            {
                second = pair.Local.ReceiveAsync().AsTask();
            }
            catch (InvalidOperationException)
            {
                // The first read still runs: refused, as any second read is.
            }

            (await pending.WithTimeout()).IsCanceled.Should().BeTrue("the cancel was meant for the pending read, not taken by the refused one");
            if (second is not null)
            {
                if (second.IsFaulted && second.Exception!.InnerException is InvalidOperationException)
                {
                    continue;
                }

                second.IsCompleted.Should().BeFalse("a read that began after the cancel was consumed waits for a message");
                await pair.Peer.SendAsync(Message(2, i)).AsTask().WithTimeout();
                (await second.WithTimeout()).Message.ToArray().Should().Equal(Message(2, i));
            }
        }
    }

    [Fact]
    public async Task ReceiveAsync_WhileAnotherIsPending_RefusedAndThePendingOneUnharmed()
    {
        await using var pair = await CreatePairAsync();
        var pending = pair.Local.ReceiveAsync().AsTask();

        await FluentActions.Awaiting(() => pair.Local.ReceiveAsync().AsTask()).Should().ThrowAsync<InvalidOperationException>();

        await pair.Peer.SendAsync(Message(9, 13)).AsTask().WithTimeout();
        (await pending.WithTimeout()).Message.ToArray().Should().Equal(Message(9, 13));
    }

    [Fact]
    public async Task ReceiveAsync_TokenCancelled_ThrowsAndTheConnectionStillWorks()
    {
        await using var pair = await CreatePairAsync();
        using var cts = new CancellationTokenSource();
        var pending = pair.Local.ReceiveAsync(cts.Token).AsTask();

        await cts.CancelAsync();

        await FluentActions.Awaiting(() => pending.WithTimeout()).Should().ThrowAsync<OperationCanceledException>();
        await pair.Peer.SendAsync(Message(8, 11)).AsTask().WithTimeout();
        (await pair.Local.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(Message(8, 11));
    }

    [Fact]
    public async Task Abort_WithAReason_PendingAndLaterOperationsThrowConnectionAbortedWithThatReason()
    {
        await using var pair = await CreatePairAsync();
        var pending = pair.Local.ReceiveAsync().AsTask();
        var reason = new InvalidOperationException("the protocol gave up");

        pair.Local.Abort(reason);

        var thrown = await FluentActions.Awaiting(() => pending.WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
        thrown.Which.InnerException.Should().BeSameAs(reason);
        var later = await FluentActions.Awaiting(() => pair.Local.ReceiveAsync().AsTask().WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
        later.Which.InnerException.Should().BeSameAs(reason);
        var send = await FluentActions.Awaiting(() => pair.Local.SendAsync(Message(1)).AsTask().WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
        send.Which.InnerException.Should().BeSameAs(reason);
        var written = await FluentActions.Awaiting(() => pair.Local.SendAsync(1, static (_, o) => o.Write("x"u8)).AsTask().WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
        written.Which.InnerException.Should().BeSameAs(reason);
        await WaitFiredAsync(pair.Local.ConnectionClosed);
    }

    [Fact]
    public async Task ConnectionClosed_FiresOnDispose_AndReadsThenEndCleanly()
    {
        await using var pair = await CreatePairAsync();
        var closed = pair.Local.ConnectionClosed;

        var disposing = pair.Local.DisposeAsync().AsTask(); // a TCP close completes once the other end closes too

        await WaitFiredAsync(closed);
        (await pair.Local.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue();
        await FluentActions.Awaiting(() => pair.Local.SendAsync(Message(1)).AsTask().WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
        await pair.Peer.DisposeAsync();
        await disposing.WithTimeout();
    }

    [Fact]
    public async Task ConnectionClosed_FiresOnClose_AndReadsThenEndCleanly()
    {
        await using var pair = await CreatePairAsync();

        var closing = pair.Local.CloseAsync().AsTask();

        await WaitFiredAsync(pair.Local.ConnectionClosed);
        await FluentActions.Awaiting(() => pair.Local.SendAsync(Message(1)).AsTask().WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
        (await pair.Local.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue("a read after the close ends cleanly");
        await pair.Peer.DisposeAsync();
        await closing.WithTimeout();
    }

    [Fact]
    public async Task ConnectionClosed_PeerCloses_FiresOnceTheReaderSeesTheEnd()
    {
        if (!PeerCanClose)
        {
            return; // UDP: a peer's close sends nothing
        }

        await using var pair = await CreatePairAsync();
        await pair.Peer.SendAsync(Message(3, 12)).AsTask().WithTimeout();
        var closing = pair.Peer.CloseAsync().AsTask();

        (await pair.Local.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(Message(3, 12), "what was sent before the close still arrives");
        (await pair.Local.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue();
        await WaitFiredAsync(pair.Local.ConnectionClosed);
        await pair.Local.DisposeAsync();
        await closing.WithTimeout();
    }

    [Fact]
    public async Task ConnectionClosed_PeerAborts_ReadsEndAndItFires()
    {
        if (!PeerCanClose)
        {
            return; // UDP: a peer's abort sends nothing
        }

        await using var pair = await CreatePairAsync();
        var pending = pair.Local.ReceiveAsync().AsTask();

        pair.Peer.Abort(new InvalidOperationException("the peer gave up"));

        // An abort reaches the other end as the end of its input (over TCP, a reset), not as the peer's reason.
        (await pending.WithTimeout()).IsCompleted.Should().BeTrue();
        await WaitFiredAsync(pair.Local.ConnectionClosed);
    }

    [Theory]
    [InlineData("close")]
    [InlineData("abort")]
    [InlineData("dispose")]
    public async Task ConnectionClosed_AlreadyCancelledWhenTheClosingCallReturns_CallbacksNotRunInsideIt(string how)
    {
        await using var pair = await CreatePairAsync();
        using var gate = new ManualResetEventSlim();
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = pair.Local.ConnectionClosed.Register(() =>
        {
            // Run inline, this would hold up the closing call. Bounded by the operation timeout, not a few seconds: the
            // callback must not finish on its own before the test thread (however stalled) has looked at it.
            gate.Wait(TestTimeouts.Operation);
            ran.TrySetResult();
        });

        var closing = how switch
        {
            "close" => pair.Local.CloseAsync(),
            "abort" => Abort(pair.Local),
            _ => pair.Local.DisposeAsync(),
        };

        pair.Local.ConnectionClosed.IsCancellationRequested.Should().BeTrue("the token is cancelled by the time the " + how + " call returns");
        ran.Task.IsCompleted.Should().BeFalse("callbacks are user code: they run off the closing call's thread");
        gate.Set();
        await ran.Task.WithTimeout();
        await pair.Peer.DisposeAsync();
        await closing.AsTask().WithTimeout();

        static ValueTask Abort(MessageConnection connection)
        {
            connection.Abort();
            return ValueTask.CompletedTask;
        }
    }

    private static Task WaitFiredAsync(CancellationToken token) =>
        TestTimeouts.UntilAsync(() => token.IsCancellationRequested, because: "ConnectionClosed should fire");
}
