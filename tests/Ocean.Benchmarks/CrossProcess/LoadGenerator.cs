using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The cross-process load generator: raw sockets, every buffer allocated before the run, one loop per
/// connection keeping <see cref="LoadGenOptions.Depth"/> messages in flight.
/// </summary>
/// <remarks>
/// Every message is the same size. Its payload starts with its sequence number on that connection as 16
/// lowercase hex digits, followed by a fixed printable pattern (so the line server can carry it too). Each
/// echo is checked whole against what was sent, in order: a server that drops, reorders or corrupts data
/// counts errors instead of producing a fast number. Latency is per message, from the moment the loop
/// handed it to the socket to the moment its echo was parsed; with several in flight it includes queueing.
/// </remarks>
internal static class LoadGenerator
{
    private const int SequenceDigits = 16;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(LoadGenOptions.Usage);
            return 0;
        }

        LoadGenOptions options;
        try
        {
            options = LoadGenOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(LoadGenOptions.Usage);
            return 2;
        }

        var connections = new ConnectionLoad[options.Connections];
        try
        {
            for (var i = 0; i < connections.Length; i++)
            {
                connections[i] = await ConnectionLoad.ConnectAsync(options, i);
            }
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            foreach (var connection in connections)
            {
                connection?.Close();
            }

            Console.Error.WriteLine($"loadgen: cannot connect to {options.TargetText}: {ex.Message}");
            WriteResult(options, Summary.Failed(ex.Message));
            return 1;
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        var measureStart = start + Ticks(options.Warmup);
        var measureEnd = measureStart + Ticks(options.Seconds);
        var hardDeadline = measureEnd + Ticks(options.DrainTimeout);

        var tasks = new Task[connections.Length];
        for (var i = 0; i < connections.Length; i++)
        {
            var connection = connections[i];
            tasks[i] = options.BlockingClient
                ? connection.RunBlocking(measureStart, measureEnd)
                : Task.Run(() => connection.RunAsync(measureStart, measureEnd));
        }

        // The watchdog: past the hard deadline every socket is closed, which ends every loop with an error.
        var all = Task.WhenAll(tasks);
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), hardDeadline);
        if (await Task.WhenAny(all, Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero)) != all)
        {
            foreach (var connection in connections)
            {
                connection.TimedOut();
            }

            try
            {
                await all.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine("loadgen: some connection loops did not end after their sockets were closed.");
            }
        }

        foreach (var connection in connections)
        {
            connection.Close();
        }

        var summary = Summary.From(connections, options.Seconds) with { AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore };
        WriteResult(options, summary);
        return summary.Errors == 0 && summary.Messages > 0 ? 0 : 1;
    }

    private static long Ticks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    private static void WriteResult(LoadGenOptions options, Summary summary)
    {
        var mode = options.PingPong ? "pingpong" : "pipelined";
        var format = options.Format switch
        {
            WireFormat.LengthPrefixed => "lp",
            WireFormat.Line => "line",
            _ => "udp",
        };
        using (var stream = Console.OpenStandardOutput())
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("target", options.TargetText);
            json.WriteString("mode", mode);
            json.WriteString("framing", format);
            json.WriteNumber("connections", options.Connections);
            json.WriteNumber("depth", options.Depth);
            json.WriteNumber("payload", options.Payload);
            json.WriteNumber("bytesPerMessage", options.FrameSize);
            json.WriteNumber("seconds", options.Seconds);
            json.WriteNumber("warmup", options.Warmup);
            json.WriteString("client", options.ClientDescription);
            json.WriteNumber("messages", summary.Messages);
            json.WriteNumber("totalMessages", summary.TotalMessages);
            json.WriteNumber("msgPerSec", Math.Round(summary.MessagesPerSecond, 1));
            json.WriteNumber("p50Us", Math.Round(summary.P50 / 1000, 2));
            json.WriteNumber("p99Us", Math.Round(summary.P99 / 1000, 2));
            json.WriteNumber("p999Us", Math.Round(summary.P999 / 1000, 2));
            json.WriteNumber("maxUs", Math.Round(summary.Max / 1000, 2));
            json.WriteNumber("errors", summary.Errors);

            // Everything the client process allocated during the run (watchdog and set-up included), per message.
            json.WriteNumber("clientAllocatedBytesPerMessage", summary.TotalMessages == 0 ? 0 : Math.Round((double)summary.AllocatedBytes / summary.TotalMessages, 3));
            if (summary.FirstError is not null)
            {
                json.WriteString("firstError", summary.FirstError);
            }

            json.WriteEndObject();
        }

        Console.Out.WriteLine();
        Console.Out.Flush();
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"loadgen ({options.ClientDescription}) {options.TargetText} {mode} {format} {options.Connections}x{options.Depth} payload {options.Payload} B ({options.FrameSize} B/msg): " +
            $"{summary.MessagesPerSecond:N0} msg/s, p50 {summary.P50 / 1000:0.0} us, p99 {summary.P99 / 1000:0.0} us, p99.9 {summary.P999 / 1000:0.0} us, max {summary.Max / 1000:0.0} us, " +
            $"errors {summary.Errors}{(summary.FirstError is null ? string.Empty : $" (first: {summary.FirstError})")}"));
    }

    private sealed record Summary(long Messages, long TotalMessages, double MessagesPerSecond, double P50, double P99, double P999, double Max, long Errors, string? FirstError)
    {
        public long AllocatedBytes { get; init; }

        public static Summary Failed(string error) => new(0, 0, 0, 0, 0, 0, 0, 1, error);

        public static Summary From(ConnectionLoad[] connections, double seconds)
        {
            var histogram = new LatencyHistogram();
            long messages = 0, total = 0, errors = 0;
            string? firstError = null;
            foreach (var connection in connections)
            {
                histogram.Add(connection.Histogram);
                messages += connection.MeasuredMessages;
                total += connection.TotalMessages;
                errors += connection.Errors;
                firstError ??= connection.FirstError;
            }

            return new Summary(
                messages,
                total,
                messages / seconds,
                histogram.PercentileNanoseconds(50),
                histogram.PercentileNanoseconds(99),
                histogram.PercentileNanoseconds(99.9),
                histogram.MaxNanoseconds,
                errors,
                firstError);
        }
    }

    /// <summary>One connection (or UDP socket) and everything its loop needs, allocated up front.</summary>
    private sealed class ConnectionLoad
    {
        private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

        private readonly LoadGenOptions _options;
        private readonly Socket _socket;
        private readonly int _index;
        private readonly int _frameSize;
        private readonly int _sequenceOffset;
        private readonly byte[] _template;
        private readonly byte[] _send;
        private readonly byte[] _receive;
        private readonly long[] _sentAt;
        private int _timedOut;
        private long _nextSend;
        private long _nextExpect;
        private int _filled;

        private ConnectionLoad(LoadGenOptions options, Socket socket, int index)
        {
            _options = options;
            _socket = socket;
            _index = index;
            _frameSize = options.FrameSize;
            _sequenceOffset = options.Format == WireFormat.LengthPrefixed ? 4 : 0;
            _template = new byte[_frameSize];
            if (options.Format == WireFormat.LengthPrefixed)
            {
                BinaryPrimitives.WriteInt32BigEndian(_template, options.Payload);
            }

            for (var b = _sequenceOffset + SequenceDigits; b < _sequenceOffset + options.Payload; b++)
            {
                _template[b] = (byte)('a' + ((b + index) % 26));
            }

            if (options.Format == WireFormat.Line)
            {
                _template[^1] = (byte)'\n';
            }

            _send = new byte[options.Depth * _frameSize];
            for (var slot = 0; slot < options.Depth; slot++)
            {
                _template.CopyTo(_send, slot * _frameSize);
            }

            _receive = new byte[(options.Format == WireFormat.Datagram ? 65_536 : Math.Max(options.Depth * _frameSize, 64 * 1024)) + _frameSize];
            _sentAt = new long[options.Depth];
        }

        public LatencyHistogram Histogram { get; } = new();

        public long MeasuredMessages { get; private set; }

        public long TotalMessages { get; private set; }

        public long Errors { get; private set; }

        public string? FirstError { get; private set; }

        public static async Task<ConnectionLoad> ConnectAsync(LoadGenOptions options, int index)
        {
            var udp = options.Format == WireFormat.Datagram;
            var socket = udp
                ? new Socket(options.Target.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(options.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(options.Target, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                throw new TimeoutException($"Connection {index} did not connect within 10 s.");
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            return new ConnectionLoad(options, socket, index);
        }

        public void TimedOut()
        {
            if (Interlocked.Exchange(ref _timedOut, 1) == 0)
            {
                _socket.Dispose();
            }
        }

        public void Close() => _socket.Dispose();

        /// <summary>Runs the loop on a thread of its own with blocking socket calls, the cheapest client per message.</summary>
        public Task RunBlocking(long measureStart, long measureEnd)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                Guard(() =>
                {
                    if (_options.Format == WireFormat.Datagram)
                    {
                        RunDatagramsBlocking(measureStart, measureEnd);
                    }
                    else
                    {
                        RunStreamBlocking(measureStart, measureEnd);
                    }
                });
                done.SetResult();
            })
            {
                IsBackground = true,
                Name = $"loadgen {_index}",
            };
            thread.Start();
            return done.Task;
        }

        /// <summary>Runs the loop as async socket calls on the thread pool.</summary>
        public async Task RunAsync(long measureStart, long measureEnd)
        {
            try
            {
                if (_options.Format == WireFormat.Datagram)
                {
                    await RunDatagramsAsync(measureStart, measureEnd);
                }
                else
                {
                    await RunStreamAsync(measureStart, measureEnd);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
            {
                SocketError(ex);
            }
        }

        private void Guard(Action run)
        {
            try
            {
                run();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
            {
                SocketError(ex);
            }
        }

        private void SocketError(Exception ex) =>
            Error(Volatile.Read(ref _timedOut) != 0
                ? "timed out waiting for replies after the measured window"
                : $"{ex.GetType().Name}: {ex.Message}");

        private async Task RunStreamAsync(long measureStart, long measureEnd)
        {
            await SendAllAsync(Start());
            while (_nextExpect < _nextSend)
            {
                var received = await _socket.ReceiveAsync(_receive.AsMemory(_filled), SocketFlags.None);
                var reply = OnStreamReceived(received, measureStart, measureEnd);
                if (reply < 0)
                {
                    return;
                }

                if (reply > 0)
                {
                    await SendAllAsync(reply);
                }
            }

            CheckNothingLeft();
        }

        private void RunStreamBlocking(long measureStart, long measureEnd)
        {
            SendAll(Start());
            while (_nextExpect < _nextSend)
            {
                var received = _socket.Receive(_receive.AsSpan(_filled), SocketFlags.None);
                var reply = OnStreamReceived(received, measureStart, measureEnd);
                if (reply < 0)
                {
                    return;
                }

                if (reply > 0)
                {
                    SendAll(reply);
                }
            }

            CheckNothingLeft();
        }

        private async Task RunDatagramsAsync(long measureStart, long measureEnd)
        {
            var count = Start();
            for (var offset = 0; offset < count; offset += _frameSize)
            {
                await _socket.SendAsync(_send.AsMemory(offset, _frameSize), SocketFlags.None);
            }

            while (_nextExpect < _nextSend)
            {
                var received = await _socket.ReceiveAsync(_receive.AsMemory(), SocketFlags.None);
                var reply = OnDatagramReceived(received, measureStart, measureEnd);
                if (reply < 0)
                {
                    return;
                }

                if (reply > 0)
                {
                    await _socket.SendAsync(_send.AsMemory(0, reply), SocketFlags.None);
                }
            }
        }

        private void RunDatagramsBlocking(long measureStart, long measureEnd)
        {
            var count = Start();
            for (var offset = 0; offset < count; offset += _frameSize)
            {
                _socket.Send(_send.AsSpan(offset, _frameSize), SocketFlags.None);
            }

            while (_nextExpect < _nextSend)
            {
                var received = _socket.Receive(_receive.AsSpan(), SocketFlags.None);
                var reply = OnDatagramReceived(received, measureStart, measureEnd);
                if (reply < 0)
                {
                    return;
                }

                if (reply > 0)
                {
                    _socket.Send(_send.AsSpan(0, reply), SocketFlags.None);
                }
            }
        }

        /// <summary>Stamps the first <see cref="LoadGenOptions.Depth"/> messages; returns the bytes to send.</summary>
        private int Start()
        {
            var now = Stopwatch.GetTimestamp();
            var slot = 0;
            while (slot < _options.Depth && _nextSend < _options.MaxMessagesPerConnection)
            {
                Stamp(slot++, _nextSend++, now);
            }

            return slot * _frameSize;
        }

        /// <summary>
        /// Consumes the whole echoes in the receive buffer and stamps one new message per echo (until the
        /// window ends); returns the bytes to send, or -1 after an error.
        /// </summary>
        private int OnStreamReceived(int received, long measureStart, long measureEnd)
        {
            if (received == 0)
            {
                Error($"short read: the server closed the connection with {_nextSend - _nextExpect} messages in flight and {_filled} bytes of a frame");
                return -1;
            }

            _filled += received;
            var now = Stopwatch.GetTimestamp();
            var measured = now >= measureStart && now < measureEnd;
            var sendMore = now < measureEnd;
            var offset = 0;
            var toSend = 0;
            while (_filled - offset >= _frameSize)
            {
                if (!Matches(_receive.AsSpan(offset, _frameSize), _nextExpect))
                {
                    Error($"mismatched echo: message {_nextExpect} came back different");
                    return -1;
                }

                Complete(_nextExpect++, now, measured);
                offset += _frameSize;
                if (sendMore && _nextSend < _options.MaxMessagesPerConnection)
                {
                    Stamp(toSend++, _nextSend++, now);
                }
            }

            if (offset > 0)
            {
                _receive.AsSpan(offset, _filled - offset).CopyTo(_receive);
                _filled -= offset;
            }

            return toSend * _frameSize;
        }

        /// <summary>Checks one echoed datagram; returns the bytes of the next datagram to send (0: none), or -1 after an error.</summary>
        private int OnDatagramReceived(int received, long measureStart, long measureEnd)
        {
            var now = Stopwatch.GetTimestamp();
            if (received != _frameSize || !Matches(_receive.AsSpan(0, _frameSize), _nextExpect))
            {
                Error($"mismatched datagram: expected message {_nextExpect} ({_frameSize} bytes), got {received} bytes that differ (lost or reordered datagram)");
                return -1;
            }

            Complete(_nextExpect++, now, now >= measureStart && now < measureEnd);
            if (now < measureEnd && _nextSend < _options.MaxMessagesPerConnection)
            {
                Stamp(0, _nextSend++, now);
                return _frameSize;
            }

            return 0;
        }

        private void CheckNothingLeft()
        {
            if (_filled > 0)
            {
                Error($"unexpected data: {_filled} bytes after the last expected echo");
            }
        }

        private void Stamp(int slot, long sequence, long now)
        {
            WriteSequence(_send.AsSpan((slot * _frameSize) + _sequenceOffset, SequenceDigits), sequence);
            _sentAt[sequence % _options.Depth] = now;
        }

        private void Complete(long sequence, long now, bool measured)
        {
            TotalMessages++;
            if (measured)
            {
                MeasuredMessages++;
                Histogram.Record((long)((now - _sentAt[sequence % _options.Depth]) * NanosecondsPerTick));
            }
        }

        private bool Matches(ReadOnlySpan<byte> frame, long sequence)
        {
            Span<byte> digits = stackalloc byte[SequenceDigits];
            WriteSequence(digits, sequence);
            var tail = _sequenceOffset + SequenceDigits;
            return frame[.._sequenceOffset].SequenceEqual(_template.AsSpan(0, _sequenceOffset))
                && frame.Slice(_sequenceOffset, SequenceDigits).SequenceEqual(digits)
                && frame[tail..].SequenceEqual(_template.AsSpan(tail));
        }

        private static void WriteSequence(Span<byte> destination, long sequence)
        {
            for (var i = SequenceDigits - 1; i >= 0; i--)
            {
                destination[i] = (byte)"0123456789abcdef"[(int)(sequence & 0xF)];
                sequence >>= 4;
            }
        }

        private void SendAll(int count)
        {
            var sent = 0;
            while (sent < count)
            {
                sent += _socket.Send(_send.AsSpan(sent, count - sent), SocketFlags.None);
            }
        }

        private async ValueTask SendAllAsync(int count)
        {
            var sent = 0;
            while (sent < count)
            {
                sent += await _socket.SendAsync(_send.AsMemory(sent, count - sent), SocketFlags.None);
            }
        }

        private void Error(string message)
        {
            Errors++;
            FirstError ??= $"connection {_index}: {message}";
        }
    }
}
