using Ocean.Testing;
using Ocean.Transport.Internal;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests;

/// <summary>
/// The receive loop's inline-delivery hooks that Framing's reply batching builds on: a reader waiting on the input
/// runs on the receive loop's thread (which the connection reports), and the observer hears when each delivery ends.
/// </summary>
public sealed class InputBurstTests
{
    [Fact]
    public async Task WaitingReader_RunsInsideTheDelivery_AndTheObserverHearsItsEnd()
    {
        const int rounds = 20;
        var observer = new CountingObserver();
        var sawDelivering = 0;
        var registered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (connection, stopping) =>
        {
            registered.TrySetResult(connection.TrySetInputBurstObserver(observer) && !connection.TrySetInputBurstObserver(new CountingObserver()));
            var input = connection.Transport.Input;
            while (true)
            {
                var read = await input.ReadAsync(stopping);
                if (connection.IsDeliveringInputOnCurrentThread)
                {
                    Interlocked.Increment(ref sawDelivering);
                }

                var length = read.Buffer.Length;
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }

                await connection.Transport.Output.WriteAsync(new byte[length], stopping);
            }
        });
        await using var client = await server.ConnectAsync();
        (await registered.Task.WithTimeout()).Should().BeTrue("the first observer is taken, a second refused");

        for (var i = 0; i < rounds; i++)
        {
            await client.Transport.Output.WriteAsync(new byte[] { 1 });
            var echo = await client.Transport.Input.ReadAsync().AsTask().WithTimeout();
            client.Transport.Input.AdvanceTo(echo.Buffer.End);
        }

        // The reader parks on the input between rounds, so (nearly) every round runs inline; a round whose bytes came
        // before the reader was back waiting runs on the reader's own thread instead, which is allowed.
        Volatile.Read(ref sawDelivering).Should().BeGreaterThan(rounds / 2);
        await TestTimeouts.UntilAsync(() => Volatile.Read(ref observer.Calls) >= Volatile.Read(ref sawDelivering), because: "every delivery ends with a call to the observer");
        server.ActiveConnections.Should().Be(1);
    }

    [Fact]
    public async Task AnotherThread_IsNotDelivering()
    {
        Connection? serverSide = null;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (connection, stopping) =>
        {
            serverSide = connection;
            ready.TrySetResult();
            await connection.Transport.Input.ReadAsync(stopping);
        });
        await using var client = await server.ConnectAsync();
        await ready.Task.WithTimeout();

        serverSide!.IsDeliveringInputOnCurrentThread.Should().BeFalse();
        client.IsDeliveringInputOnCurrentThread.Should().BeFalse();
    }

    private sealed class CountingObserver : IInputBurstObserver
    {
        public int Calls;

        public void OnInputBurstDelivered() => Interlocked.Increment(ref Calls);
    }
}
