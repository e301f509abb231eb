using System.IO.Pipelines;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ocean.Transport.Internal;

namespace Ocean.Transport;

/// <summary>
/// One established, bidirectional byte-stream connection (TCP, Unix domain socket, or TLS over either),
/// exposed as an <see cref="IDuplexPipe"/>.
/// </summary>
/// <remarks>
/// <para>
/// Read what the peer sent from <c>Transport.Input</c> and write to <c>Transport.Output</c>. Each pipe
/// has one reader and one writer: only one caller may read at a time, and only one may write and flush at
/// a time (Ocean.Framing adds a writer that is safe for concurrent senders).
/// </para>
/// <para>
/// Closing is graceful or abrupt. Completing <c>Transport.Output</c> half-closes: what was written is sent,
/// then the sending direction is shut down, and reading goes on until the peer closes its side.
/// <see cref="CloseAsync"/> finishes sending and then closes the connection; <see cref="Abort"/> drops it at
/// once, discarding unsent data. <see cref="DisposeAsync"/> closes gracefully if nothing else did.
/// </para>
/// <para>
/// When the peer goes away abruptly (connection reset, aborted, broken pipe) the input simply ends, as if
/// the peer had closed; any other transport error is raised by <c>Transport.Input.ReadAsync</c>.
/// </para>
/// </remarks>
public abstract class Connection : IAsyncDisposable
{
    private static long s_lastId;
    private readonly long _id = Interlocked.Increment(ref s_lastId);
    private string? _idText;
    private Stream? _stream;

    /// <summary>A short identifier unique within the process, used in logs.</summary>
    public string Id => _idText ??= "C" + _id.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The pipe pair the application reads from (<c>Input</c>) and writes to (<c>Output</c>).</summary>
    public abstract IDuplexPipe Transport { get; }

    /// <summary>The local endpoint of the connection.</summary>
    public abstract EndPoint? LocalEndPoint { get; }

    /// <summary>The peer's endpoint.</summary>
    public abstract EndPoint? RemoteEndPoint { get; }

    /// <summary>Fires (on the thread pool) once the connection is closed in both directions or aborted.</summary>
    public abstract CancellationToken ConnectionClosed { get; }

    /// <summary>The certificate the peer presented during the TLS handshake; <see langword="null"/> without TLS or when the peer sent none.</summary>
    /// <remarks>The same object on every read; the connection owns it and disposes it when the connection ends (copy it to keep it longer).</remarks>
    public virtual X509Certificate2? RemoteCertificate => null;

    /// <summary>The TLS version negotiated; <see cref="SslProtocols.None"/> for a plain connection.</summary>
    public virtual SslProtocols TlsProtocol => SslProtocols.None;

    /// <summary>
    /// A <see cref="Stream"/> over <see cref="Transport"/> for code that wants streams. Reads come from the
    /// input pipe and writes go to the output pipe, flushed per write.
    /// </summary>
    /// <remarks>
    /// The stream does not own the connection: disposing it leaves the connection open. Flushing it
    /// flushes the output pipe; as with the pipes, one reader and one writer at a time.
    /// </remarks>
    public Stream Stream => _stream ??= new DuplexPipeStream(Transport);

    /// <summary>
    /// Finishes sending what was written, shuts down the sending direction, then closes the connection.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for unsent data to drain; the connection is then aborted.</param>
    /// <returns>A task that completes once the connection is closed.</returns>
    public abstract ValueTask CloseAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops the connection at once: unsent data is discarded and pending reads fail.</summary>
    /// <param name="reason">Why; it becomes the inner exception of the <see cref="ConnectionAbortedException"/> readers see.</param>
    /// <remarks>Idempotent, thread-safe, and never throws.</remarks>
    public abstract void Abort(Exception? reason = null);

    /// <summary>Closes gracefully (see <see cref="CloseAsync"/>) unless already closed, and releases the socket.</summary>
    /// <returns>A task that completes once everything is released.</returns>
    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Registers the one observer of input bursts (see <see cref="IInputBurstObserver"/>); <see langword="false"/> when
    /// this kind of connection does not deliver input inline from its receive loop (TLS, for one).
    /// </summary>
    internal virtual bool TrySetInputBurstObserver(IInputBurstObserver observer) => false;

    /// <summary>
    /// Whether the calling thread is the receive loop delivering input to this connection's reader right now: code
    /// it runs inline may leave replies for <see cref="IInputBurstObserver.OnInputBurstDelivered"/> to send.
    /// </summary>
    internal virtual bool IsDeliveringInputOnCurrentThread => false;

    /// <inheritdoc/>
    public override string ToString() => $"{Id} {LocalEndPoint} <-> {RemoteEndPoint}";
}
