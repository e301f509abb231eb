using System.Collections.Concurrent;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>Metadata from scopes and client interceptors reaches the server; server interceptors can refuse calls.</summary>
public sealed class MetadataAndInterceptorTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task Scope_metadata_is_visible_to_the_method_and_nested_scopes_accumulate(Link link)
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(new MetadataProbe(), "probe"), link);
        var probe = loop.Proxy<IMetadataProbe>("probe");

        (await probe.GetAsync("tenant").WaitAsync(Timeout)).Should().Be("<none>");
        using (RemoteCallScope.WithMetadata("tenant", "blue"))
        {
            (await probe.GetAsync("tenant").WaitAsync(Timeout)).Should().Be("blue");
            using (RemoteCallScope.WithMetadata("request-id", "r-42 ünïcode"))
            {
                (await probe.GetAsync("tenant").WaitAsync(Timeout)).Should().Be("blue");
                (await probe.GetAsync("request-id").WaitAsync(Timeout)).Should().Be("r-42 ünïcode");
                (await probe.KeysAsync().WaitAsync(Timeout)).Should().ContainInOrder("tenant", "request-id");
            }

            (await probe.GetAsync("request-id").WaitAsync(Timeout)).Should().Be("<none>", "the inner scope ended");
            (await probe.GetAsync("tenant").WaitAsync(Timeout)).Should().Be("blue");
        }

        (await probe.GetAsync("tenant").WaitAsync(Timeout)).Should().Be("<none>");
    }

    [Fact]
    public async Task Scope_metadata_flows_into_concurrent_calls_of_its_async_flow_only()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(new MetadataProbe(), "probe"));
        var probe = loop.Proxy<IMetadataProbe>("probe");

        async Task<string> AsTenant(string tenant)
        {
            using var scope = RemoteCallScope.WithMetadata("tenant", tenant);
            await Task.Yield();
            return await probe.GetAsync("tenant");
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => AsTenant("t" + i))).WaitAsync(Timeout);
        results.Should().Equal(Enumerable.Range(0, 20).Select(i => "t" + i));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Tenant")]
    [InlineData("has space")]
    [InlineData("colon:")]
    [InlineData("ключ")]
    public void Invalid_metadata_keys_are_refused(string key)
    {
        var act = () => RemoteCallScope.WithMetadata(key, "v");
        act.Should().Throw<ArgumentException>().WithParameterName("key");
    }

    [Fact]
    public void Too_long_metadata_keys_and_values_are_refused()
    {
        ((Action)(() => RemoteCallScope.WithMetadata(new string('a', 256), "v"))).Should().Throw<ArgumentException>().WithParameterName("key");
        RemoteCallScope.WithMetadata(new string('a', 255), "v").Dispose();
        ((Action)(() => RemoteCallScope.WithMetadata("k", new string('é', 40_000)))).Should().Throw<ArgumentException>().WithParameterName("value");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task An_authorization_interceptor_refuses_calls_without_a_token_before_the_method_runs(Link link)
    {
        var probe = new MetadataProbe();
        var auth = new AuthorizationInterceptor();
        var serverOptions = new RemotingServerOptions();
        serverOptions.Interceptors.Add(auth);
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(probe, "probe"), link, serverOptions);
        var proxy = loop.Proxy<IMetadataProbe>("probe");

        var e = (await proxy.Awaiting(p => p.GetAsync("x").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.PermissionDenied);
        e.Completion.Should().Be(CompletionStatus.No);
        e.Message.Should().Contain("bearer token");
        probe.Calls.Should().Be(0, "the method did not run");
        auth.Refused.Should().Be(1);

        using (RemoteCallScope.WithMetadata("authorization", "Bearer wrong"))
        {
            (await proxy.Awaiting(p => p.GetAsync("x").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>())
                .Which.Status.Should().Be(RemotingStatus.PermissionDenied);
        }

        using (RemoteCallScope.WithMetadata("authorization", "Bearer secret"))
        {
            (await proxy.GetAsync("authorization").WaitAsync(Timeout)).Should().Be("Bearer secret");
        }

        probe.Calls.Should().Be(1);
    }

    [Fact]
    public async Task A_client_interceptor_adds_the_token_the_server_interceptor_wants()
    {
        var probe = new MetadataProbe();
        var serverOptions = new RemotingServerOptions();
        serverOptions.Interceptors.Add(new AuthorizationInterceptor());
        var clientOptions = new RemotingClientOptions();
        clientOptions.Interceptors.Add(new AddHeaderInterceptor("authorization", "Bearer secret"));
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(probe, "probe"), Link.Tcp, serverOptions, clientOptions);
        var proxy = loop.Proxy<IMetadataProbe>("probe");

        (await proxy.GetAsync("authorization").WaitAsync(Timeout)).Should().Be("Bearer secret");
        using (RemoteCallScope.WithMetadata("tenant", "blue"))
        {
            (await proxy.KeysAsync().WaitAsync(Timeout)).Should().ContainInOrder("tenant", "authorization");
        }

        probe.Calls.Should().Be(2);
    }

    [Fact]
    public async Task Interceptors_run_in_order_the_first_outermost_and_see_the_call()
    {
        var log = new ConcurrentQueue<string>();
        var outer = new RecordingServerInterceptor("server A", log);
        var inner = new RecordingServerInterceptor("server B", log);
        var serverOptions = new RemotingServerOptions();
        serverOptions.Interceptors.Add(outer);
        serverOptions.Interceptors.Add(inner);
        var clientOuter = new RecordingClientInterceptor("client A", log);
        var clientOptions = new RemotingClientOptions();
        clientOptions.Interceptors.Add(clientOuter);
        clientOptions.Interceptors.Add(new RecordingClientInterceptor("client B", log));
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(new MetadataProbe(), "probe"), Link.InMemory, serverOptions, clientOptions);
        var proxy = loop.Proxy<IMetadataProbe>("probe");

        using (RemoteCallScope.WithDeadline(TimeSpan.FromSeconds(30)))
        using (RemoteCallScope.WithMetadata("tenant", "blue"))
        {
            (await proxy.GetAsync("tenant").WaitAsync(Timeout)).Should().Be("blue");
        }

        log.Should().Equal("client A before", "client B before", "server A before", "server B before", "server B after", "server A after", "client B after", "client A after");

        var seen = outer.Seen!;
        seen.ObjectName.Should().Be("probe");
        seen.Method.Name.Should().Be(nameof(IMetadataProbe.GetAsync));
        seen.Signature.Should().Be("Ocean.Remoting.Tests.Calls.IMetadataProbe.GetAsync(System.String):System.String");
        seen.GetMetadata("tenant").Should().Be("blue");
        seen.Deadline.Should().NotBeNull();
        seen.PeerEndPoint.Should().BeNull("an in-memory connection has no endpoint");
        seen.ClientCertificate.Should().BeNull();
        outer.CurrentWasSet.Should().BeTrue("RemoteCallContext.Current is the interceptor's context");

        var client = clientOuter.Seen!;
        client.ObjectName.Should().Be("probe");
        client.Method.Name.Should().Be(nameof(IMetadataProbe.GetAsync));
        client.Deadline.Should().Be(TimeSpan.FromSeconds(30));
        client.Metadata.Should().ContainSingle(m => m.Key == "tenant" && m.Value == "blue");
    }

    [Fact]
    public async Task The_server_interceptor_sees_the_peer_endpoint_over_tcp()
    {
        var log = new ConcurrentQueue<string>();
        var recording = new RecordingServerInterceptor("server", log);
        var serverOptions = new RemotingServerOptions();
        serverOptions.Interceptors.Add(recording);
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(new MetadataProbe(), "probe"), Link.Tcp, serverOptions);

        (await loop.Proxy<IMetadataProbe>("probe").GetAsync("x").WaitAsync(Timeout)).Should().Be("<none>");
        recording.Seen!.PeerEndPoint.Should().BeOfType<System.Net.IPEndPoint>().Which.Address.Should().Be(System.Net.IPAddress.Loopback);
        recording.Seen.Deadline.Should().BeNull();
        recording.Seen.ConnectionId.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_client_interceptor_that_throws_refuses_the_call_locally()
    {
        var probe = new MetadataProbe();
        var clientOptions = new RemotingClientOptions();
        clientOptions.Interceptors.Add(new RefusingClientInterceptor());
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(probe, "probe"), Link.InMemory, clientOptions: clientOptions);

        await loop.Proxy<IMetadataProbe>("probe").Awaiting(p => p.GetAsync("x").WaitAsync(Timeout))
            .Should().ThrowAsync<InvalidOperationException>().WithMessage("Refused locally: GetAsync");
        probe.Calls.Should().Be(0, "nothing was sent");
    }

    [Fact]
    public async Task A_server_interceptor_that_throws_something_else_is_Internal_not_executed()
    {
        var probe = new MetadataProbe();
        var serverOptions = new RemotingServerOptions();
        serverOptions.Interceptors.Add(new ThrowingServerInterceptor());
        await using var loop = await Loopback.StartAsync(s => s.Export<IMetadataProbe>(probe, "probe"), Link.InMemory, serverOptions);

        var e = (await loop.Proxy<IMetadataProbe>("probe").Awaiting(p => p.GetAsync("x").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>()).Which;
        e.Status.Should().Be(RemotingStatus.Internal);
        e.Completion.Should().Be(CompletionStatus.No);
        probe.Calls.Should().Be(0);
    }

    private sealed class ThrowingServerInterceptor : IRemoteServerInterceptor
    {
        public ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next) =>
            throw new InvalidOperationException("interceptor bug");
    }
}
