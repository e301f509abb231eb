using System.Buffers;
using Ocean.Remoting.Protocol;
using static Ocean.Remoting.Tests.Infrastructure.Sequences;

namespace Ocean.Remoting.Tests;

public sealed class MessageRoundTripTests
{
    private static readonly ProtocolLimits s_limits = ProtocolLimits.Default;

    internal static byte[] SampleRequest(byte[]? arguments = null, IReadOnlyList<KeyValuePair<string, string>>? metadata = null, string key = "calculator") => Encode(output =>
    {
        MessageEncoder.WriteRequestHeader(output, 7, RequestFlags.None, 0x0102030405060708UL, 1500, key, metadata ?? [new("tenant", "blue"), new("authorization", "Bearer é✓")], s_limits);
        output.Write(arguments ?? [1, 2, 3]);
    });

    public static TheoryData<string> Layouts() => ["single", "split", "bytes"];

    private static ReadOnlySequence<byte> Layout(byte[] bytes, string layout) => layout switch
    {
        "single" => new ReadOnlySequence<byte>(bytes),
        "split" => SplitAt(bytes, bytes.Length / 2),
        _ => ByteByByte(bytes),
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Request_RoundTrips(string layout)
    {
        var bytes = SampleRequest();

        MessageDecoder.ReadKind(Layout(bytes, layout)).Should().Be(MessageKind.Request);
        var request = MessageDecoder.ReadRequest(Layout(bytes, layout), s_limits);

        request.RequestId.Should().Be(7u);
        request.Flags.Should().Be(RequestFlags.None);
        request.MethodId.Should().Be(0x0102030405060708UL);
        request.DeadlineMilliseconds.Should().Be(1500u);
        request.GetObjectKey().Should().Be("calculator");
        request.Metadata.Count.Should().Be(2);
        request.Metadata.ToArray().Should().Equal(new KeyValuePair<string, string>("tenant", "blue"), new KeyValuePair<string, string>("authorization", "Bearer é✓"));
        request.Arguments.ToArray().Should().Equal(1, 2, 3);
        (bytes.Length - request.Arguments.Length).Should().Be(bytes.Length - 3).And.Match(offset => offset % 8 == 0, "arguments start 8-aligned");
    }

    [Fact]
    public void Request_OneWayWithoutMetadataOrArguments_RoundTrips()
    {
        var bytes = Encode(o => MessageEncoder.WriteRequestHeader(o, uint.MaxValue, RequestFlags.OneWay, ulong.MaxValue, 0, "k", null, s_limits));

        var request = MessageDecoder.ReadRequest(new ReadOnlySequence<byte>(bytes), s_limits);

        bytes.Length.Should().Be(24, "21 fixed bytes, a 1-byte key, then 2 bytes of padding");
        request.Flags.Should().Be(RequestFlags.OneWay);
        request.RequestId.Should().Be(uint.MaxValue);
        request.MethodId.Should().Be(ulong.MaxValue);
        request.Metadata.Count.Should().Be(0);
        request.Arguments.IsEmpty.Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ReplyOk_RoundTrips(string layout)
    {
        var bytes = Encode(o =>
        {
            MessageEncoder.WriteReplyOkHeader(o, 42);
            o.Write(new byte[] { 9, 8, 7 });
        });

        var reply = MessageDecoder.ReadReply(Layout(bytes, layout), s_limits);

        Hex(bytes).Should().Be("02000000" + "0000002a" + "090807");
        reply.RequestId.Should().Be(42u);
        reply.Status.Should().Be(RemotingStatus.Ok);
        reply.Completion.Should().Be(CompletionStatus.Yes);
        reply.Result.ToArray().Should().Equal(9, 8, 7);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ReplyError_RoundTrips(string layout)
    {
        var bytes = Encode(o => MessageEncoder.WriteReplyError(o, 3, RemotingStatus.ApplicationException, CompletionStatus.Yes, "System.DivideByZeroException", "Attempted to divide by zero. ✓", "   at Calc.Divide()", s_limits));

        var reply = MessageDecoder.ReadReply(Layout(bytes, layout), s_limits);

        reply.RequestId.Should().Be(3u);
        reply.Status.Should().Be(RemotingStatus.ApplicationException);
        reply.Completion.Should().Be(CompletionStatus.Yes);
        reply.ErrorTypeName.Should().Be("System.DivideByZeroException");
        reply.ErrorMessage.Should().Be("Attempted to divide by zero. ✓");
        reply.StackText.Should().Be("   at Calc.Divide()");
    }

    [Fact]
    public void ReplyError_WithoutTypeOrStack_RoundTripsAsEmptyAndNull()
    {
        var bytes = Encode(o => MessageEncoder.WriteReplyError(o, 5, RemotingStatus.Busy, CompletionStatus.No, null, "busy", null, s_limits));

        var reply = MessageDecoder.ReadReply(new ReadOnlySequence<byte>(bytes), s_limits);

        Hex(bytes).Should().Be("020801000000000500000000000462757379" + "00000000");
        reply.Status.Should().Be(RemotingStatus.Busy);
        reply.Completion.Should().Be(CompletionStatus.No);
        reply.ErrorTypeName.Should().BeEmpty();
        reply.StackText.Should().BeNull();
    }

    [Fact]
    public void ReplyError_LongMessage_IsTruncatedAtACharacterBoundary()
    {
        var limits = s_limits with { MaxErrorMessageLength = 5 };
        var bytes = Encode(o => MessageEncoder.WriteReplyError(o, 1, RemotingStatus.Internal, CompletionStatus.Maybe, "", "ab😀cd", null, limits));

        var reply = MessageDecoder.ReadReply(new ReadOnlySequence<byte>(bytes), limits);

        reply.ErrorMessage.Should().Be("ab", "the emoji takes 4 bytes and would pass the limit of 5: it is left out whole");
    }

    [Fact]
    public void Cancel_RoundTrips()
    {
        var bytes = Encode(o => MessageEncoder.WriteCancel(o, 0xDEADBEEF));

        Hex(bytes).Should().Be("03000000deadbeef");
        MessageDecoder.ReadCancel(ByteByByte(bytes)).Should().Be(0xDEADBEEFu);
    }

    [Fact]
    public void PingAndPong_RoundTrip()
    {
        var ping = Encode(o => MessageEncoder.WritePing(o, 0x1122334455667788UL));
        var pong = Encode(o => MessageEncoder.WritePing(o, 0x1122334455667788UL, pong: true));

        Hex(ping).Should().Be("040000001122334455667788");
        Hex(pong).Should().Be("050000001122334455667788");
        MessageDecoder.ReadKind(new ReadOnlySequence<byte>(pong)).Should().Be(MessageKind.Pong);
        MessageDecoder.ReadPing(new ReadOnlySequence<byte>(ping)).Should().Be(0x1122334455667788UL);
        MessageDecoder.ReadPing(ByteByByte(pong), MessageKind.Pong).Should().Be(0x1122334455667788UL);
    }

    [Fact]
    public void GoAway_RoundTrips()
    {
        var bytes = Encode(o => MessageEncoder.WriteGoAway(o, RemotingStatus.Unavailable, "stopping", s_limits));

        Hex(bytes).Should().Be("060e0008" + "73746f7070696e67");
        MessageDecoder.ReadGoAway(ByteByByte(bytes), s_limits).Should().Be(new GoAwayMessage(RemotingStatus.Unavailable, "stopping"));
    }

    [Theory]
    [InlineData("Tenant")]
    [InlineData("")]
    [InlineData("a b")]
    public void Encoder_BadMetadataKey_IsRefused(string key)
    {
        var act = () => Encode(o => MessageEncoder.WriteRequestHeader(o, 1, RequestFlags.None, 1, 0, "k", [new(key, "v")], s_limits));

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Encoder_TooManyMetadataEntries_IsRefused()
    {
        var metadata = Enumerable.Range(0, 65).Select(i => new KeyValuePair<string, string>("k" + i, "v")).ToArray();

        var act = () => Encode(o => MessageEncoder.WriteRequestHeader(o, 1, RequestFlags.None, 1, 0, "k", metadata, s_limits));

        act.Should().Throw<ArgumentException>().WithMessage("*64*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("a256")]
    public void Encoder_BadObjectKeyLength_IsRefused(string key)
    {
        var actual = key == "a256" ? new string('a', 256) : key;

        var act = () => Encode(o => MessageEncoder.WriteRequestHeader(o, 1, RequestFlags.None, 1, 0, actual, null, s_limits));

        act.Should().Throw<ArgumentException>();
    }
}
