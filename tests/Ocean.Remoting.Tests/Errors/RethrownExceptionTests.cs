using Ocean.Framing;

namespace Ocean.Remoting.Tests.Errors;

public sealed class RethrownExceptionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public interface IThrower
    {
        Task ThrowArgumentAsync(string message);

        Task ThrowInvalidOperationAsync(string message);
    }

    private sealed class Thrower : IThrower
    {
        public Task ThrowArgumentAsync(string message) => throw new ArgumentException(message);

        public Task ThrowInvalidOperationAsync(string message) => Task.FromException(new InvalidOperationException(message));
    }

    private static async Task<(RemotingServer Server, RemotingClient Client, IThrower Proxy)> ConnectAsync(RemotingClientOptions options)
    {
        var (first, second) = MessageConnection.CreatePair();
        var server = new RemotingServer();
        server.Export<IThrower>(new Thrower(), "thrower");
        _ = server.ServeAsync(second);
        var client = await RemotingClient.ConnectAsync(first, options).WaitAsync(Timeout);
        return (server, client, client.GetProxy<IThrower>("thrower"));
    }

    [Fact]
    public async Task An_allowed_exception_type_is_rethrown_as_itself_with_the_remote_failure_inside()
    {
        var options = new RemotingClientOptions();
        options.RethrownExceptions.Add(typeof(ArgumentException));
        var (server, client, proxy) = await ConnectAsync(options);
        await using (server)
        await using (client)
        {
            var thrown = await proxy.Invoking(p => p.ThrowArgumentAsync("no such account").WaitAsync(Timeout)).Should().ThrowExactlyAsync<ArgumentException>();
            thrown.Which.Message.Should().Be("no such account");
            var remote = thrown.Which.InnerException.Should().BeOfType<RemotingException>().Subject;
            remote.Status.Should().Be(RemotingStatus.ApplicationException);
            remote.Completion.Should().Be(CompletionStatus.Yes);
            remote.RemoteTypeName.Should().Be("System.ArgumentException");
            remote.RemoteMessage.Should().Be("no such account");

            // A type the client did not allow still arrives as RemotingException.
            var other = await proxy.Invoking(p => p.ThrowInvalidOperationAsync("closed").WaitAsync(Timeout)).Should().ThrowExactlyAsync<RemotingException>();
            other.Which.RemoteTypeName.Should().Be("System.InvalidOperationException");
            other.Which.RemoteMessage.Should().Be("closed");
            other.Which.Message.Should().Be("System.InvalidOperationException: closed");
        }
    }

    [Fact]
    public async Task Without_the_option_every_remote_exception_is_a_RemotingException()
    {
        var (server, client, proxy) = await ConnectAsync(new RemotingClientOptions());
        await using (server)
        await using (client)
        {
            var thrown = await proxy.Invoking(p => p.ThrowArgumentAsync("x").WaitAsync(Timeout)).Should().ThrowExactlyAsync<RemotingException>();
            thrown.Which.RemoteTypeName.Should().Be("System.ArgumentException");
        }
    }

    [Theory]
    [InlineData(typeof(string))]
    [InlineData(typeof(Exception))]
    public async Task A_type_that_cannot_be_rethrown_is_refused_when_the_client_is_made(Type type)
    {
        var options = new RemotingClientOptions();
        options.RethrownExceptions.Add(type == typeof(Exception) ? typeof(NoMessageConstructorException) : type);
        var (first, second) = MessageConnection.CreatePair();
        await using var _ = second;
        var connecting = () => RemotingClient.ConnectAsync(first, options);
        await connecting.Should().ThrowAsync<ArgumentException>();
        first.ConnectionClosed.IsCancellationRequested.Should().BeTrue("ConnectAsync owns the connection it was given, even when the options are refused");
    }

    private sealed class NoMessageConstructorException : Exception;
}
