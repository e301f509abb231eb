using System.Buffers;
using System.IO.Pipelines;
using Ocean.Framing;
using Ocean.Remoting.Protocol;
using Ocean.Transport;

namespace Ocean.Remoting.Internal;

/// <summary>
/// The preamble exchange that opens every connection, on the raw byte stream (before framing starts) or, over a
/// message connection a user supplies, as the first message each way.
/// </summary>
internal static class Handshake
{
    /// <summary>What the server decided about a new connection.</summary>
    public readonly record struct ServerOutcome(bool Accepted, Preamble Client, string Reason);

    /// <summary>Client side on a raw connection: writes the preamble, reads and checks the server's answer.</summary>
    /// <exception cref="RemotingProtocolException">The server is not an Ocean server, speaks another version or marshaller, or refused.</exception>
    public static async ValueTask<Preamble> ClientAsync(Connection connection, Preamble hello, CancellationToken cancellationToken)
    {
        var output = connection.Transport.Output;
        PreambleCodec.Write(output, hello);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);

        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            PreambleReadStatus status;
            Preamble answer;
            long consumed;
            try
            {
                status = PreambleCodec.TryRead(buffer, out answer, out consumed, out _);
            }
            catch
            {
                input.AdvanceTo(buffer.Start);
                throw;
            }

            if (status == PreambleReadStatus.Incomplete && !result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            if (buffer.IsEmpty && result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                throw ClosedWithoutAnswer();
            }

            // Bytes after the answer (the server may already have sent a message) stay in the pipe for framing.
            input.AdvanceTo(status == PreambleReadStatus.Complete ? buffer.GetPosition(consumed) : buffer.Start);
            PreambleCodec.CheckAnswer(status, answer, (MarshallerId)hello.Marshaller);
            return answer;
        }
    }

    /// <summary>
    /// Server side on a raw connection: reads the client's preamble (a foreign client is recognised from its first
    /// bytes and answered with a short refusal in its own protocol), answers, and leaves any bytes after the preamble
    /// in the pipe.
    /// </summary>
    public static async ValueTask<ServerOutcome> ServerAsync(Connection connection, MarshallerId marshaller, Func<PreambleStatus, Preamble> answer, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            PreambleReadStatus status;
            Preamble client;
            long consumed;
            ForeignProtocol foreign;
            try
            {
                status = PreambleCodec.TryRead(buffer, out client, out consumed, out foreign);
            }
            catch (RemotingProtocolException e)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                await WriteAsync(output, answer(PreambleStatus.NotRecognized), cancellationToken).ConfigureAwait(false);
                return new ServerOutcome(false, default, e.Message);
            }

            switch (status)
            {
                case PreambleReadStatus.Incomplete when !result.IsCompleted:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                case PreambleReadStatus.Incomplete:
                    input.AdvanceTo(buffer.End);
                    return new ServerOutcome(false, default, $"the client closed after {buffer.Length} bytes of its preamble");
                case PreambleReadStatus.Foreign:
                    input.AdvanceTo(buffer.End);
                    await output.WriteAsync(ForeignClient.Refusal(foreign), cancellationToken).ConfigureAwait(false);
                    return new ServerOutcome(false, default, $"a foreign client ({foreign}) was refused");
            }

            var reply = answer(PreambleCodec.Evaluate(client, status, marshaller));
            input.AdvanceTo(status == PreambleReadStatus.Complete ? buffer.GetPosition(consumed) : buffer.End);
            await WriteAsync(output, reply, cancellationToken).ConfigureAwait(false);
            return reply.Status == PreambleStatus.Hello
                ? new ServerOutcome(true, client, string.Empty)
                : new ServerOutcome(false, client, $"the client's preamble was refused ({reply.Status}: version {client.Version}, marshaller {PreambleCodec.Describe(client.Marshaller)})");
        }
    }

    /// <summary>Client side over a message connection: the preamble is the first message each way.</summary>
    public static async ValueTask<Preamble> ClientAsync(MessageConnection connection, Preamble hello, CancellationToken cancellationToken)
    {
        var bytes = new byte[Preamble.Length];
        PreambleCodec.Write(bytes, hello);
        await connection.SendAsync(bytes, cancellationToken).ConfigureAwait(false);
        var result = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw ClosedWithoutAnswer();
        }

        var status = ReadWhole(result.Message, out var answer);
        PreambleCodec.CheckAnswer(status, answer, (MarshallerId)hello.Marshaller);
        return answer;
    }

    /// <summary>Server side over a message connection.</summary>
    public static async ValueTask<ServerOutcome> ServerAsync(MessageConnection connection, MarshallerId marshaller, Func<PreambleStatus, Preamble> answer, CancellationToken cancellationToken)
    {
        var result = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            return new ServerOutcome(false, default, "the client closed before its preamble");
        }

        PreambleReadStatus status;
        Preamble client;
        try
        {
            status = ReadWhole(result.Message, out client);
        }
        catch (RemotingProtocolException e)
        {
            await SendAsync(connection, answer(PreambleStatus.NotRecognized), cancellationToken).ConfigureAwait(false);
            return new ServerOutcome(false, default, e.Message);
        }

        if (status is PreambleReadStatus.Foreign or PreambleReadStatus.Incomplete)
        {
            await SendAsync(connection, answer(PreambleStatus.NotRecognized), cancellationToken).ConfigureAwait(false);
            return new ServerOutcome(false, default, "the first message is not an Ocean remoting preamble");
        }

        var reply = answer(PreambleCodec.Evaluate(client, status, marshaller));
        await SendAsync(connection, reply, cancellationToken).ConfigureAwait(false);
        return new ServerOutcome(reply.Status == PreambleStatus.Hello, client, reply.Status == PreambleStatus.Hello ? string.Empty : $"the client's preamble was refused ({reply.Status})");
    }

    /// <summary>
    /// The server closed before sending a byte of its answer: not a protocol error but an unreachable server (one at its
    /// transport's connection limit, or a TLS 1.3 server refusing the client's certificate after the TLS handshake).
    /// </summary>
    private static RemotingException ClosedWithoutAnswer() =>
        new(RemotingStatus.Unavailable, CompletionStatus.No, "The server closed the connection without answering the handshake (at its connection limit, refusing this client's TLS certificate, or stopping).");

    private static PreambleReadStatus ReadWhole(in ReadOnlySequence<byte> message, out Preamble preamble)
    {
        var status = PreambleCodec.TryRead(message, out preamble, out var consumed, out _);
        return status == PreambleReadStatus.Complete && consumed != message.Length ? PreambleReadStatus.Foreign : status;
    }

    private static async ValueTask WriteAsync(PipeWriter output, Preamble preamble, CancellationToken cancellationToken)
    {
        PreambleCodec.Write(output, preamble);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static ValueTask SendAsync(MessageConnection connection, Preamble preamble, CancellationToken cancellationToken)
    {
        var bytes = new byte[Preamble.Length];
        PreambleCodec.Write(bytes, preamble);
        return connection.SendAsync(bytes, cancellationToken);
    }
}
