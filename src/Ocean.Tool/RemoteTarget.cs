using System.Net;
using System.Net.Sockets;
using Ocean.Marshalling;
using Ocean.Remoting;
using Ocean.Transport;

namespace Ocean.Tool;

/// <summary>
/// What <c>ocean call</c> and <c>ocean names</c> talk to: HOST:PORT, or a reference <c>ocean://HOST:PORT/INCARNATION/NUMBER</c>
/// (then the object is the reference's, by its key <c>~INCARNATION/NUMBER</c>).
/// </summary>
internal sealed record RemoteTarget(string Host, int Port, RemoteReference? Reference)
{
    /// <summary>TLS settings (<c>--tls</c> and its options), or null for plain TCP.</summary>
    public ClientTls? Tls { get; init; }

    /// <summary>The transport settings every connection to the target uses (TLS among them).</summary>
    public SocketConnectorOptions Connector => new() { Tls = Tls?.Options, ConnectTimeout = Timeout.InfiniteTimeSpan }; // --timeout applies

    public string Display => Reference?.ToString() ?? (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}");

    /// <summary>The object key of the reference: what a request names the object by.</summary>
    public string? ObjectKey => Reference is { } r ? $"~{r.Incarnation}/{r.ObjectNumber}" : null;

    public static RemoteTarget Parse(string text, bool allowReference)
    {
        if (text.StartsWith("ocean:", StringComparison.Ordinal))
        {
            if (!allowReference)
            {
                throw new UsageException($"expected HOST:PORT, not a reference ('{text}')");
            }

            try
            {
                var reference = RemoteReference.Parse(text);
                return new RemoteTarget(reference.Host, reference.Port, reference);
            }
            catch (FormatException ex)
            {
                throw new UsageException(ex.Message);
            }
        }

        var (host, port) = CommandLine.ParseHostPort(text);
        return new RemoteTarget(host, port, null);
    }

    public async Task<IPEndPoint> ResolveAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(Host, out var address))
        {
            return new IPEndPoint(address, Port);
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken);
            return addresses.Length > 0 ? new IPEndPoint(addresses[0], Port) : throw new ExchangeException($"{Host} has no address");
        }
        catch (SocketException ex)
        {
            throw new ExchangeException($"cannot resolve {Host}: {ex.Message}");
        }
    }

    /// <summary>
    /// A client of the target's server, with the marshaller the server uses: CDR big-endian first, then the others the
    /// protocol knows, as the handshake refuses each (a tool has no say in what a server speaks).
    /// </summary>
    public async Task<RemotingClient> ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var endPoint = await ResolveAsync(cancellationToken);
        IMarshaller[] marshallers =
        [
            CdrMarshaller.Default,
            new CdrMarshaller(new CdrMarshallerOptions { ByteOrder = ByteOrder.LittleEndian }),
            new GraphMarshaller(new GraphTypeRegistry()),
        ];
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connecting.CancelAfter(timeout); // one budget for every attempt
        foreach (var marshaller in marshallers)
        {
            try
            {
                return await RemotingClient.ConnectAsync(endPoint, new RemotingClientOptions { Marshaller = marshaller, Transport = Connector }, connecting.Token);
            }
            catch (RemotingException ex) when (Tls is { Refusal: { } refusal })
            {
                throw new ExchangeException($"TLS handshake with {Display} failed: the server's certificate was refused: {refusal} ({ex.Status})");
            }
            catch (RemotingProtocolException ex) when (ex.Error == RemotingProtocolError.MarshallerMismatch)
            {
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ExchangeException($"could not connect to {Display} within {timeout.TotalSeconds:0.###} s");
            }
        }

        throw new ExchangeException($"{Display} uses a marshaller this tool does not know");
    }
}
