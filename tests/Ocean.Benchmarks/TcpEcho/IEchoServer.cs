using System.Net;

namespace Ocean.Benchmarks.TcpEcho;

/// <summary>A TCP echo server listening on 127.0.0.1, port chosen by the system.</summary>
internal interface IEchoServer : IAsyncDisposable
{
    /// <summary>The bound endpoint; valid after <see cref="StartAsync"/>.</summary>
    EndPoint EndPoint { get; }

    Task StartAsync(CancellationToken cancellationToken);
}
