using System.Buffers;
using System.Buffers.Binary;
using System.Security.Authentication;
using System.Text;
using Ocean.Framing;
using Ocean.Remoting;
using Ocean.Transport;

namespace Ocean.Tool;

/// <summary>The outcome of one call made on the wire: the reply's status and completion, and its result or error text.</summary>
internal sealed record RawReply(RemotingStatus Status, CompletionStatus Completion, byte[] Result, string? RemoteType, string Message);

/// <summary>
/// One remote call written byte by byte as the Ocean.Remoting README's protocol section describes it (preamble, request,
/// reply), for calls whose arguments the tool encodes itself: it has no copy of the server's interfaces, so it cannot use
/// a proxy. A peer written from the documentation, as a user in another language would write one.
/// </summary>
internal sealed class RawCall : IAsyncDisposable
{
    private const int MaxFrame = 16 * 1024 * 1024;
    private static readonly byte[] Magic = [0xCE, 0x4F, 0x43, 0x4E];

    private readonly Connection _connection;
    private readonly MessageConnection _messages;

    private RawCall(Connection connection, MessageConnection messages)
    {
        _connection = connection;
        _messages = messages;
    }

    /// <summary>Connects and exchanges preambles with <paramref name="marshaller"/> (the preamble's marshaller byte).</summary>
    public static async Task<RawCall> ConnectAsync(RemoteTarget target, byte marshaller, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connecting.CancelAfter(timeout);
        Connection? connection = null;
        try
        {
            connection = await SocketConnector.ConnectAsync(target.Host, target.Port, target.Connector, connecting.Token);
            var hello = new byte[16];
            Magic.CopyTo(hello, 0);
            hello[4] = 1; // version
            hello[6] = marshaller;
            BinaryPrimitives.WriteUInt32BigEndian(hello.AsSpan(8), MaxFrame);
            BinaryPrimitives.WriteUInt32BigEndian(hello.AsSpan(12), 0); // this side runs no calls
            await connection.Transport.Output.WriteAsync(hello, connecting.Token);

            var answer = await ReadPreambleAsync(connection, connecting.Token);
            if (!answer.AsSpan(0, 4).SequenceEqual(Magic))
            {
                throw new ExchangeException($"{target.Display} is not an Ocean server (it answered {Convert.ToHexString(answer)})");
            }

            if (answer[5] != 0)
            {
                throw new ExchangeException($"{target.Display} refused the connection: " + answer[5] switch
                {
                    1 => $"it speaks protocol version {answer[4]}",
                    2 => $"it uses marshaller 0x{answer[6]:x2}",
                    3 => "it is unavailable (stopping, or at its connection limit)",
                    _ => $"status 0x{answer[5]:x2}",
                });
            }

            if (answer[6] != marshaller)
            {
                throw new ExchangeException($"{target.Display} accepted the connection with marshaller 0x{answer[6]:x2}, not the 0x{marshaller:x2} asked for");
            }

            var messages = MessageConnection.Create(connection, new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = MaxFrame }));
            return new RawCall(connection, messages);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            throw new ExchangeException($"no answer from {target.Display} within {timeout.TotalSeconds:0.###} s");
        }
        catch (Exception ex)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            if (target.Tls is not null && ex is AuthenticationException or IOException or (OceanException and not ConnectException))
            {
                throw new ExchangeException($"TLS handshake with {target.Display} failed: " + (target.Tls.Refusal is { } refusal
                    ? "the server's certificate was refused: " + refusal
                    : ex.Message.ReplaceLineEndings(" ")));
            }

            throw;
        }
    }

    /// <summary>Sends one request and, unless it is one-way, waits for its reply.</summary>
    /// <param name="objectKey">The export name or object key.</param>
    /// <param name="methodId">The method id (from the reflection service's description).</param>
    /// <param name="oneWay">Request flag bit 0: no reply comes.</param>
    /// <param name="deadline">The deadline sent with the call, and how long to wait for its reply.</param>
    /// <param name="metadata">Metadata entries.</param>
    /// <param name="writeArguments">Writes the arguments' stream (its first byte is the stream's alignment origin).</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public async Task<RawReply?> CallAsync(
        string objectKey, ulong methodId, bool oneWay, TimeSpan deadline, IReadOnlyList<KeyValuePair<string, string>> metadata,
        Action<IBufferWriter<byte>> writeArguments, CancellationToken cancellationToken)
    {
        const uint RequestId = 1;
        var request = new ArrayBufferWriter<byte>(256);
        var key = Encoding.UTF8.GetBytes(objectKey);
        if (key.Length is < 1 or > 255)
        {
            throw new UsageException($"an object key takes 1 to 255 UTF-8 bytes; '{objectKey}' takes {key.Length}");
        }

        var header = new List<byte>(64) { 0x01, (byte)(oneWay ? 1 : 0) };
        AddUInt16(header, (ushort)metadata.Count);
        AddUInt32(header, RequestId);
        var id = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(id, methodId);
        header.AddRange(id);
        AddUInt32(header, (uint)Math.Min(uint.MaxValue, Math.Ceiling(deadline.TotalMilliseconds)));
        header.Add((byte)key.Length);
        header.AddRange(key);
        foreach (var (name, value) in metadata)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value);
            header.Add((byte)nameBytes.Length);
            header.AddRange(nameBytes);
            AddUInt16(header, (ushort)valueBytes.Length);
            header.AddRange(valueBytes);
        }

        while (header.Count % 8 != 0)
        {
            header.Add(0); // the arguments start at a multiple of 8, as a GIOP 1.2 body does
        }

        request.Write(header.ToArray());
        writeArguments(request);
        await _messages.SendAsync(request.WrittenMemory, cancellationToken);
        if (oneWay)
        {
            return null;
        }

        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waiting.CancelAfter(deadline + TimeSpan.FromSeconds(1)); // the server answers DeadlineExceeded itself at the deadline
        try
        {
            while (true)
            {
                var received = await _messages.ReceiveAsync(waiting.Token);
                if (received.IsCompleted)
                {
                    throw new ExchangeException("the server closed the connection before replying");
                }

                var message = received.Message.ToArray();
                switch (message.Length > 0 ? message[0] : 0)
                {
                    case 0x02 when message.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(4)) == RequestId:
                        return ParseReply(message);
                    case 0x04 when message.Length == 12: // ping: answer, as every peer must
                        var pong = message.ToArray();
                        pong[0] = 0x05;
                        await _messages.SendAsync(pong, cancellationToken);
                        break;
                    case 0x06:
                        throw new ExchangeException("the server is going away: " + GoAwayText(message));
                    default:
                        throw new ExchangeException($"the server sent a message this call did not expect ({Convert.ToHexString(message.AsSpan(0, Math.Min(16, message.Length)))}...)");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ExchangeException($"no reply within {deadline.TotalSeconds:0.###} s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _messages.DisposeAsync();
        await _connection.DisposeAsync();
    }

    /// <summary>A go-away's reason and message: 06, reason (a status), message length (2 bytes), message.</summary>
    private static string GoAwayText(byte[] message)
    {
        if (message.Length < 4)
        {
            return "(a go-away too short to read)";
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(2));
        var text = length <= message.Length - 4 ? Encoding.UTF8.GetString(message, 4, length) : "";
        return $"{(RemotingStatus)message[1]}{(text.Length > 0 ? ": " + text : "")}";
    }

    private static RawReply ParseReply(byte[] message)
    {
        var status = (RemotingStatus)message[1];
        var completion = (CompletionStatus)message[2];
        if (message[1] == 0)
        {
            return new RawReply(status, completion, message[8..], null, "");
        }

        try
        {
            var span = message.AsSpan(8);
            var typeLength = BinaryPrimitives.ReadUInt16BigEndian(span);
            var type = Encoding.UTF8.GetString(span.Slice(2, typeLength));
            span = span[(2 + typeLength)..];
            var messageLength = (int)BinaryPrimitives.ReadUInt32BigEndian(span);
            var text = Encoding.UTF8.GetString(span.Slice(4, messageLength));
            return new RawReply(status, completion, [], type.Length == 0 ? null : type, text);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ExchangeException($"the server sent a malformed error reply ({Convert.ToHexString(message)})");
        }
    }

    private static async Task<byte[]> ReadPreambleAsync(Connection connection, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            if (result.Buffer.Length >= 16)
            {
                var answer = result.Buffer.Slice(0, 16).ToArray();
                input.AdvanceTo(result.Buffer.GetPosition(16)); // what follows stays in the pipe for framing
                return answer;
            }

            if (result.IsCompleted)
            {
                var partial = result.Buffer.ToArray();
                input.AdvanceTo(result.Buffer.End);
                throw new ExchangeException(partial.Length == 0
                    ? "the server closed the connection without answering"
                    : $"the server closed the connection inside its answer ({Convert.ToHexString(partial)})");
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static void AddUInt16(List<byte> bytes, ushort value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }

    private static void AddUInt32(List<byte> bytes, uint value)
    {
        bytes.Add((byte)(value >> 24));
        bytes.Add((byte)(value >> 16));
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}
