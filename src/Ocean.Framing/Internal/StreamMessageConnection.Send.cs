using System.Buffers;

namespace Ocean.Framing.Internal;

internal sealed partial class StreamMessageConnection
{
    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sent = _replies.SendAsync((Codec: _codec, Message: message), static (s, writer) =>
        {
            s.Codec.WriteFrame(s.Message.Span, writer);
            return s.Message.Length;
        });
        FramingMetrics.FramesSent.Add(1);
        return sent;
    }

    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        cancellationToken.ThrowIfCancellationRequested();

        // Straight into the pipe, under the send lock: the codec lends the writer the pipe's own memory and fills
        // in the header once the message is written, advancing the pipe only for a whole, valid frame. So a writer
        // that throws, or a message over the maximum, leaves nothing behind and the connection usable.
        var sent = _replies.SendAsync((Codec: _codec, State: state, Write: writeMessage), static (s, writer) =>
        {
            var before = writer.CanGetUnflushedBytes ? writer.UnflushedBytes : 0;
            s.Codec.WriteFrame(writer, s.State, s.Write);
            return writer.CanGetUnflushedBytes ? writer.UnflushedBytes - before : 0;
        });
        FramingMetrics.FramesSent.Add(1);
        return sent;
    }
}
