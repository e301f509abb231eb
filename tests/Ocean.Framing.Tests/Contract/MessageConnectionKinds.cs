using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests.Contract;

/// <summary>A stream connection over loopback TCP: the client end, created by <see cref="MessageConnection.Create(Connection, FrameCodec, MessageConnectionOptions?)"/>, against a <see cref="MessageServer"/>'s end.</summary>
public abstract class StreamContractTests : MessageConnectionContractTests
{
    protected abstract FrameCodec Codec { get; }

    protected override bool ExpectedReliableAndOrdered => true;

    protected override async Task<ConnectedPair> CreatePairAsync()
    {
        var accepted = new TaskCompletionSource<MessageConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), Codec, async (connection, stopping) =>
        {
            accepted.TrySetResult(connection);
            await release.Task.WaitAsync(stopping);
        });
        await server.StartAsync();
        var client = MessageConnection.Create(await SocketConnector.ConnectAsync(server.EndPoint), Codec);
        var peer = await accepted.Task.WithTimeout();
        return new ConnectedPair(client, peer, async () =>
        {
            release.TrySetResult();
            await server.DisposeAsync();
        });
    }

    [Fact]
    public async Task Id_IsTheTransportConnectionsId()
    {
        var (left, right) = Infrastructure.PipeConnection.CreatePair();
        await using var connection = MessageConnection.Create(left, Codec);
        await using var other = MessageConnection.Create(right, Codec);

        connection.Id.Should().Be(left.Id, "Transport's and Framing's logs name one connection alike");
    }
}

public sealed class LengthPrefixedStreamContractTests : StreamContractTests
{
    protected override FrameCodec Codec { get; } = new LengthPrefixedCodec(new LengthPrefixedCodecOptions { MaxFrameLength = 4100 });

    protected override int ExpectedMaxMessageSize => 4096; // the frame's maximum less its 4-byte length
}

public sealed class LineStreamContractTests : StreamContractTests
{
    protected override FrameCodec Codec { get; } = new LineCodec(new LineCodecOptions { MaxLineLength = 3000 });

    protected override int ExpectedMaxMessageSize => 3000;

    protected override FramingError OversizeError => FramingError.LineTooLong;
}

public sealed class JavaUtfStreamContractTests : StreamContractTests
{
    protected override FrameCodec Codec => JavaUtfCodec.Instance;

    protected override int ExpectedMaxMessageSize => 65_535;
}

/// <summary>A connected UDP socket, talking to an unconnected one.</summary>
public sealed class ConnectedDatagramContractTests : MessageConnectionContractTests
{
    protected override int ExpectedMaxMessageSize => DatagramSocket.MaxIPv4DatagramSize;

    protected override bool ExpectedReliableAndOrdered => false;

    protected override async Task<ConnectedPair> CreatePairAsync()
    {
        var peerSocket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var localSocket = await DatagramSocket.ConnectAsync(peerSocket.LocalEndPoint);
        return new ConnectedPair(MessageConnection.Create(localSocket), MessageConnection.Create(peerSocket, localSocket.LocalEndPoint));
    }
}

/// <summary>An unconnected UDP socket with a fixed destination, talking to a connected one.</summary>
public sealed class UnconnectedDatagramContractTests : MessageConnectionContractTests
{
    protected override int ExpectedMaxMessageSize => DatagramSocket.MaxIPv4DatagramSize;

    protected override bool ExpectedReliableAndOrdered => false;

    protected override async Task<ConnectedPair> CreatePairAsync()
    {
        var localSocket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var peerSocket = await DatagramSocket.ConnectAsync(localSocket.LocalEndPoint);
        return new ConnectedPair(MessageConnection.Create(localSocket, peerSocket.LocalEndPoint), MessageConnection.Create(peerSocket));
    }
}

/// <summary>The connection a UDP <see cref="MessageServer"/> gives its handler for one peer, talking to that peer.</summary>
public sealed class ServerDatagramPeerContractTests : MessageConnectionContractTests
{
    protected override int ExpectedMaxMessageSize => DatagramSocket.MaxIPv4DatagramSize;

    protected override bool ExpectedReliableAndOrdered => false;

    protected override async Task<ConnectedPair> CreatePairAsync()
    {
        var accepted = new TaskCompletionSource<MessageConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = MessageServer.ForDatagrams(new IPEndPoint(IPAddress.Loopback, 0), async (connection, stopping) =>
        {
            await connection.ReceiveAsync(stopping); // the datagram that started this peer's connection
            accepted.TrySetResult(connection);
            await release.Task.WaitAsync(stopping);
        });
        await server.StartAsync();
        var client = MessageConnection.Create(await DatagramSocket.ConnectAsync((IPEndPoint)server.EndPoint));
        await client.SendAsync("hello"u8.ToArray());
        var peer = await accepted.Task.WithTimeout();
        return new ConnectedPair(peer, client, async () =>
        {
            release.TrySetResult();
            await server.DisposeAsync();
        });
    }
}

/// <summary>The in-memory pair of <see cref="MessageConnection.CreatePair"/>.</summary>
public sealed class InMemoryPairContractTests : MessageConnectionContractTests
{
    protected override int ExpectedMaxMessageSize => 2048;

    protected override bool ExpectedReliableAndOrdered => true;

    protected override Task<ConnectedPair> CreatePairAsync()
    {
        var (first, second) = MessageConnection.CreatePair(maxMessageSize: 2048);
        return Task.FromResult(new ConnectedPair(first, second));
    }
}

/// <summary>A <see cref="FaultInjectingConnection"/> with every rate 0 over an in-memory pair: it must keep the contract of what it wraps.</summary>
public sealed class FaultFreeInMemoryContractTests : MessageConnectionContractTests
{
    protected override int ExpectedMaxMessageSize => 2048;

    protected override bool ExpectedReliableAndOrdered => false; // the wrapper never promises either

    protected override bool PeerCanClose => true;

    protected override string IdPattern => "^F[A-Z][0-9A-F]{8}$";

    protected override Task<ConnectedPair> CreatePairAsync()
    {
        var (first, second) = MessageConnection.CreatePair(maxMessageSize: 2048);
        return Task.FromResult(new ConnectedPair(new FaultInjectingConnection(first, new FaultInjectionOptions { Seed = 1 }), second));
    }
}

/// <summary>A <see cref="FaultInjectingConnection"/> with every rate 0 over a connected UDP socket.</summary>
public sealed class FaultFreeConnectedDatagramContractTests : MessageConnectionContractTests
{
    protected override int ExpectedMaxMessageSize => DatagramSocket.MaxIPv4DatagramSize;

    protected override bool ExpectedReliableAndOrdered => false;

    protected override string IdPattern => "^F[A-Z][0-9A-F]{8}$";

    protected override async Task<ConnectedPair> CreatePairAsync()
    {
        var peerSocket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var localSocket = await DatagramSocket.ConnectAsync(peerSocket.LocalEndPoint);
        var local = new FaultInjectingConnection(MessageConnection.Create(localSocket), new FaultInjectionOptions { Seed = 2 });
        return new ConnectedPair(local, MessageConnection.Create(peerSocket, localSocket.LocalEndPoint));
    }
}

/// <summary>A <see cref="FaultInjectingConnection"/> with every rate 0 over an unconnected UDP socket with a fixed destination.</summary>
public sealed class FaultFreeUnconnectedDatagramContractTests : MessageConnectionContractTests
{
    protected override int ExpectedMaxMessageSize => DatagramSocket.MaxIPv4DatagramSize;

    protected override bool ExpectedReliableAndOrdered => false;

    protected override string IdPattern => "^F[A-Z][0-9A-F]{8}$";

    protected override async Task<ConnectedPair> CreatePairAsync()
    {
        var localSocket = DatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var peerSocket = await DatagramSocket.ConnectAsync(localSocket.LocalEndPoint);
        var local = new FaultInjectingConnection(MessageConnection.Create(localSocket, peerSocket.LocalEndPoint), new FaultInjectionOptions { Seed = 3 });
        return new ConnectedPair(local, MessageConnection.Create(peerSocket));
    }
}
