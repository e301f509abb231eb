using System.IO.Pipelines;
using System.Net;
using Ocean.Transport;

namespace Ocean.Framing.Tests.Infrastructure;

/// <summary>
/// An in-memory <see cref="Connection"/>: two pipes, no sockets. <see cref="CreatePair"/> gives both ends;
/// what one end writes the other reads.
/// </summary>
public sealed class PipeConnection : Connection
{
    private readonly IDuplexPipe _transport;
    private readonly IDuplexPipe _peerSide;
    private readonly CancellationTokenSource _closed = new();

    private PipeConnection(IDuplexPipe transport, IDuplexPipe peerSide)
    {
        _transport = transport;
        _peerSide = peerSide;
    }

    public override IDuplexPipe Transport => _transport;

    public override EndPoint? LocalEndPoint => new IPEndPoint(IPAddress.Loopback, 1);

    public override EndPoint? RemoteEndPoint => new IPEndPoint(IPAddress.Loopback, 2);

    public override CancellationToken ConnectionClosed => _closed.Token;

    public Exception? AbortReason { get; private set; }

    public bool IsAborted { get; private set; }

    public static (PipeConnection Left, PipeConnection Right) CreatePair()
    {
        var leftToRight = new Pipe();
        var rightToLeft = new Pipe();
        var leftTransport = new DuplexPipe(rightToLeft.Reader, leftToRight.Writer);
        var rightTransport = new DuplexPipe(leftToRight.Reader, rightToLeft.Writer);
        return (new PipeConnection(leftTransport, rightTransport), new PipeConnection(rightTransport, leftTransport));
    }

    public override async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        await _transport.Output.CompleteAsync();
        await _closed.CancelAsync();
    }

    public override void Abort(Exception? reason = null)
    {
        IsAborted = true;
        AbortReason = reason;
        // Both directions end: the peer's reads see the abort, and so do ours.
        var error = new ConnectionAbortedException("The in-memory connection was aborted.", reason);
        _transport.Output.Complete(error);
        _peerSide.Output.Complete(error);
        _closed.Cancel();
    }

    public override ValueTask DisposeAsync() => CloseAsync();

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
