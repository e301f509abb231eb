using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ocean.Benchmarks.TcpEcho;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// Kestrel with a <see cref="ConnectionHandler"/> (no HTTP) doing the same framed echo over its pipes as the
/// Ocean.Transport server: the yardstick for "as fast as ASP.NET Core's transport".
/// </summary>
internal sealed class KestrelFrameServer(IPEndPoint endPoint) : IEchoServer
{
    private WebApplication? _app;
    private EndPoint? _bound;

    public EndPoint EndPoint => _bound ?? throw new InvalidOperationException("The server has not been started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endPoint, listen => listen.UseConnectionHandler<FrameEchoHandler>()));
        _app = builder.Build();
        await _app.StartAsync(cancellationToken);

        // With port 0, Kestrel reports the port it bound in the addresses feature once started.
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        _bound = new IPEndPoint(endPoint.Address, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }
    }

    private sealed class FrameEchoHandler : ConnectionHandler
    {
        public override Task OnConnectedAsync(ConnectionContext connection) =>
            PipeFrameEcho.RunAsync(connection.Transport.Input, connection.Transport.Output, connection.ConnectionClosed);
    }
}
