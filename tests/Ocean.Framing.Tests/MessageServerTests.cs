using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ocean.Transport;

namespace Ocean.Framing.Tests;

/// <summary>Message servers over real loopback sockets.</summary>
public sealed class MessageServerTests
{
    private static readonly MessageConnectionHandler s_echo = static async (connection, stopping) =>
    {
        while (true)
        {
            var result = await connection.ReceiveAsync(stopping);
            if (result.IsCompleted)
            {
                return;
            }

            await connection.SendAsync(result.Message.ToArray(), stopping);
        }
    };

    private static async Task<MessageServer> StartAsync(FrameCodec codec, MessageConnectionHandler? handler = null, MessageServerOptions? options = null)
    {
        var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), codec, handler ?? s_echo, options);
        await server.StartAsync();
        return server;
    }

    [Fact]
    public async Task LineEcho_ManyConcurrentClients_EveryLineComesBack()
    {
        var codec = new LineCodec(new LineCodecOptions { Terminator = LineTerminator.CrLf });
        await using var server = await StartAsync(codec);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(c => Task.Run(async () =>
        {
            await using var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);
            for (var i = 0; i < 50; i++)
            {
                var line = $"client {c} line {i} — ünïcödé";
                await client.SendAsync(Encoding.UTF8.GetBytes(line));
                codec.GetString((await client.ReceiveAsync().WithTimeout()).Message).Should().Be(line);
            }
        }))).WithTimeout(TestTimeouts.Load);
    }

    [Fact]
    public async Task LineEcho_NetcatStyleClient_LfAndCrLfBothAccepted()
    {
        await using var server = await StartAsync(new LineCodec());
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(server.EndPoint);

        // Pharo's sendCommand: writes CR LF; netcat writes LF. The server answers with LF (nextLineLf reads it).
        await raw.SendAsync("Pharo\r\nnetcat\n"u8.ToArray());
        var received = new List<byte>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
        while (received.Count(b => b == (byte)'\n') < 2)
        {
            var n = await raw.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            n.Should().BePositive();
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        Encoding.ASCII.GetString(received.ToArray()).Should().Be("Pharo\nnetcat\n");
    }

    [Fact]
    public async Task LengthPrefixedEcho_ManyConcurrentClients_AllMessagesIntact()
    {
        var codec = new LengthPrefixedCodec();
        await using var server = await StartAsync(codec);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            await using var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);
            for (var i = 0; i < 50; i++)
            {
                var payload = new byte[random.Next(0, 20_000)];
                random.NextBytes(payload);
                await client.SendAsync(payload);
                (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal(payload);
            }
        }))).WithTimeout(TestTimeouts.Load);
    }

    [Fact]
    public async Task ConcurrentSendersOnOneTcpConnection_EchoedFramesNeverInterleave()
    {
        var codec = new LengthPrefixedCodec();
        await using var server = await StartAsync(codec);
        await using var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);
        const int senders = 8, perSender = 250;

        var sending = Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
            {
                var payload = new byte[9 + ((s * 131 + i * 17) % 3000)];
                BitConverter.TryWriteBytes(payload, s);
                BitConverter.TryWriteBytes(payload.AsSpan(4), i);
                payload.AsSpan(8).Fill((byte)(s + i));
                await client.SendAsync(payload);
            }
        })).ToArray();

        var next = new int[senders];
        for (var n = 0; n < senders * perSender; n++)
        {
            var message = (await client.ReceiveAsync().WithTimeout()).Message.ToArray();
            var s = BitConverter.ToInt32(message);
            var i = BitConverter.ToInt32(message, 4);
            i.Should().Be(next[s]++);
            message.Length.Should().Be(9 + ((s * 131 + i * 17) % 3000));
            message.AsSpan(8).ToArray().Should().OnlyContain(b => b == (byte)(s + i));
        }

        await Task.WhenAll(sending).WithTimeout();
    }

    [Fact]
    public async Task HeldBackReply_HandlerStopsReading_ReplyStillLeavesSoon()
    {
        var codec = new LengthPrefixedCodec();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(codec, async (connection, stopping) =>
        {
            var first = await connection.ReceiveAsync(stopping);
            await connection.SendAsync(first.Message.ToArray(), stopping); // held: the second frame is buffered behind it
            await release.Task.WaitAsync(stopping);                         // ...and the handler does not read again yet
            await connection.ReceiveAsync(stopping);
        });
        var connection = await SocketConnector.ConnectAsync(server.EndPoint);
        await using var client = MessageConnection.Create(connection, codec);
        var batch = new ArrayBufferWriter<byte>();
        codec.WriteFrame("one"u8, batch);
        codec.WriteFrame("two"u8, batch);

        // Both frames in one write, so the server reads them as one batch and holds its reply to the first.
        await connection.Transport.Output.WriteAsync(batch.WrittenMemory);

        (await client.ReceiveAsync().WithTimeout()).Message.ToArray().Should().Equal("one"u8.ToArray());
        release.SetResult();
    }

    [Fact]
    public async Task SendAsync_AfterCloseAsync_ThrowsConnectionAborted()
    {
        var codec = new LengthPrefixedCodec();
        await using var server = await StartAsync(codec);
        var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);
        await client.CloseAsync().WithTimeout();

        await FluentActions.Awaiting(() => client.SendAsync(new byte[1]).AsTask()).Should().ThrowAsync<ConnectionAbortedException>();
    }

    [Fact]
    public async Task GarbagePeer_IsClosed_WellBehavedPeerLosesNothing()
    {
        var codec = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = 64 * 1024 });
        await using var server = await StartAsync(codec);
        await using var good = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);
        using var bad = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await bad.ConnectAsync(server.EndPoint);

        var goodTraffic = Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                var payload = BitConverter.GetBytes(i);
                await good.SendAsync(payload);
                BitConverter.ToInt32((await good.ReceiveAsync().WithTimeout()).Message.ToArray()).Should().Be(i);
            }
        });

        // A negative length, then an oversized one on a second garbage connection: both refused.
        await bad.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3 });
        var buffer = new byte[16];
        using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
        int received;
        try
        {
            received = await bad.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            received = 0; // an abort with unread input may reset rather than close: either way, it is cut off
        }

        received.Should().Be(0, "the server closes a connection that sends garbage");
        await goodTraffic.WithTimeout(TestTimeouts.Load);
    }

    [Fact]
    public async Task SlowDripPeer_OverRealSocket_CutOffByTheFrameDeadline()
    {
        var clock = new ManualTimeProvider();
        var handlerSaw = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MessageServerOptions { FrameTimeout = TimeSpan.FromSeconds(5), IdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock };
        options.Stream.IdleTimeout = Timeout.InfiniteTimeSpan; // only the frame deadline arms a timer
        await using var server = await StartAsync(
            new LengthPrefixedCodec(),
            async (connection, stopping) =>
            {
                try
                {
                    await connection.ReceiveAsync(stopping);
                }
                catch (Exception ex)
                {
                    handlerSaw.TrySetResult(ex);
                    throw;
                }
            },
            options);
        using var drip = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await drip.ConnectAsync(server.EndPoint);

        await drip.SendAsync(new byte[] { 0, 0, 0, 50, 1 }); // a prefix and one byte of fifty, then silence
        await TestTimeouts.UntilAsync(() => clock.ArmedTimers > 0, because: "the frame deadline should be armed");
        clock.Advance(TimeSpan.FromSeconds(5));

        var seen = await handlerSaw.Task.WithTimeout();
        seen.Should().BeOfType<FramingException>().Which.Error.Should().Be(FramingError.FrameTimeout);
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
        var n = 0;
        try
        {
            n = await drip.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        n.Should().Be(0);
    }

    [Fact]
    public async Task SendAfterHandlerReturned_ManySendersRacingTheClose_ConnectionAbortedAndNoConnectionCorrupted()
    {
        const int Clients = 6, SendersPerClient = 6, Size = 1000;
        var codec = new LengthPrefixedCodec();
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var senders = new System.Collections.Concurrent.ConcurrentQueue<Task>();
        var corrupted = 0;

        // Each connection's close drains what its senders queued (its output pipe and the kernel's buffers, megabytes)
        // before the FIN; the default 5 s drain bound can pass on a loaded machine, and the abort that follows would cut
        // a frame in half. The drain is not what this test is about: it gets the operation timeout.
        var options = new MessageServerOptions();
        options.Stream.CloseTimeout = TestTimeouts.Operation;
        await using var server = await StartAsync(codec, async (connection, stopping) =>
        {
            var hello = await connection.ReceiveAsync(stopping);
            var fill = hello.Message.FirstSpan[0];
            for (var s = 0; s < SendersPerClient; s++)
            {
                senders.Enqueue(Task.Run(async () =>
                {
                    var payload = new byte[Size];
                    payload.AsSpan().Fill(fill);
                    for (var i = 0; i < 100_000; i++)
                    {
                        try
                        {
                            await connection.SendAsync(payload);
                        }
                        catch (ConnectionAbortedException)
                        {
                            return; // the documented exception: the connection is closed
                        }
                        catch (Exception ex)
                        {
                            unexpected.Enqueue(ex);
                            return;
                        }
                    }

                    unexpected.Enqueue(new InvalidOperationException("Sends kept succeeding after the handler returned."));
                }));
            }

            await Task.Yield(); // the handler returns while its senders are in full flow
        }, options);

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            await using var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), codec);
            var fill = (byte)(0x10 + c);
            await client.SendAsync(new[] { fill });
            while (true)
            {
                var result = await client.ReceiveAsync().WithTimeout();
                if (result.IsCompleted)
                {
                    return;
                }

                // Every frame whole and this connection's own: no bytes written into memory another connection reuses.
                // Checked cheaply: the client must keep up, or the server's close cannot drain in time.
                if (result.Message.Length != Size || result.Message.ToArray().AsSpan().IndexOfAnyExcept(fill) >= 0)
                {
                    Interlocked.Increment(ref corrupted);
                }
            }
        }))).WithTimeout(TestTimeouts.Load);

        await TestTimeouts.UntilAsync(() => senders.Count == Clients * SendersPerClient);
        await Task.WhenAll(senders).WithTimeout(TestTimeouts.Load);
        unexpected.Should().BeEmpty();
        corrupted.Should().Be(0);
    }

    [Fact]
    public async Task HandlerSendsAnUnframableReply_LoggedAsAHandlerFailure()
    {
        // Like the line echo sample: "echo: " plus a line near the limit is longer than the limit.
        var logs = new CapturingLoggerFactory();
        var codec = new LineCodec(new LineCodecOptions { MaxLineLength = 16 });
        await using var server = await StartAsync(codec, async (connection, stopping) =>
        {
            var line = await connection.ReceiveAsync(stopping);
            await connection.SendAsync(Encoding.ASCII.GetBytes("echo: " + codec.GetString(line.Message)), stopping);
        }, new MessageServerOptions { LoggerFactory = logs });
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(server.EndPoint);

        await raw.SendAsync("sixteen bytes...\n"u8.ToArray());

        await TestTimeouts.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 502), because: "the handler's failure should be logged, not taken for bad input");
        var entry = logs.Entries.First(e => e.EventId.Id == 502);
        entry.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Error);
        entry.Exception.Should().BeOfType<FramingException>().Which.Error.Should().Be(FramingError.LineTooLong);
    }

    [Fact]
    public async Task TruncatedFrame_WriteUtfServerGetsNetcatText_LogsWarningWithConnectionIdAndError()
    {
        // netcat's "hello\n" to a writeUTF server: "he" reads as a length of 26,725, then the peer closes.
        var logs = new CapturingLoggerFactory();
        await using var server = await StartAsync(JavaUtfCodec.Instance, options: new MessageServerOptions { LoggerFactory = logs });
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(server.EndPoint);

        await raw.SendAsync("hello\n"u8.ToArray());
        raw.Shutdown(SocketShutdown.Send);

        await TestTimeouts.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 501), because: "the server should say why it closed the connection");
        var entry = logs.Entries.First(e => e.EventId.Id == 501);
        entry.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        entry.Message.Should().MatchRegex(@"\bC[0-9A-F]{8}\b", "the connection Id ties it to the transport's own log lines");
        entry.Message.Should().Contain(nameof(FramingError.TruncatedFrame));
        logs.Entries.Should().NotContain(e => e.EventId.Id == 502, "bad input is not a handler failure");
    }

    [Fact]
    public async Task LineEcho_NetcatHalfClosesAfterAnUnterminatedLastLine_EveryCompleteLineAnswered()
    {
        var codec = new LineCodec(new LineCodecOptions { MaxLineLength = 4096 });
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(codec, async (connection, stopping) =>
        {
            await start.Task.WaitAsync(stopping); // a handler that starts late finds everything already buffered
            while (true)
            {
                var result = await connection.ReceiveAsync(stopping);
                if (result.IsCompleted)
                {
                    return;
                }

                await connection.SendAsync(Encoding.ASCII.GetBytes("echo: " + codec.GetString(result.Message)), stopping);
            }
        });
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(server.EndPoint);

        await raw.SendAsync("one\ntwo\nthree"u8.ToArray());
        raw.Shutdown(SocketShutdown.Send); // nc -N
        start.SetResult();

        var received = new List<byte>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
        int n;
        while ((n = await raw.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        Encoding.ASCII.GetString(received.ToArray()).Should().Be("echo: one\necho: two\n");
    }

    [Fact]
    public async Task UnixSocket_LineEchoWorks()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ocean-framing-{Guid.NewGuid():N}.sock");
        var codec = new LineCodec();
        var server = MessageServer.ForStream(new UnixDomainSocketEndPoint(path), codec, s_echo);
        await server.StartAsync();
        try
        {
            await using var client = MessageConnection.Create(await SocketConnector.ConnectAsync(new UnixDomainSocketEndPoint(path)), codec);
            await client.SendAsync("over a unix socket"u8.ToArray());
            codec.GetString((await client.ReceiveAsync().WithTimeout()).Message).Should().Be("over a unix socket");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
