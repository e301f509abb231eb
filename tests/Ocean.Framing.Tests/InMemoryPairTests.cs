using System.Buffers;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>What <see cref="MessageConnection.CreatePair"/> adds to the contract: copies on send, a peer that goes away, back-pressure.</summary>
public sealed class InMemoryPairTests
{
    [Fact]
    public async Task SendAsync_CopiesTheMessage_TheSendersBufferCanBeReusedAtOnce()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var a = first;
        await using var b = second;
        var buffer = "original"u8.ToArray();

        await a.SendAsync(buffer);
        "reused!!"u8.CopyTo(buffer);

        (await b.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("original"u8.ToArray());
    }

    [Fact]
    public async Task PeerClosed_SendsFailWithConnectionAborted()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var a = first;
        await using var b = second;

        await a.CloseAsync();

        await FluentActions.Awaiting(() => b.SendAsync("x"u8.ToArray()).AsTask()).Should().ThrowAsync<ConnectionAbortedException>();
        await TestTimeouts.UntilAsync(() => b.ConnectionClosed.IsCancellationRequested, because: "a send found the peer gone");
    }

    [Fact]
    public async Task PeerAborted_TheOtherEndReadsWhatWasSentThenTheEnd()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var a = first;
        await using var b = second;
        await a.SendAsync("before"u8.ToArray());

        a.Abort(new InvalidOperationException("gone"));

        (await b.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("before"u8.ToArray());
        (await b.ReceiveAsync().WithTimeout()).IsCompleted.Should().BeTrue("an abort reaches the peer as the end of its input, as over TCP");
    }

    [Fact]
    public async Task SendAsync_InboxFull_SenderWaitsUntilTheReaderReads()
    {
        var (first, second) = MessageConnection.CreatePair(capacity: 2);
        await using var a = first;
        await using var b = second;
        await a.SendAsync(new byte[] { 1 });
        await a.SendAsync(new byte[] { 2 });

        var third = a.SendAsync(new byte[] { 3 }).AsTask();
        third.IsCompleted.Should().BeFalse("two messages wait unread");

        (await b.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(1);
        await third.WithTimeout();
        (await b.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(2);
        (await b.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(3);
    }

    [Fact]
    public async Task ReceiveAsync_Concurrently_SecondIsRefused()
    {
        var (first, second) = MessageConnection.CreatePair();
        await using var a = first;
        await using var b = second;
        var pending = b.ReceiveAsync();

        FluentActions.Invoking(() => b.ReceiveAsync()).Should().Throw<InvalidOperationException>();
        b.CancelPendingReceive();
        (await pending.AsTask().WithTimeout()).IsCanceled.Should().BeTrue();
    }

    [Fact]
    public void CreatePair_NonPositiveLimits_Refused()
    {
        FluentActions.Invoking(() => MessageConnection.CreatePair(maxMessageSize: 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => MessageConnection.CreatePair(capacity: 0)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
