using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using Ocean.Framing;
using Ocean.Transport;

namespace Ocean.Benchmarks.Framing;

/// <summary>
/// Framing alone, no sockets: 64-byte messages sent and read back through an in-memory pipe, with
/// Ocean's message connection and length-prefixed codec against the same thing written by hand with
/// <see cref="BinaryPrimitives"/> on the pipe. Shows the per-message cost and that it allocates nothing.
/// </summary>
internal static class CodecScenario
{
    public const string Ocean = "ocean message connection";
    public const string OceanWriter = "ocean message connection, message writer";
    public const string HandWritten = "hand-written BinaryPrimitives";

    public static Scenario Create() => new(
        "framing",
        "Length-prefixed framing of 64-byte messages over an in-memory pipe (send + read per op): Ocean.Framing vs hand-written code",
        [
            new BenchmarkCase("send+read 64 B, batches of 32", "messages", HandWritten, () => [new OceanVariant(writer: false), new OceanVariant(writer: true), new HandWrittenVariant()]),
        ]);

    private const int Batch = 32;
    private static readonly byte[] s_payload = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();

    private static PipeOptions InlineOptions => new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);

    /// <summary>Ocean's message connection; with <c>writer</c>, a serializer-style writer fills the message in place (SendAsync(state, writeMessage)).</summary>
    private sealed class OceanVariant(bool writer) : IBenchmarkVariant
    {
        private MessageConnection? _sender;
        private MessageConnection? _receiver;

        public string Name => writer ? OceanWriter : Ocean;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var (left, right) = InMemoryConnection.CreatePair();
            var codec = new LengthPrefixedCodec();
            _sender = MessageConnection.Create(left, codec);
            _receiver = MessageConnection.Create(right, codec);
            return Task.CompletedTask;
        }

        public async Task<long> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
        {
            var sender = _sender!;
            var receiver = _receiver!;
            var until = DateTime.UtcNow + duration;
            long ops = 0;
            while (DateTime.UtcNow < until && ops < 100_000_000)
            {
                for (var i = 0; i < Batch; i++)
                {
                    if (writer)
                    {
                        await sender.SendAsync(s_payload, static (payload, output) => output.Write(payload), cancellationToken);
                    }
                    else
                    {
                        await sender.SendAsync(s_payload, cancellationToken);
                    }
                }

                for (var i = 0; i < Batch; i++)
                {
                    var result = await receiver.ReceiveAsync(cancellationToken);
                    if (result.Message.Length != s_payload.Length)
                    {
                        throw new InvalidOperationException("Wrong message length.");
                    }
                }

                ops += Batch;
            }

            return ops;
        }

        public async ValueTask DisposeAsync()
        {
            if (_sender is not null)
            {
                await _sender.DisposeAsync();
            }
        }
    }

    private sealed class HandWrittenVariant : IBenchmarkVariant
    {
        private Pipe? _pipe;

        public string Name => HandWritten;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _pipe = new Pipe(InlineOptions);
            return Task.CompletedTask;
        }

        public async Task<long> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
        {
            var writer = _pipe!.Writer;
            var reader = _pipe.Reader;
            var until = DateTime.UtcNow + duration;
            long ops = 0;
            while (DateTime.UtcNow < until && ops < 100_000_000)
            {
                for (var i = 0; i < Batch; i++)
                {
                    var span = writer.GetSpan(4 + s_payload.Length);
                    BinaryPrimitives.WriteInt32BigEndian(span, s_payload.Length);
                    s_payload.CopyTo(span[4..]);
                    writer.Advance(4 + s_payload.Length);
                    await writer.FlushAsync(cancellationToken);
                }

                var read = 0;
                while (read < Batch)
                {
                    var result = await reader.ReadAsync(cancellationToken);
                    var buffer = result.Buffer;
                    while (read < Batch && TryReadFrame(ref buffer, out var frame))
                    {
                        if (frame.Length != s_payload.Length)
                        {
                            throw new InvalidOperationException("Wrong message length.");
                        }

                        read++;
                    }

                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                ops += Batch;
            }

            return ops;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
        {
            frame = default;
            if (buffer.Length < 4)
            {
                return false;
            }

            Span<byte> header = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(header);
            var length = BinaryPrimitives.ReadInt32BigEndian(header);
            if (length < 0 || buffer.Length < 4 + length)
            {
                return false;
            }

            frame = buffer.Slice(4, length);
            buffer = buffer.Slice(4 + length);
            return true;
        }
    }

    /// <summary>A connection over two in-memory pipes with inline schedulers.</summary>
    private sealed class InMemoryConnection(IDuplexPipe transport) : Connection
    {
        public override IDuplexPipe Transport => transport;

        public override EndPoint? LocalEndPoint => null;

        public override EndPoint? RemoteEndPoint => null;

        public override CancellationToken ConnectionClosed => CancellationToken.None;

        public static (InMemoryConnection Left, InMemoryConnection Right) CreatePair()
        {
            var a = new Pipe(InlineOptions);
            var b = new Pipe(InlineOptions);
            return (new InMemoryConnection(new Duplex(b.Reader, a.Writer)), new InMemoryConnection(new Duplex(a.Reader, b.Writer)));
        }

        public override async ValueTask CloseAsync(CancellationToken cancellationToken = default) => await transport.Output.CompleteAsync();

        public override void Abort(Exception? reason = null) => transport.Output.Complete(reason);

        public override ValueTask DisposeAsync() => CloseAsync();

        private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input { get; } = input;

            public PipeWriter Output { get; } = output;
        }
    }
}
