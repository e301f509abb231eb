using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ocean.Testing;
using Ocean.Transport.Internal;
using Ocean.Transport.Tests.Infrastructure;

namespace Ocean.Transport.Tests.Hostile;

/// <summary>
/// A crowd of clients that uses up the server process's file descriptors: the accept loop must back off and
/// recover once descriptors are free again, not die while the server still reports itself running.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class DescriptorExhaustionTests
{
    [Fact]
    public async Task AcceptLoop_DescriptorsRunOut_BacksOffAndAcceptsAgainOnceFreed()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the server process needs bash's ulimit
        }

        // The server runs in a child process with a descriptor limit of its own; this process plays the clients.
        var probe = Path.Combine(AppContext.BaseDirectory, "Ocean.Transport.ExhaustionProbe.dll");
        File.Exists(probe).Should().BeTrue("the probe project is referenced by the test project and copied beside it");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { "-c", "ulimit -n 128 && exec \"$0\" \"$1\"", dotnet, probe },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        using var server = Process.Start(start)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue("stderr: " + e.Data); } };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var crowd = new List<Socket>();
        try
        {
            await TestTimeouts.UntilAsync(() => lines.Any(l => l.StartsWith("listening ", StringComparison.Ordinal)) || server.HasExited, because: "the server should start");
            var port = int.Parse(lines.First(l => l.StartsWith("listening ", StringComparison.Ordinal))["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);
            using (var warmUp = await ConnectAsync(endPoint))
            {
                (await EchoAsync(warmUp, "warm")).Should().BeTrue("the server echoes before anything is exhausted");
            }

            // More clients than the server has descriptors: the kernel completes their handshakes in the backlog,
            // and accepting them fails with EMFILE once the server's table is full.
            for (var i = 0; i < 400 && !lines.Contains("accept-backing-off") && !lines.Contains("accept-loop-stopped"); i++)
            {
                crowd.Add(await ConnectAsync(endPoint));
            }

            await TestTimeouts.UntilAsync(() => lines.Contains("accept-backing-off") || lines.Contains("accept-loop-stopped") || server.HasExited, because: "accepting should run out of descriptors");
            using var waiting = await ConnectAsync(endPoint); // queued while the server has no descriptor to spare

            foreach (var client in crowd)
            {
                client.Dispose();
            }

            crowd.Clear();

            var because = "the server printed: " + string.Join(" | ", lines);
            lines.Should().Contain("accept-backing-off", because);
            lines.Should().NotContain("accept-loop-stopped", because);
            (await EchoAsync(waiting, "queued")).Should().BeTrue("the client that connected while descriptors were exhausted is accepted once they are free; " + because);
            using var fresh = await ConnectAsync(endPoint);
            (await EchoAsync(fresh, "fresh")).Should().BeTrue("a new client is accepted and served; " + because);
        }
        finally
        {
            foreach (var client in crowd)
            {
                client.Dispose();
            }

            server.StandardInput.Close(); // the probe stops its server and exits
            try
            {
                await server.WaitForExitAsync().WithTimeout();
            }
            catch (TimeoutException)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    [Theory]
    [InlineData(SocketError.TooManyOpenSockets, true)]       // EMFILE, ENFILE
    [InlineData(SocketError.NoBufferSpaceAvailable, true)]   // ENOBUFS
    [InlineData(SocketError.ConnectionReset, false)]
    [InlineData(SocketError.AccessDenied, false)]
    [InlineData(SocketError.InvalidArgument, false)]
    public void IsResourceExhausted_ClassifiesOutOfDescriptorsAndMemory(SocketError error, bool exhausted)
    {
        SocketErrors.IsResourceExhausted(error).Should().Be(exhausted);
        SocketErrors.IsResourceExhausted(new SocketException((int)error)).Should().Be(exhausted);
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint).WithTimeout();
        return socket;
    }

    /// <summary>Sends a word and reads it back; false when nothing comes back in time (never accepted) or the server closed.</summary>
    private static async Task<bool> EchoAsync(Socket socket, string word)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes(word);
        await socket.SendAsync(payload);
        var received = new byte[payload.Length];
        var filled = 0;
        using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
        try
        {
            while (filled < received.Length)
            {
                var read = await socket.ReceiveAsync(received.AsMemory(filled), SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                filled += read;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return received.AsSpan().SequenceEqual(payload);
    }

    [Fact]
    public async Task AcceptLoop_OtherSocketErrors_RetriedAndLaterClientsAccepted()
    {
        var logs = new CapturingLoggerFactory();
        var server = new SocketServer(new IPEndPoint(IPAddress.Loopback, 0), TestServer.Echo, new SocketServerOptions { LoggerFactory = logs });
        var failures = 0;
        server.AcceptHook = (socket, cancellationToken) =>
            Interlocked.Increment(ref failures) <= 3
                ? ValueTask.FromException<Socket>(new SocketException((int)SocketError.NetworkDown))
                : socket.AcceptAsync(cancellationToken);
        await server.StartAsync();
        try
        {
            // Before, the first such error ended the accept loop for good while the server reported itself running.
            await using var client = await server.ConnectAsync().AsTask().WithTimeout();
            await client.Transport.Output.WriteAsync(new byte[] { 7, 8, 9 });
            (await client.Transport.Input.ReadExactlyAsync(3).WithTimeout()).Should().Equal(7, 8, 9);

            logs.Entries.Where(e => e.EventId.Id == 210).Should().HaveCount(3);
            logs.Entries.Should().NotContain(e => e.EventId.Id == 206, "the accept loop never gave up");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
