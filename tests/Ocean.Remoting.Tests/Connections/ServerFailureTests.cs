using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>A server that dies mid-call: the pending call fails with Unavailable/Maybe within a bound; later calls with Unavailable/No.</summary>
public sealed class ServerFailureTests
{
    private static readonly TimeSpan FailBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ServerResettingTheSocket_MidCall_FailsThePendingCallWithMaybe_ThenCallsFailWithNo()
    {
        var requestSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fake = new FakeServer(async (connection, _) =>
        {
            await connection.AcceptHandshakeAsync();
            var request = await connection.ReadMessageAsync();
            MessageDecoder.ReadKind(new ReadOnlySequence<byte>(request!)).Should().Be(MessageKind.Request);
            requestSeen.TrySetResult();

            // Killed: an abortive close (RST), nothing more written.
            connection.Socket.LingerState = new LingerOption(true, 0);
            connection.Socket.Close();
        });
        var (client, proxy) = await Kit.ConnectAsync(fake.EndPoint, new RemotingClientOptions { ReconnectDelay = TimeSpan.FromSeconds(30) });
        await using var _ = client;

        var call = proxy.AddAsync(1, 2);
        await requestSeen.Task.WithTimeout();
        var thrown = await Kit.FailsAsync(() => call, RemotingStatus.Unavailable, CompletionStatus.Maybe, FailBound);
        thrown.Message.Should().Contain("may have run");

        await fake.DisposeAsync();
        await Kit.FailsAsync(() => proxy.AddAsync(3, 4), RemotingStatus.Unavailable, CompletionStatus.No, FailBound);
        await Kit.FailsAsync(() => proxy.AddAsync(3, 4), RemotingStatus.Unavailable, CompletionStatus.No, FailBound);
    }

    [Fact]
    public async Task ServerDisposedWithNoShutdownTime_WhileAMethodIgnoresItsToken_FailsTheCallWithMaybe()
    {
        var probe = new Probe();
        var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { ShutdownTimeout = TimeSpan.Zero });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint, new RemotingClientOptions { ReconnectDelay = TimeSpan.FromSeconds(30) });
        await using var _ = client;
        try
        {
            var call = proxy.HoldIgnoringTokenAsync(1);
            await probe.Started.WithTimeout();

            var watch = Stopwatch.StartNew();
            await server.DisposeAsync().AsTask().WithTimeout(FailBound);
            await Kit.FailsAsync(() => call, RemotingStatus.Unavailable, CompletionStatus.Maybe, FailBound);
            watch.Elapsed.Should().BeLessThan(FailBound);

            await Kit.FailsAsync(() => proxy.AddAsync(1, 2), RemotingStatus.Unavailable, CompletionStatus.No, FailBound);
        }
        finally
        {
            probe.Release();
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task ServerDisposedWithNoShutdownTime_CancelsTheMethodsToken_AndTheCallSaysUnavailableMaybe()
    {
        var probe = new Probe();
        var server = await Kit.StartServerAsync(probe, new RemotingServerOptions { ShutdownTimeout = TimeSpan.Zero });
        var (client, proxy) = await Kit.ConnectAsync(server.EndPoint);
        await using var _ = client;

        var call = proxy.HoldAsync(1, CancellationToken.None);
        await probe.Started.WithTimeout();
        await server.DisposeAsync().AsTask().WithTimeout(FailBound);

        await probe.TokenCancelled.WithTimeout(FailBound);
        await Kit.FailsAsync(() => call, RemotingStatus.Unavailable, CompletionStatus.Maybe, FailBound);
    }

    [Fact]
    public async Task Connect_WhereNothingListens_IsUnavailableNo()
    {
        using var placeholder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        placeholder.Bind(Kit.AnyLoopback); // a port that is ours and not listening
        var thrown = (await FluentActions.Awaiting(() => RemotingClient.ConnectAsync(placeholder.LocalEndPoint!).WithTimeout())
            .Should().ThrowAsync<RemotingException>()).Which;

        thrown.Status.Should().Be(RemotingStatus.Unavailable);
        thrown.Completion.Should().Be(CompletionStatus.No);
    }
}
