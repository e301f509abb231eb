using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Connections;

/// <summary>The remote interface of the connection tests.</summary>
public interface IProbe
{
    Task<int> AddAsync(int a, int b);

    /// <summary>Signals <see cref="Probe.Started"/>, then waits for <see cref="Probe.Release"/>; honours its token.</summary>
    Task<int> HoldAsync(int value, CancellationToken cancellationToken);

    /// <summary>Signals <see cref="Probe.Started"/>, then waits for <see cref="Probe.Release"/> (bounded); ignores the call's token.</summary>
    Task<int> HoldIgnoringTokenAsync(int value);

    /// <summary>The TLS client certificate's thumbprint in the call context; empty when there is none.</summary>
    Task<string> ClientThumbprintAsync();

    Task<string> ConnectionIdAsync();

    Task<int> LengthAsync(string text);

    Task<string> TextAsync(int length);
}

public sealed class Probe : IProbe
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _tokenCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Completes when a Hold method has started.</summary>
    public Task Started => _started.Task;

    /// <summary>Completes when a HoldAsync call's token was cancelled.</summary>
    public Task TokenCancelled => _tokenCancelled.Task;

    public void Release() => _release.TrySetResult();

    public Task<int> AddAsync(int a, int b)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(a + b);
    }

    public async Task<int> HoldAsync(int value, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        _started.TrySetResult();
        try
        {
            await _release.Task.WaitAsync(TestTimeouts.Operation, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _tokenCancelled.TrySetResult();
            throw;
        }

        return value;
    }

    public async Task<int> HoldIgnoringTokenAsync(int value)
    {
        Interlocked.Increment(ref _calls);
        _started.TrySetResult();
        await _release.Task.WaitAsync(TestTimeouts.Operation);
        return value;
    }

    public Task<string> ClientThumbprintAsync() => Task.FromResult(RemoteCallContext.Current?.ClientCertificate?.Thumbprint ?? string.Empty);

    public Task<string> ConnectionIdAsync() => Task.FromResult(RemoteCallContext.Current!.ConnectionId);

    public Task<int> LengthAsync(string text)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(text.Length);
    }

    public Task<string> TextAsync(int length)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(new string('x', length));
    }
}

/// <summary>Servers, clients, raw sockets and assertions shared by the connection and hostile-peer tests.</summary>
internal static class Kit
{
    public const string Name = "probe";

    public static IPEndPoint AnyLoopback => new(IPAddress.Loopback, 0);

    public static async Task<RemotingServer> StartServerAsync(IProbe probe, RemotingServerOptions? options = null, EndPoint? endPoint = null)
    {
        var server = new RemotingServer(endPoint ?? AnyLoopback, options);
        server.Export(probe, Name);
        await server.StartAsync().WithTimeout();
        return server;
    }

    public static async Task<(RemotingClient Client, IProbe Proxy)> ConnectAsync(EndPoint endPoint, RemotingClientOptions? options = null)
    {
        var client = await RemotingClient.ConnectAsync(endPoint, options).WithTimeout();
        return (client, client.GetProxy<IProbe>(Name));
    }

    /// <summary>Asserts that <paramref name="call"/> fails (within the operation bound) with this status and completion.</summary>
    public static async Task<RemotingException> FailsAsync(Func<Task> call, RemotingStatus status, CompletionStatus completion, TimeSpan? within = null)
    {
        var thrown = (await call.Awaiting(c => c().WithTimeout(within)).Should().ThrowAsync<RemotingException>()).Which;
        thrown.Status.Should().Be(status, thrown.Message);
        thrown.Completion.Should().Be(completion, thrown.Message);
        return thrown;
    }

    /// <summary>Runs <paramref name="call"/> and returns what it threw (null if it succeeded), within the operation bound.</summary>
    public static async Task<RemotingException?> TryAsync(Func<Task> call)
    {
        try
        {
            await call().WithTimeout();
            return null;
        }
        catch (RemotingException e)
        {
            return e;
        }
    }

    /// <summary>Polls an asynchronous condition every 20 ms until it holds, bounded by <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Not within {timeout}: {because}.");
            }

            await Task.Delay(20);
        }
    }

    // ------------------------------------------------------------ raw sockets

    public static async Task<Socket> ConnectRawAsync(EndPoint endPoint)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WithTimeout();
        return socket;
    }

    /// <summary>Reads until the peer closes (a reset counts as closed); fails if it has not closed within <paramref name="timeout"/>.</summary>
    public static async Task<(byte[] Bytes, bool Reset)> ReadToEndAsync(Socket socket, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Operation);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (received.ToArray(), false);
                }

                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return (received.ToArray(), true);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The peer did not close within {timeout ?? TestTimeouts.Operation}; {received.Length} bytes received.");
        }
    }

    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(TestTimeouts.Operation);
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"The peer closed after {read} of {count} bytes.");
            }

            read += n;
        }

        return buffer;
    }

    public static byte[] PreambleBytes(Preamble preamble)
    {
        var bytes = new byte[Preamble.Length];
        PreambleCodec.Write(bytes, preamble);
        return bytes;
    }

    /// <summary>A client hello as the library writes it (CDR big-endian, 1 MiB frames, no callbacks).</summary>
    public static Preamble ClientHello(byte version = Preamble.CurrentVersion, MarshallerId marshaller = MarshallerId.CdrBigEndian) =>
        new(version, PreambleStatus.Hello, (byte)marshaller, 0, 1 << 20, 0);

    /// <summary>Does the client half of the handshake by hand and returns the server's 16-byte answer.</summary>
    public static async Task<byte[]> RawHandshakeAsync(Socket socket, Preamble? hello = null)
    {
        await socket.SendAsync(PreambleBytes(hello ?? ClientHello())).WithTimeout();
        return await ReadExactlyAsync(socket, Preamble.Length);
    }

    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(4));
        return frame;
    }

    public static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Splits bytes received into frame payloads (a partial frame at the end is ignored).</summary>
    public static List<byte[]> Frames(ReadOnlySpan<byte> bytes)
    {
        var frames = new List<byte[]>();
        while (bytes.Length >= 4)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes);
            if (length < 0 || bytes.Length < 4 + length)
            {
                break;
            }

            frames.Add(bytes.Slice(4, length).ToArray());
            bytes = bytes[(4 + length)..];
        }

        return frames;
    }
}

/// <summary>
/// A hand-written server speaking the protocol with the internal encoders, for behaviour a real server does not show on
/// demand (go-away then a second connection, silence after the handshake, counting pings). Each accepted connection runs
/// <c>handler(connection, index)</c>, index from 1.
/// </summary>
internal sealed class FakeServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<FakeConnection, int, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _handlers = [];
    private readonly List<FakeConnection> _connections = [];
    private readonly Task _acceptLoop;
    private int _accepted;

    public FakeServer(Func<FakeConnection, int, Task> handler)
    {
        _handler = handler;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Exceptions the handlers threw (other than those caused by disposing the server).</summary>
    public List<Exception> Failures { get; } = [];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            socket.NoDelay = true;
            var connection = new FakeConnection(socket);
            var index = Interlocked.Increment(ref _accepted);
            lock (_handlers)
            {
                _connections.Add(connection);
                _handlers.Add(Task.Run(async () =>
                {
                    try
                    {
                        await _handler(connection, index);
                    }
                    catch (Exception e) when (!_stop.IsCancellationRequested)
                    {
                        lock (Failures)
                        {
                            Failures.Add(e);
                        }
                    }
                    catch (Exception)
                    {
                        // disposing
                    }
                }));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        Task[] handlers;
        lock (_handlers)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            handlers = [.. _handlers];
        }

        try
        {
            await Task.WhenAll(handlers.Append(_acceptLoop)).WaitAsync(TestTimeouts.Operation);
        }
        catch (Exception)
        {
            // a handler's own failure is in Failures
        }

        _stop.Dispose();
    }
}

/// <summary>One accepted connection of a <see cref="FakeServer"/>.</summary>
internal sealed class FakeConnection(Socket socket) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public Socket Socket { get; } = socket;

    /// <summary>Reads the client's preamble and accepts it (echoing its marshaller).</summary>
    public async Task<Preamble> AcceptHandshakeAsync(uint maxFrameLength = 1 << 20)
    {
        var bytes = await Kit.ReadExactlyAsync(Socket, Preamble.Length);
        var status = PreambleCodec.TryRead(new ReadOnlySequence<byte>(bytes), out var client, out _, out _);
        status.Should().Be(PreambleReadStatus.Complete);
        await SendRawAsync(Kit.PreambleBytes(new Preamble(Preamble.CurrentVersion, PreambleStatus.Hello, client.Marshaller, 0, maxFrameLength, 100)));
        return client;
    }

    /// <summary>The next frame's payload; null when the client closed.</summary>
    public async Task<byte[]?> ReadMessageAsync()
    {
        byte[] header;
        try
        {
            header = await Kit.ReadExactlyAsync(Socket, 4);
        }
        catch (Exception e) when (e is EndOfStreamException or SocketException)
        {
            return null;
        }

        return await Kit.ReadExactlyAsync(Socket, BinaryPrimitives.ReadInt32BigEndian(header));
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await _sendLock.WaitAsync();
        try
        {
            await Socket.SendAsync(bytes).WithTimeout();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public Task SendAsync(Action<IBufferWriter<byte>> write) => SendRawAsync(Kit.Frame(Kit.Encode(write)));

    public Task ReplyAsync(uint requestId, int result) => SendAsync(o =>
    {
        MessageEncoder.WriteReplyOkHeader(o, requestId);
        CdrMarshaller.Default.Marshal(result, o);
    });

    public Task GoAwayAsync(string message) => SendAsync(o => MessageEncoder.WriteGoAway(o, RemotingStatus.Unavailable, message, ProtocolLimits.Default));

    /// <summary>Answers requests with the sum of their two CDR ints and pings with pongs until the client closes; returns the requests seen.</summary>
    public async Task<int> ServeAddsAsync(Action<MessageKind>? seen = null)
    {
        var requests = 0;
        while (await ReadMessageAsync() is { } message)
        {
            var sequence = new ReadOnlySequence<byte>(message);
            var kind = MessageDecoder.ReadKind(sequence);
            seen?.Invoke(kind);
            switch (kind)
            {
                case MessageKind.Request:
                    requests++;
                    var request = MessageDecoder.ReadRequest(sequence, ProtocolLimits.Default);
                    int sum;
                    using (var reader = CdrMarshaller.Default.CreateReader(request.Arguments))
                    {
                        sum = reader.Read<int>() + reader.Read<int>();
                    }

                    await ReplyAsync(request.RequestId, sum);
                    break;
                case MessageKind.Ping:
                    var payload = MessageDecoder.ReadPing(sequence);
                    await SendAsync(o => MessageEncoder.WritePing(o, payload, pong: true));
                    break;
            }
        }

        return requests;
    }

    public void Dispose()
    {
        Socket.Dispose();
    }
}
