using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>
/// The rpc-http server: what many would write instead of a remoting library. ASP.NET Core minimal API on
/// Kestrel, HTTP/1.1 only, logging off: <c>GET /add?a=1&amp;b=2</c> answers the sum as JSON, <c>POST /echo</c>
/// takes a JSON string body and answers it as JSON. Nothing else is tuned: the handlers are what a
/// typical user writes.
/// </summary>
internal sealed class HttpRpcServer(IPEndPoint endPoint) : ICallCountingServer
{
    private WebApplication? _app;
    private EndPoint? _bound;
    private long _calls;

    public EndPoint EndPoint => _bound ?? throw new InvalidOperationException("The server has not been started.");

    public long CallsServed => Interlocked.Read(ref _calls);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endPoint, listen => listen.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.MapGet("/add", (int a, int b) =>
        {
            Interlocked.Increment(ref _calls);
            return unchecked(a + b);
        });
        app.MapPost("/echo", ([FromBody] string text) =>
        {
            Interlocked.Increment(ref _calls);
            return TypedResults.Ok(text);
        });
        _app = app;
        await app.StartAsync(cancellationToken);

        // With port 0, Kestrel reports the port it bound in the addresses feature once started.
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
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
}

/// <summary>
/// The rpc-http client: one <see cref="HttpClient"/> over a <see cref="SocketsHttpHandler"/>, HTTP/1.1, used the
/// way its documentation shows (<c>GetFromJsonAsync</c>, <c>PostAsJsonAsync</c> + <c>ReadFromJsonAsync</c>).
/// HTTP/1.1 cannot multiplex: a connection carries one request at a time, so the handler opens up to one
/// connection per concurrent caller (8 callers: up to 8 connections), unlike the other kinds' single connection.
/// </summary>
internal sealed class HttpRpcClient : IRpcClient
{
    private readonly HttpClient _http;

    private HttpRpcClient(HttpClient http) => _http = http;

    public static ValueTask<IRpcClient> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        };
        var http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://{endPoint}/"),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };
        return ValueTask.FromResult<IRpcClient>(new HttpRpcClient(http));
    }

    public ValueTask<int> AddAsync(int a, int b) =>
        new(_http.GetFromJsonAsync<int>(FormattableString.Invariant($"add?a={a}&b={b}")));

    public ValueTask<string> EchoAsync(string text) => new(PostEchoAsync(text));

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string> PostEchoAsync(string text)
    {
        using var response = await _http.PostAsJsonAsync("echo", text);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<string>() ?? throw new InvalidDataException("The echo came back null.");
    }
}
