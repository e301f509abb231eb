using System.Buffers;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Ocean.Remoting.Protocol;
using static Ocean.Remoting.Tests.Infrastructure.Sequences;

namespace Ocean.Remoting.Tests;

public sealed class PreambleTests
{
    private static readonly Preamble s_hello = Preamble.Hello(MarshallerId.CdrBigEndian, 1024 * 1024, 100);

    private static byte[] Bytes(in Preamble preamble)
    {
        var copy = preamble;
        return Encode(o => PreambleCodec.Write(o, copy));
    }

    private static PreambleReadStatus Read(byte[] bytes, out Preamble preamble, out ForeignProtocol foreign) =>
        PreambleCodec.TryRead(new ReadOnlySequence<byte>(bytes), out preamble, out _, out foreign);

    [Fact]
    public void Hello_HasTheDocumentedBytes()
    {
        // The README's example, byte for byte: magic, version 1, hello, CDR big-endian, no flags, 1 MiB frames, 100 calls.
        Hex(Bytes(s_hello)).Should().Be("ce4f434e" + "01" + "00" + "01" + "00" + "00100000" + "00000064");
    }

    [Fact]
    public void Hello_RoundTrips_WholeAndByteByByte()
    {
        var bytes = Bytes(s_hello);

        PreambleCodec.TryRead(ByteByByte(bytes), out var preamble, out var consumed, out _).Should().Be(PreambleReadStatus.Complete);

        preamble.Should().Be(s_hello);
        consumed.Should().Be(16);
    }

    [Fact]
    public void EveryPrefixOfAPreamble_IsIncomplete_NeverForeign()
    {
        var bytes = Bytes(s_hello);
        for (var length = 0; length < bytes.Length; length++)
        {
            Read(bytes[..length], out _, out _).Should().Be(PreambleReadStatus.Incomplete, $"{length} bytes");
        }
    }

    [Fact]
    public void UnknownFlags_AreIgnored()
    {
        var bytes = Bytes(s_hello);
        bytes[7] = 0x80;

        Read(bytes, out var preamble, out _).Should().Be(PreambleReadStatus.Complete);
        preamble.Flags.Should().Be(0x80);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("POST /rpc HTTP/1.1\r\n")]
    [InlineData("OPTIONS * HTTP/1.1\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("G")]
    public void HttpRequest_IsForeignHttp_FromItsFirstSegment(string text)
    {
        Read(Encoding.ASCII.GetBytes(text), out _, out var foreign).Should().Be(PreambleReadStatus.Foreign);

        foreign.Should().Be(ForeignProtocol.Http);
    }

    [Theory]
    [InlineData("16030100f1010000ed0303")] // TLS 1.0 record carrying a ClientHello (TLS 1.2/1.3 clients send this)
    [InlineData("160303")]
    [InlineData("16")]
    public void TlsClientHello_IsForeignTls(string hex)
    {
        Read(FromHex(hex), out _, out var foreign).Should().Be(PreambleReadStatus.Foreign);

        foreign.Should().Be(ForeignProtocol.Tls);
    }

    [Theory]
    [InlineData("000d68656c6c6f2c20736572766572")] // writeUTF("hello, server")
    [InlineData("0006eda0bdedb880")]               // writeUTF of an emoji: two 3-byte surrogates (measured from Java)
    [InlineData("000461c08062")]                   // writeUTF("a\0b"): the NUL as C0 80
    public void JavaWriteUtf_IsForeignJava(string hex)
    {
        Read(FromHex(hex), out _, out var foreign).Should().Be(PreambleReadStatus.Foreign);

        foreign.Should().Be(ForeignProtocol.JavaWriteUtf);
    }

    [Fact]
    public void BytesAfterThePreamble_AreLeftForTheFrames()
    {
        byte[] bytes = [.. Bytes(s_hello), 0x00, 0x00, 0x00, 0x08, 0x04];

        PreambleCodec.TryRead(new ReadOnlySequence<byte>(bytes), out _, out var consumed, out _).Should().Be(PreambleReadStatus.Complete);

        consumed.Should().Be(16);
    }

    [Fact]
    public void OceanFramingClient_IsForeignUnknown()
    {
        // A length-prefixed Ocean.Framing client on the wrong port: 4-byte length, then its payload.
        Read([0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5], out _, out var foreign).Should().Be(PreambleReadStatus.Foreign);

        foreign.Should().Be(ForeignProtocol.Unknown);
    }

    [Fact]
    public void RandomBytes_AreForeign_AsSoonAsOneByteBreaksTheMagic()
    {
        var random = new Random(5);
        for (var i = 0; i < 1000; i++)
        {
            var bytes = new byte[random.Next(1, 32)];
            random.NextBytes(bytes);
            var broken = bytes.AsSpan(0, Math.Min(4, bytes.Length)).SequenceEqual(Preamble.Magic[..Math.Min(4, bytes.Length)]) ? -1 : 0;
            if (broken < 0)
            {
                continue;
            }

            Read(bytes, out _, out var foreign).Should().Be(PreambleReadStatus.Foreign);
            foreign.Should().NotBe(ForeignProtocol.None);
        }

        Read([0xCE, 0x4F, 0x43, 0x4F], out _, out _).Should().Be(PreambleReadStatus.Foreign, "the fourth magic byte differs");
    }

    [Fact]
    public void OtherVersion_IsReportedFromSixBytes_AndAnsweredAsVersionNotSupported()
    {
        byte[] v2 = [0xCE, 0x4F, 0x43, 0x4E, 0x02, 0x00];

        var read = Read(v2, out var preamble, out _);

        read.Should().Be(PreambleReadStatus.OtherVersion);
        preamble.Version.Should().Be(2);
        PreambleCodec.Evaluate(preamble, read, MarshallerId.CdrBigEndian).Should().Be(PreambleStatus.VersionNotSupported);
    }

    [Fact]
    public void Client_ReadingAServerOfAnotherVersion_ReportsVersionMismatch()
    {
        // A version-2 server answers in its own version; the client reads magic, version and status, no more.
        byte[] answer = [0xCE, 0x4F, 0x43, 0x4E, 0x02, 0x01, 0xAA, 0xBB];
        var read = Read(answer, out var preamble, out _);

        var act = () => PreambleCodec.CheckAnswer(read, preamble, MarshallerId.CdrBigEndian);

        var thrown = act.Should().Throw<RemotingProtocolException>().Which;
        thrown.Error.Should().Be(RemotingProtocolError.VersionMismatch);
        thrown.Completion.Should().Be(CompletionStatus.No);
        thrown.Message.Should().Contain("version 2").And.Contain("version 1");
    }

    [Fact]
    public void WrongMarshaller_IsAnsweredAsMarshallerNotSupported_AndReportedAsMarshallerMismatch()
    {
        var graphClient = Preamble.Hello(MarshallerId.Graph, 65536, 0);
        var read = Read(Bytes(graphClient), out var received, out _);

        var decision = PreambleCodec.Evaluate(received, read, MarshallerId.CdrBigEndian);
        var answer = new Preamble(Preamble.CurrentVersion, decision, (byte)MarshallerId.CdrBigEndian, 0, 65536, 100);
        var answerRead = Read(Bytes(answer), out var answerReceived, out _);
        var act = () => PreambleCodec.CheckAnswer(answerRead, answerReceived, MarshallerId.Graph);

        decision.Should().Be(PreambleStatus.MarshallerNotSupported);
        var thrown = act.Should().Throw<RemotingProtocolException>().Which;
        thrown.Error.Should().Be(RemotingProtocolError.MarshallerMismatch);
        thrown.Completion.Should().Be(CompletionStatus.No);
        thrown.Message.Should().Contain("CDR big-endian").And.Contain("object graph");
    }

    [Fact]
    public void MatchingHello_IsAccepted_AndTheAnswerPassesTheClientsCheck()
    {
        var read = Read(Bytes(s_hello), out var received, out _);

        PreambleCodec.Evaluate(received, read, MarshallerId.CdrBigEndian).Should().Be(PreambleStatus.Hello);
        var act = () => PreambleCodec.CheckAnswer(read, received, MarshallerId.CdrBigEndian);
        act.Should().NotThrow();
    }

    [Fact]
    public void Client_ReadingAnHttpServer_ReportsNotOceanPeer()
    {
        var read = Read(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n"), out var preamble, out _);

        var act = () => PreambleCodec.CheckAnswer(read, preamble, MarshallerId.CdrBigEndian);

        act.Should().Throw<RemotingProtocolException>().Which.Error.Should().Be(RemotingProtocolError.NotOceanPeer);
    }

    [Fact]
    public void Client_RefusedAsUnavailable_ReportsRefusedWithStatusUnavailable()
    {
        var answer = new Preamble(Preamble.CurrentVersion, PreambleStatus.Unavailable, (byte)MarshallerId.CdrBigEndian, 0, 65536, 0);
        var read = Read(Bytes(answer), out var received, out _);

        var act = () => PreambleCodec.CheckAnswer(read, received, MarshallerId.CdrBigEndian);

        var thrown = act.Should().Throw<RemotingProtocolException>().Which;
        thrown.Error.Should().Be(RemotingProtocolError.Refused);
        thrown.Status.Should().Be(RemotingStatus.Unavailable);
        thrown.Completion.Should().Be(CompletionStatus.No);
    }

    [Theory]
    [InlineData(5, 0x05)]  // status: unknown
    [InlineData(6, 0x00)]  // marshaller 0
    [InlineData(10, 0x00)] // max frame length 1 MiB -> 0x0000_0000 ... below 256 once bytes 9-11 are zero
    public void MalformedVersionOnePreamble_IsRefused(int offset, byte value)
    {
        var bytes = Bytes(s_hello);
        bytes[offset] = value;
        if (offset == 10)
        {
            bytes[9] = 0;
            bytes[11] = 0x10; // 16 bytes
        }

        var act = () => Read(bytes, out _, out _);

        act.Should().Throw<RemotingProtocolException>().Which.Error.Should().Be(RemotingProtocolError.Malformed);
    }

    [Fact]
    public void Refusals_SpeakTheForeignClientsProtocol()
    {
        Encoding.ASCII.GetString(ForeignClient.Refusal(ForeignProtocol.Http).Span).Should().StartWith("HTTP/1.1 400 Bad Request\r\n").And.Contain("Connection: close").And.EndWith(ForeignClient.RefusalText + "\n");
        Hex(ForeignClient.Refusal(ForeignProtocol.Tls).Span).Should().Be("15030100020228");
        var java = ForeignClient.Refusal(ForeignProtocol.JavaWriteUtf).Span;
        ((java[0] << 8) | java[1]).Should().Be(java.Length - 2);
        var ocean = ForeignClient.Refusal(ForeignProtocol.Unknown);
        PreambleCodec.TryRead(new ReadOnlySequence<byte>(ocean), out var preamble, out _, out _).Should().Be(PreambleReadStatus.Complete);
        preamble.Status.Should().Be(PreambleStatus.NotRecognized);
        foreach (var kind in Enum.GetValues<ForeignProtocol>())
        {
            ForeignClient.Refusal(kind).Length.Should().BeLessThan(256, "the README promises a short refusal");
        }
    }

    [Fact]
    public async Task TlsRefusal_FailsATlsClientsHandshakeAtOnce()
    {
        // An SslStream client reads the alert record and gives up: it does not wait for a timeout.
        await using var stream = new ScriptedStream(ForeignClient.Refusal(ForeignProtocol.Tls).ToArray());
        await using var tls = new SslStream(stream);

        var act = () => tls.AuthenticateAsClientAsync("ocean.test").WithTimeout();

        await act.Should().ThrowAsync<Exception>().Where(e => e is AuthenticationException || e is IOException);
    }

    /// <summary>Reads return the scripted bytes, then end of stream; writes are swallowed.</summary>
    private sealed class ScriptedStream(byte[] script) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, script.Length - _position);
            Array.Copy(script, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
        }
    }
}
