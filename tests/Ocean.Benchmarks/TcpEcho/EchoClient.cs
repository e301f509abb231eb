using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ocean.Benchmarks.TcpEcho;

/// <summary>
/// The load generator, the same for every server: plain sockets with NoDelay, each connection sending a
/// batch of <c>framesInFlight</c> frames in one send and reading until the whole batch has come back.
/// </summary>
/// <remarks>
/// A frame is a 4-byte big-endian length (always 64) followed by 64 payload bytes, the first 8 of which
/// carry a sequence number, so every batch differs from the previous one. Each echoed batch is checked
/// frame by frame (length prefix) and then byte for byte against what was sent: a server that drops,
/// duplicates, reorders or corrupts data fails the run instead of producing a fast number.
/// </remarks>
internal sealed class EchoClient : IAsyncDisposable
{
    public const int PayloadSize = 64;
    public const int PrefixSize = 4;
    public const int FrameSize = PrefixSize + PayloadSize;

    /// <summary>Upper bound on batches per connection per round, whatever the clock says.</summary>
    private const long MaxBatchesPerRound = 1L << 40;

    private readonly Socket[] _sockets;
    private readonly byte[][] _sendBuffers;
    private readonly byte[][] _receiveBuffers;
    private readonly long[] _sequences;
    private readonly int _framesInFlight;

    private EchoClient(Socket[] sockets, int framesInFlight)
    {
        _sockets = sockets;
        _framesInFlight = framesInFlight;
        _sendBuffers = new byte[sockets.Length][];
        _receiveBuffers = new byte[sockets.Length][];
        _sequences = new long[sockets.Length];
        for (var i = 0; i < sockets.Length; i++)
        {
            _sendBuffers[i] = new byte[framesInFlight * FrameSize];
            _receiveBuffers[i] = new byte[framesInFlight * FrameSize];
            for (var frame = 0; frame < framesInFlight; frame++)
            {
                var span = _sendBuffers[i].AsSpan(frame * FrameSize, FrameSize);
                BinaryPrimitives.WriteInt32BigEndian(span, PayloadSize);
                for (var b = PrefixSize + sizeof(long); b < FrameSize; b++)
                {
                    span[b] = (byte)(b + (i * 31));
                }
            }
        }
    }

    public int Connections => _sockets.Length;

    public int FramesInFlight => _framesInFlight;

    public static async Task<EchoClient> ConnectAsync(EndPoint endPoint, int connections, int framesInFlight, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(framesInFlight, 1);
        var sockets = new Socket[connections];
        try
        {
            for (var i = 0; i < connections; i++)
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                sockets[i] = socket;
                await socket.ConnectAsync(endPoint, cancellationToken);
            }
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }

            throw;
        }

        return new EchoClient(sockets, framesInFlight);
    }

    /// <summary>Runs every connection until <paramref name="duration"/> has passed; returns the frames echoed.</summary>
    /// <remarks>If <paramref name="cancellationToken"/> fires (the runner's deadline), the sockets are closed and the round fails.</remarks>
    public async Task<long> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        using var watchdog = cancellationToken.Register(static state => ((EchoClient)state!).CloseSockets(), this);
        var tasks = new Task<long>[_sockets.Length];
        for (var i = 0; i < _sockets.Length; i++)
        {
            tasks[i] = RunConnectionAsync(i, deadline);
        }

        try
        {
            var frames = 0L;
            foreach (var count in await Task.WhenAll(tasks))
            {
                frames += count;
            }

            return frames;
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("The echo round did not finish in time; the client closed its connections.", ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        CloseSockets();
        return ValueTask.CompletedTask;
    }

    private async Task<long> RunConnectionAsync(int index, long deadline)
    {
        var socket = _sockets[index];
        var send = _sendBuffers[index];
        var receive = _receiveBuffers[index];
        var frames = 0L;
        for (var batch = 0L; batch < MaxBatchesPerRound && Stopwatch.GetTimestamp() < deadline; batch++)
        {
            StampSequence(send, ref _sequences[index]);

            var sent = 0;
            while (sent < send.Length)
            {
                sent += await socket.SendAsync(send.AsMemory(sent), SocketFlags.None);
            }

            var received = 0;
            while (received < receive.Length)
            {
                var n = await socket.ReceiveAsync(receive.AsMemory(received), SocketFlags.None);
                if (n == 0)
                {
                    throw new IOException($"The server closed connection {index} after {received} of {receive.Length} bytes of a batch.");
                }

                received += n;
            }

            Verify(index, send, receive);
            frames += _framesInFlight;
        }

        return frames;
    }

    private void StampSequence(byte[] send, ref long sequence)
    {
        for (var frame = 0; frame < _framesInFlight; frame++)
        {
            BinaryPrimitives.WriteInt64BigEndian(send.AsSpan((frame * FrameSize) + PrefixSize), ++sequence);
        }
    }

    private void Verify(int index, byte[] sent, byte[] received)
    {
        for (var frame = 0; frame < _framesInFlight; frame++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(received.AsSpan(frame * FrameSize));
            if (length != PayloadSize)
            {
                throw new InvalidDataException($"Connection {index}: echoed frame {frame} has length prefix {length}, expected {PayloadSize}.");
            }
        }

        if (!received.AsSpan().SequenceEqual(sent))
        {
            throw new InvalidDataException($"Connection {index}: the echoed batch differs from the one sent.");
        }
    }

    private void CloseSockets()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
