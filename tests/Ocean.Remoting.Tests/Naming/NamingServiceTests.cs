using System.Net;
using System.Net.Sockets;
using static Ocean.Remoting.Tests.Naming.NamingFixtures;

namespace Ocean.Remoting.Tests.Naming;

/// <summary>The naming service in-process: its operations, the resolver chain, and who may change bindings.</summary>
public sealed class NamingServiceTests
{
    private static readonly EndPoint Stranger = new IPEndPoint(IPAddress.Parse("192.0.2.7"), 50_000);

    [Fact]
    public async Task In_process_the_service_binds_rebinds_unbinds_looks_up_and_lists()
    {
        var service = new NamingService();
        INamingService naming = service;

        await naming.BindAsync("calc", Reference(1));
        await naming.BindAsync("bank/a", Reference(2));
        (await naming.LookupAsync("calc")).Should().Be(Reference(1));
        (await naming.LookupAsync("nothing")).Should().BeNull();
        await FluentActions.Awaiting(() => naming.BindAsync("calc", Reference(3))).Should().ThrowAsync<NameAlreadyBoundException>();

        await naming.RebindAsync("calc", Reference(3));
        (await naming.LookupAsync("calc")).Should().Be(Reference(3));
        (await naming.ListAsync()).Should().Equal("bank/a", "calc");
        (await naming.ListAsync("bank/")).Should().Equal("bank/a");

        (await naming.UnbindAsync("calc")).Should().BeTrue();
        (await naming.UnbindAsync("calc")).Should().BeFalse();
        (await naming.LookupAsync("calc")).Should().BeNull();
        service.Registry.Count.Should().Be(1);
        service.AllowRemoteBinding.Should().BeFalse();
    }

    [Fact]
    public async Task Errors_come_back_as_faulted_tasks_never_as_synchronous_throws()
    {
        INamingService naming = new NamingService();

        var bad = naming.BindAsync("a\nb", Reference(1));
        bad.IsFaulted.Should().BeTrue();
        await FluentActions.Awaiting(() => bad).Should().ThrowAsync<ArgumentException>().WithMessage("*control characters*");
        naming.LookupAsync(string.Empty).IsFaulted.Should().BeTrue();
        naming.UnbindAsync(new string('x', 300)).IsFaulted.Should().BeTrue();
        naming.ListAsync("\u0001").IsFaulted.Should().BeTrue();
        naming.RebindAsync("ok", null!).IsFaulted.Should().BeTrue();
    }

    [Fact]
    public async Task The_service_size_limit_comes_from_its_options()
    {
        var service = new NamingService(new NamingServiceOptions { MaxNames = 2 });
        await service.BindAsync("a", Reference(1));
        await service.BindAsync("b", Reference(2));

        service.Registry.MaxNames.Should().Be(2);
        await FluentActions.Awaiting(() => service.BindAsync("c", Reference(3))).Should().ThrowAsync<InvalidOperationException>().WithMessage("*full*");
        FluentActions.Invoking(() => new NamingService(new NamingServiceOptions { MaxNames = 0 })).Should().Throw<ArgumentOutOfRangeException>();
        new NamingServiceOptions().MaxNames.Should().Be(10_000);
    }

    [Fact]
    public async Task A_service_over_a_shared_registry_sees_in_process_bindings()
    {
        var registry = new NameRegistry(maxNames: 5);
        var service = new NamingService(registry, new NamingServiceOptions { MaxNames = 1 });

        registry.Bind("direct", Reference(1));
        await service.BindAsync("through-service", Reference(2));

        service.Registry.Should().BeSameAs(registry);
        (await service.LookupAsync("direct")).Should().Be(Reference(1));
        registry.TryLookup("through-service", out _).Should().BeTrue();
        registry.MaxNames.Should().Be(5, "a registry handed to the service keeps its own limit");
    }

    [Fact]
    public async Task Fallback_resolvers_are_asked_in_order_only_when_the_registry_misses()
    {
        var first = new TableResolver(("dns-only", Reference(10)), ("both", Reference(11)));
        var second = new TableResolver(("second-only", Reference(20)), ("both", Reference(21)));
        var options = new NamingServiceOptions();
        options.FallbackResolvers.Add(first);
        options.FallbackResolvers.Add(second);
        var service = new NamingService(options);
        await service.BindAsync("local", Reference(1));
        await service.BindAsync("dns-only-shadowed", Reference(2));

        (await service.LookupAsync("local")).Should().Be(Reference(1));
        first.Asked.Should().BeEmpty("the registry knew the name");
        second.Asked.Should().BeEmpty();

        (await service.LookupAsync("dns-only")).Should().Be(Reference(10));
        first.Asked.Should().Equal("dns-only");
        second.Asked.Should().BeEmpty("the first fallback knew the name");

        (await service.LookupAsync("both")).Should().Be(Reference(11), "the first resolver that knows a name wins");
        (await service.LookupAsync("second-only")).Should().Be(Reference(20));
        second.Asked.Should().Equal("second-only");

        (await service.LookupAsync("nowhere")).Should().BeNull();
        first.Asked.Should().Equal("dns-only", "both", "second-only", "nowhere");
        second.Asked.Should().Equal("second-only", "nowhere");

        // A name bound in the registry later shadows the fallbacks.
        await service.BindAsync("dns-only", Reference(3));
        (await service.LookupAsync("dns-only")).Should().Be(Reference(3));
        first.Asked.Should().HaveCount(4);

        // Fallbacks are not listed, and are never asked malformed names.
        (await service.ListAsync()).Should().Equal("dns-only", "dns-only-shadowed", "local");
        await FluentActions.Awaiting(() => service.LookupAsync("bad\tname")).Should().ThrowAsync<ArgumentException>();
        first.Asked.Should().HaveCount(4);
    }

    [Fact]
    public async Task The_fallback_list_is_copied_when_the_service_is_made_and_may_not_hold_null()
    {
        var late = new TableResolver(("late", Reference(1)));
        var options = new NamingServiceOptions();
        var service = new NamingService(options);
        options.FallbackResolvers.Add(late);

        (await service.LookupAsync("late")).Should().BeNull();
        late.Asked.Should().BeEmpty();

        var withNull = new NamingServiceOptions();
        withNull.FallbackResolvers.Add(null!);
        FluentActions.Invoking(() => new NamingService(withNull)).Should().Throw<ArgumentException>().WithMessage("*null*");
    }

    [Fact]
    public async Task A_failing_or_cancelled_fallback_fails_the_lookup()
    {
        var options = new NamingServiceOptions();
        options.FallbackResolvers.Add(new FailingResolver());
        var service = new NamingService(options);
        await service.BindAsync("local", Reference(1));

        (await service.LookupAsync("local")).Should().Be(Reference(1), "the registry answers before any fallback");
        await FluentActions.Awaiting(() => service.LookupAsync("elsewhere")).Should().ThrowAsync<IOException>().WithMessage("directory down");

        var waiting = new NamingServiceOptions();
        waiting.FallbackResolvers.Add(new WaitingResolver());
        using var cts = new CancellationTokenSource();
        var lookup = new NamingService(waiting).LookupAsync("slow", cts.Token);
        lookup.IsCompleted.Should().BeFalse();
        await cts.CancelAsync();
        await FluentActions.Awaiting(() => lookup.WithTimeout()).Should().ThrowAsync<OperationCanceledException>();
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:127.9.9.9", true)]
    [InlineData("192.0.2.7", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::", false)]
    [InlineData("::ffff:192.0.2.7", false)]
    [InlineData("fe80::1", false)]
    [InlineData("2001:db8::1", false)]
    public void Only_loopback_ip_addresses_are_local(string address, bool local)
    {
        NamingService.IsLocalPeer(new IPEndPoint(IPAddress.Parse(address), 1234)).Should().Be(local);
    }

    [Fact]
    public void No_endpoint_and_unix_sockets_are_local_and_names_are_not()
    {
        NamingService.IsLocalPeer(null).Should().BeTrue("in-process, or an in-memory connection");
        NamingService.IsLocalPeer(new UnixDomainSocketEndPoint("/tmp/ocean-naming.sock")).Should().BeTrue();
        NamingService.IsLocalPeer(new DnsEndPoint("localhost", 7000)).Should().BeFalse("a peer is an address, never a name to trust");
    }

    [Fact]
    public async Task A_non_loopback_peer_may_look_up_and_list_but_not_bind_rebind_or_unbind()
    {
        var registry = new NameRegistry();
        registry.Bind("calc", Reference(1));
        INamingService naming = new NamingService(registry, null, () => Stranger);

        await FluentActions.Awaiting(() => naming.BindAsync("evil", Reference(2))).Should().ThrowAsync<UnauthorizedAccessException>()
            .WithMessage("BindAsync refused*loopback*192.0.2.7:50000*AllowRemoteBinding*");
        await FluentActions.Awaiting(() => naming.RebindAsync("calc", Reference(2))).Should().ThrowAsync<UnauthorizedAccessException>().WithMessage("RebindAsync refused*");
        await FluentActions.Awaiting(() => naming.UnbindAsync("calc")).Should().ThrowAsync<UnauthorizedAccessException>().WithMessage("UnbindAsync refused*");

        registry.List().Should().Equal("calc");
        registry.TryLookup("calc", out var kept).Should().BeTrue();
        kept.Should().Be(Reference(1));
        (await naming.LookupAsync("calc")).Should().Be(Reference(1));
        (await naming.ListAsync()).Should().Equal("calc");
    }

    [Fact]
    public async Task The_refusal_comes_before_the_name_is_checked_so_a_stranger_learns_nothing_from_the_error()
    {
        INamingService naming = new NamingService(new NameRegistry(), null, () => Stranger);

        await FluentActions.Awaiting(() => naming.BindAsync("bad\nname", Reference(1))).Should().ThrowAsync<UnauthorizedAccessException>();
    }

    [Fact]
    public async Task With_remote_binding_allowed_a_non_loopback_peer_may_change_bindings()
    {
        var registry = new NameRegistry();
        INamingService naming = new NamingService(registry, new NamingServiceOptions { AllowRemoteBinding = true }, () => Stranger);

        await naming.BindAsync("calc", Reference(1));
        await naming.RebindAsync("calc", Reference(2));
        registry.TryLookup("calc", out var found).Should().BeTrue();
        found.Should().Be(Reference(2));
        (await naming.UnbindAsync("calc")).Should().BeTrue();
        registry.Count.Should().Be(0);
    }

    [Fact]
    public async Task Loopback_and_unix_socket_peers_may_change_bindings()
    {
        foreach (var peer in new EndPoint[]
        {
            new IPEndPoint(IPAddress.Loopback, 1),
            new IPEndPoint(IPAddress.IPv6Loopback, 1),
            new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 1),
            new UnixDomainSocketEndPoint("/tmp/x.sock"),
        })
        {
            var registry = new NameRegistry();
            INamingService naming = new NamingService(registry, null, () => peer);
            await naming.BindAsync("calc", Reference(1));
            await naming.RebindAsync("calc", Reference(2));
            (await naming.UnbindAsync("calc")).Should().BeTrue(because: peer.ToString());
        }
    }

    [Fact]
    public void The_well_known_name_is_ocean_naming()
    {
        NamingService.WellKnownName.Should().Be("ocean.naming");
    }

    private sealed class FailingResolver : INameResolver
    {
        public ValueTask<RemoteReference?> ResolveAsync(string name, CancellationToken cancellationToken) =>
            ValueTask.FromException<RemoteReference?>(new IOException("directory down"));
    }

    private sealed class WaitingResolver : INameResolver
    {
        public async ValueTask<RemoteReference?> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return null;
        }
    }
}
