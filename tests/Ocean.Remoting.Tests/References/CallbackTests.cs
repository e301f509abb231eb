using FluentAssertions;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.References;

public sealed class CallbackTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_client_object_passed_by_reference_is_called_back_over_the_same_connection(Link link)
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IHub>(new Hub(), "hub"), link);
        var listener = new Listener("alice");

        var reply = await loop.Proxy<IHub>("hub").ForwardAsync(listener, "hello").WaitAsync(Timeout);

        reply.Should().Be("hub:alice:hello");
        listener.Heard.Should().Be(1);
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_server_object_returned_by_reference_arrives_as_a_working_proxy(Link link)
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IHub>(new Hub(), "hub"), link);
        var hub = loop.Proxy<IHub>("hub");

        var counter = await hub.NewCounterAsync(10).WaitAsync(Timeout);

        counter.Should().NotBeOfType<Counter>();
        (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(11);
        (await counter.IncrementAsync().WaitAsync(Timeout)).Should().Be(12);
        (await hub.ReadAsync(counter).WaitAsync(Timeout)).Should().Be(13, "the proxy passed back arrives at the server as its own object");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_callback_passed_back_arrives_at_its_owner_as_the_object_itself(Link link)
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IHub>(new Hub(), "hub"), link);
        var listener = new Listener("bob");

        var back = await loop.Proxy<IHub>("hub").EchoAsync(listener).WaitAsync(Timeout);

        back.Should().BeSameAs(listener);
        (await loop.Proxy<IHub>("hub").EchoAsync(null).WaitAsync(Timeout)).Should().BeNull();
    }

    [Fact]
    public async Task A_remote_interface_in_a_signature_is_checked_when_the_proxy_is_made()
    {
        await using var loop = await Loopback.StartAsync(_ => { });

        FluentActions.Invoking(() => loop.Proxy<IUsesBadCallback>("x")).Should().Throw<NotSupportedException>()
            .WithMessage("*IBadCallback*travels by reference*'ref'*");
        FluentActions.Invoking(() => loop.Proxy<IPing>("x")).Should().NotThrow("interfaces may use each other");
    }
}
