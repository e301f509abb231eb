using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ocean.Testing;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

public sealed class ConnectionTests
{
    [Fact]
    public async Task HalfClose_ClientCompletesOutput_StillReadsTheWholeReply()
    {
        await using var server = await TestServer.StartAsync(TestServer.Echo);
        await using var connection = await server.ConnectAsync();
        var payload = new byte[200_000];
        new Random(7).NextBytes(payload);

        await connection.Transport.Output.WriteAsync(payload);
        await connection.Transport.Output.CompleteAsync(); // FIN: the server's input ends, it echoes and closes

        var reply = await connection.Transport.Input.ReadToEndAsync().WithTimeout();
        reply.AsSpan().SequenceEqual(payload).Should().BeTrue();
    }

    [Fact]
    public async Task HalfClose_ServerSideSeesEndOfInputAndCanStillReply()
    {
        var serverSaw = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (connection, _) =>
        {
            var all = await connection.Transport.Input.ReadToEndAsync();
            serverSaw.TrySetResult(all.Length);
            await connection.Transport.Output.WriteAsync(BitConverter.GetBytes(all.Length));
        });
        await using var client = await server.ConnectAsync();

        await client.Transport.Output.WriteAsync(new byte[12345]);
        await client.Transport.Output.CompleteAsync();

        (await serverSaw.Task.WithTimeout()).Should().Be(12345);
        var reply = await client.Transport.Input.ReadToEndAsync().WithTimeout();
        BitConverter.ToInt32(reply).Should().Be(12345);
    }

    [Fact]
    public async Task CloseAsync_UnsentDataPending_AllOfItArrives()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (connection, _) =>
            received.TrySetResult(await connection.Transport.Input.ReadToEndAsync()));
        var client = await server.ConnectAsync();
        var payload = new byte[1024 * 1024];
        new Random(3).NextBytes(payload);

        client.Transport.Output.Write(payload);
        _ = client.Transport.Output.FlushAsync();
        await client.CloseAsync().WithTimeout();

        (await received.Task.WithTimeout()).AsSpan().SequenceEqual(payload).Should().BeTrue();
        await TestTimeouts.UntilAsync(() => client.ConnectionClosed.IsCancellationRequested);
    }

    [Fact]
    public async Task CloseAsync_PeerNeverReads_DrainBoundedByCloseTimeout()
    {
        var clock = new ManualTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (_, stopping) => await release.Task.WaitAsync(stopping)); // never reads
        var options = new SocketConnectorOptions { CloseTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock, MaxWriteBufferSize = 64 * 1024 * 1024 };
        var client = await server.ConnectAsync(options);

        // Far more than the kernel's socket buffers hold: the send loop cannot drain while the peer does not read.
        await client.Transport.Output.WriteAsync(new byte[32 * 1024 * 1024]);
        var close = client.CloseAsync().AsTask();
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0 || close.IsCompleted, because: "the drain timer should be armed");
        close.IsCompleted.Should().BeFalse("the peer has not read the data, so the drain is still waiting");

        clock.Advance(TimeSpan.FromSeconds(5));

        await close.WithTimeout(); // bounded: aborted after the close timeout, not stuck forever
        release.SetResult();
    }

    [Fact]
    public async Task Abort_PendingReadFailsWithConnectionAborted_PeerSeesTheEnd()
    {
        var serverInput = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (connection, _) =>
            serverInput.TrySetResult(await connection.Transport.Input.ReadToEndAsync()));
        await using var client = await server.ConnectAsync();
        var pendingRead = client.Transport.Input.ReadAsync().AsTask();

        client.Abort(new InvalidOperationException("test abort"));
        client.Abort(); // idempotent

        var thrown = await FluentActions.Awaiting(() => pendingRead.WithTimeout()).Should().ThrowAsync<ConnectionAbortedException>();
        thrown.Which.InnerException.Should().BeOfType<InvalidOperationException>();
        (await serverInput.Task.WithTimeout()).Should().BeEmpty();
        await FluentActions.Awaiting(async () => await client.Transport.Output.WriteAsync(new byte[1]))
            .Should().ThrowAsync<ConnectionAbortedException>();
    }

    [Fact]
    public async Task ConnectionClosed_PeerClosesAndWeComplete_Fires()
    {
        await using var server = await TestServer.StartAsync((connection, _) => ValueTask.CompletedTask);
        await using var client = await server.ConnectAsync();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionClosed.Register(() => closed.TrySetResult());

        (await client.Transport.Input.ReadToEndAsync().WithTimeout()).Should().BeEmpty();
        await client.Transport.Output.CompleteAsync();

        await closed.Task.WithTimeout();
    }

    [Fact]
    public async Task PeerResets_InputEndsQuietly()
    {
        var accepted = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerDone = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (connection, _) =>
        {
            accepted.TrySetResult(connection);
            handlerDone.TrySetResult(await connection.Transport.Input.ReadToEndAsync());
        });
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(server.EndPoint);
        await accepted.Task.WithTimeout();
        await raw.SendAsync("abc"u8.ToArray());

        raw.LingerState = new LingerOption(true, 0); // close with RST
        raw.Close();

        // A reset is "the peer went away": the input simply ends, with what had arrived or without it.
        var received = await handlerDone.Task.WithTimeout();
        received.Length.Should().BeLessThanOrEqualTo(3);
    }

    [Fact]
    public async Task Endpoints_AreReportedOnBothSides()
    {
        var serverSide = new TaskCompletionSource<(EndPoint?, EndPoint?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (connection, stopping) =>
        {
            serverSide.TrySetResult((connection.LocalEndPoint, connection.RemoteEndPoint));
            await connection.Transport.EchoAsync(stopping);
        });
        await using var client = await server.ConnectAsync();

        var (serverLocal, serverRemote) = await serverSide.Task.WithTimeout();
        serverLocal.Should().Be(client.RemoteEndPoint);
        serverRemote.Should().Be(client.LocalEndPoint);
        client.ToString().Should().Contain(client.Id);
    }
}
