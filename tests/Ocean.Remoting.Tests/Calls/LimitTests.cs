namespace Ocean.Remoting.Tests.Calls;

/// <summary>Messages beyond a side's limit fail the one call, with the right completion; the connection goes on.</summary>
public sealed class LimitTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    [Theory]
    [InlineData(Link.Tcp)]
    [InlineData(Link.InMemory)]
    public async Task A_request_larger_than_the_server_accepts_fails_locally_not_executed(Link link)
    {
        var lengths = new Lengths();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<ILengths>(lengths, "lengths"), link, new RemotingServerOptions { MaxMessageSize = 64 * 1024 });
        var proxy = loop.Proxy<ILengths>("lengths");

        var e = (await proxy.Awaiting(p => p.LengthAsync(new string('x', 100_000)).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.BadArguments);
        e.Completion.Should().Be(CompletionStatus.No);

        (await proxy.LengthAsync(new string('y', 60_000)).WaitAsync(Timeout)).Should().Be(60_000, "the connection still works");
        lengths.Ran.Should().Equal(60_000);
    }

    [Theory]
    [InlineData(Link.Tcp)]
    [InlineData(Link.InMemory)]
    public async Task A_reply_larger_than_the_client_accepts_is_Internal_executed(Link link)
    {
        var greeter = new Greeter();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IGreeter>(greeter, "greeter"), link, clientOptions: new RemotingClientOptions { MaxMessageSize = 64 * 1024 });
        var proxy = loop.Proxy<IGreeter>("greeter");

        // a 1 KB request whose reply is about 100 KB
        var who = new string('w', 1_000);
        var e = (await proxy.Awaiting(p => Task.Run(() => p.Greet(who, 100)).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.Internal);
        e.Completion.Should().Be(CompletionStatus.Yes, "the method ran; its result could not be sent");

        (await Task.Run(() => proxy.Greet(who, 10)).WaitAsync(Timeout)).Length.Should().Be((10 * 1_008) - 1, "the connection still works");
    }

    [Fact]
    public async Task A_huge_exception_message_is_truncated_and_the_connection_goes_on()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IFaulty>(new Faulty(), "faulty"), Link.Tcp);
        var faulty = loop.Proxy<IFaulty>("faulty");

        var e = (await faulty.Awaiting(f => f.ThrowAsync(new string('m', 200_000)).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.ApplicationException);
        e.Completion.Should().Be(CompletionStatus.Yes);
        e.RemoteTypeName.Should().Be(typeof(ProbeFailedException).FullName);
        e.Message.Length.Should().BeInRange(1_000, 70_000, "the message is cut at 64 KiB");
        (await faulty.OkAsync(7).WaitAsync(Timeout)).Should().Be(7);
    }
}
