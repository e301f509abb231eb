using System.Buffers;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests;

/// <summary>Messages carried by Ocean.Framing's message connections: what the read loop of the next step will do.</summary>
public sealed class MessageConnectionTests
{
    private static readonly (ulong MethodId, string Key) s_call = (0x07d20554fbeaee9bUL, "calculator");

    [Fact]
    public async Task RequestAndReply_CrossAnInMemoryPair_WrittenStraightIntoTheFrame()
    {
        var (client, server) = MessageConnection.CreatePair();
        await using var _ = client;
        await using var __ = server;

        await client.SendAsync(s_call, static (call, output) =>
        {
            MessageEncoder.WriteRequestHeader(output, 11, RequestFlags.None, call.MethodId, 250, call.Key, null, ProtocolLimits.Default);
            using var writer = CdrMarshaller.Default.CreateWriter(output);
            writer.Write(2);
            writer.Write(3);
        }).WithTimeout();

        var received = await server.ReceiveAsync().WithTimeout();
        MessageDecoder.ReadKind(received.Message).Should().Be(MessageKind.Request);
        var request = MessageDecoder.ReadRequest(received.Message, ProtocolLimits.Default);
        int sum;
        using (var reader = CdrMarshaller.Default.CreateReader(request.Arguments))
        {
            sum = reader.Read<int>() + reader.Read<int>();
        }

        await server.SendAsync((request.RequestId, sum), static (reply, output) =>
        {
            MessageEncoder.WriteReplyOkHeader(output, reply.RequestId);
            using var writer = CdrMarshaller.Default.CreateWriter(output);
            writer.Write(reply.sum);
        }).WithTimeout();

        var answer = await client.ReceiveAsync().WithTimeout();
        var decoded = MessageDecoder.ReadReply(answer.Message, ProtocolLimits.Default);
        decoded.RequestId.Should().Be(11u);
        decoded.Status.Should().Be(RemotingStatus.Ok);
        CdrMarshaller.Default.Unmarshal<int>(decoded.Result).Should().Be(5);
        request.DeadlineMilliseconds.Should().Be(250u);
        request.GetObjectKey().Should().Be("calculator");
    }

    [Fact]
    public void EncodeAndDecode_OfTheHotPathMessages_AllocateNothing()
    {
        // Request (with metadata), Ok reply, cancel, ping: encoded into a reused buffer, decoded in place.
        KeyValuePair<string, string>[] metadata = [new("tenant", "blue")];
        var buffer = new ArrayBufferWriter<byte>(1024);
        RunOnce(buffer, metadata); // warm up

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            RunOnce(buffer, metadata);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }

    private static void RunOnce(ArrayBufferWriter<byte> buffer, KeyValuePair<string, string>[] metadata)
    {
        buffer.ResetWrittenCount();
        MessageEncoder.WriteRequestHeader(buffer, 1, RequestFlags.None, s_call.MethodId, 100, s_call.Key, metadata, ProtocolLimits.Default);
        var request = MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(buffer.WrittenMemory), ProtocolLimits.Default);
        if (request.Metadata.Count != 1)
        {
            throw new InvalidOperationException();
        }

        buffer.ResetWrittenCount();
        MessageEncoder.WriteReplyOkHeader(buffer, 1);
        MessageDecoder.ReadReply(new ReadOnlySequence<byte>(buffer.WrittenMemory), ProtocolLimits.Default);

        buffer.ResetWrittenCount();
        MessageEncoder.WriteCancel(buffer, 1);
        MessageDecoder.ReadCancel(new ReadOnlySequence<byte>(buffer.WrittenMemory));

        buffer.ResetWrittenCount();
        MessageEncoder.WritePing(buffer, 1);
        MessageDecoder.ReadPing(new ReadOnlySequence<byte>(buffer.WrittenMemory));
    }
}
