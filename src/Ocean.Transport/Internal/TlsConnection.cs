using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Ocean.Transport.Internal;

/// <summary>
/// TLS over a <see cref="SocketConnection"/>: an <see cref="SslStream"/> on the inner connection's stream,
/// pumped into a pipe pair of its own by a receive loop and a send loop.
/// </summary>
/// <remarks>
/// The inner connection keeps owning the socket, so idle timeouts, metrics, aborts and the peer-gone
/// classification work exactly as for plain connections.
/// </remarks>
internal sealed class TlsConnection : Connection
{
    private const int MinimumReadSize = 4096;

    private readonly SocketConnection _inner;
    private readonly SslStream _ssl;
    private readonly ILogger _logger;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly IDuplexPipe _transport;
    private readonly BudgetedPipeReader? _budgetedInput;
    private readonly X509Certificate2? _remoteCertificate;
    private Task _receiveTask = Task.CompletedTask;
    private Task _sendTask = Task.CompletedTask;
    private Task _lifetimeTask = Task.CompletedTask;
    private int _closeStarted;

    private TlsConnection(SocketConnection inner, SslStream ssl, ILogger logger)
    {
        _inner = inner;
        _ssl = ssl;
        _logger = logger;
        // The same bounds as the plain connection's pipes: MaxReadBufferSize decrypted bytes wait unread before the
        // receive loop stops reading, and FlushAsync waits once MaxWriteBufferSize bytes are not yet encrypted.
        _input = SocketConnection.CreatePipe(inner.MaxReadBufferSize);
        _output = SocketConnection.CreatePipe(inner.MaxWriteBufferSize);

        // Taken once: SslStream hands ownership of the certificate to whoever reads the property, so the connection
        // keeps the one object and disposes it when it ends.
        _remoteCertificate = ssl.RemoteCertificate switch
        {
            null => null,
            X509Certificate2 certificate => certificate,
            var other => X509CertificateLoader.LoadCertificate(other.GetRawCertData()),
        };

        // A server connection counts its decrypted bytes against the server's budget too (the plain connection below
        // counts the encrypted ones until the SslStream has read them).
        _budgetedInput = inner.ReadBudget is { } budget ? new BudgetedPipeReader(_input.Reader, budget) : null;
        _transport = new DuplexPipe(_budgetedInput ?? _input.Reader, _output.Writer);
        inner.ApplicationId = Id;
    }

    public override IDuplexPipe Transport => _transport;

    public override EndPoint? LocalEndPoint => _inner.LocalEndPoint;

    public override EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    public override CancellationToken ConnectionClosed => _inner.ConnectionClosed;

    /// <remarks>One object per connection, disposed when the connection ends.</remarks>
    public override X509Certificate2? RemoteCertificate => _remoteCertificate;

    public override SslProtocols TlsProtocol => _ssl.SslProtocol;

    public static async ValueTask<TlsConnection> AuthenticateAsClientAsync(SocketConnection inner, SslClientAuthenticationOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner.Stream, leaveInnerStreamOpen: true);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var connection = new TlsConnection(inner, ssl, logger);
        connection.Start();
        return connection;
    }

    public static async ValueTask<TlsConnection> AuthenticateAsServerAsync(SocketConnection inner, SslServerAuthenticationOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner.Stream, leaveInnerStreamOpen: true);
        try
        {
            await ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var connection = new TlsConnection(inner, ssl, logger);
        connection.Start();
        return connection;
    }

    public override async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) == 0)
        {
            await _output.Writer.CompleteAsync().ConfigureAwait(false);
            try
            {
                await _sendTask.WaitAsync(_inner.CloseTimeout, _inner.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                Abort(new TimeoutException("Unsent data did not drain before the connection was closed.", ex));
            }

            // Linger until the peer's close_notify or FIN, discarding what arrives, then close the socket.
            var linger = _inner.ShouldLinger(); // asked before the discarding starts, which empties the socket's queue
            _input.Writer.CancelPendingFlush();
            if (linger)
            {
                await Linger.WaitAsync(_receiveTask, _inner.CloseTimeout, _inner.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            await _inner.CloseAsync(cancellationToken).ConfigureAwait(false);
        }

        await _lifetimeTask.ConfigureAwait(false);
    }

    public override void Abort(Exception? reason = null)
    {
        _inner.Abort(reason);
        _output.Reader.CancelPendingRead();
        _input.Writer.CancelPendingFlush();
    }

    public override ValueTask DisposeAsync() => CloseAsync();

    /// <summary>The application is done with the input (its handler returned); see <see cref="SocketConnection.EndReading"/>.</summary>
    internal void EndReading() => _budgetedInput?.EndReading();

    private void Start()
    {
        _receiveTask = ReceiveLoopAsync();
        _sendTask = SendLoopAsync();
        _lifetimeTask = RunLifetimeAsync();
    }

    private async Task RunLifetimeAsync()
    {
        await _receiveTask.ConfigureAwait(false);
        await _sendTask.ConfigureAwait(false);
        await _inner.CloseAsync().ConfigureAwait(false);
        await _ssl.DisposeAsync().ConfigureAwait(false);
        _remoteCertificate?.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var writer = _input.Writer;
        var budgeted = _budgetedInput;
        try
        {
            while (true)
            {
                var read = await _ssl.ReadAsync(writer.GetMemory(MinimumReadSize)).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if (budgeted is not null && !budgeted.TryReserve(read))
                {
                    // Aborting, not waiting: a stalled peer would otherwise stall every connection of the server.
                    error = _inner.AbortOverBudget(budgeted.Budget, Id);
                    break;
                }

                writer.Advance(read);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    if (Volatile.Read(ref _closeStarted) != 0 && !_inner.IsAborted)
                    {
                        var scratch = new byte[MinimumReadSize];
                        while (await _ssl.ReadAsync(scratch).ConfigureAwait(false) > 0)
                        {
                            // closing: drop what still arrives until the peer finishes
                        }
                    }

                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // Alerts from the peer (a rejected client certificate under TLS 1.3 shows up here) and aborts surface to the reader.
            // After an abort the reader is told why (the inner connection's reason), whatever the SslStream made of it.
            error = _inner.IsAborted && ex is not ConnectionAbortedException ? _inner.CreateAbortException(ex) : ex;
            if (!_inner.IsAborted && Volatile.Read(ref _closeStarted) == 0)
            {
                Log.ConnectionError(_logger, Id, ex);
            }
        }
        finally
        {
            budgeted?.EndWriting();
            await writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    error = new ConnectionAbortedException("The connection was aborted.");
                    break;
                }

                foreach (var segment in result.Buffer)
                {
                    await _ssl.WriteAsync(segment).ConfigureAwait(false);
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    await _ssl.ShutdownAsync().ConfigureAwait(false); // close_notify
                    await _inner.Transport.Output.CompleteAsync().ConfigureAwait(false); // then FIN
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            await reader.CompleteAsync(error).ConfigureAwait(false);
            if (error is not null)
            {
                _inner.Abort(error);
                _input.Writer.CancelPendingFlush();
            }
        }
    }
}
