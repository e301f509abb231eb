using System.Net;
using Ocean.Marshalling;
using Ocean.Remoting.Tests.Calls;
using static Ocean.Remoting.Tests.Naming.NamingFixtures;

namespace Ocean.Remoting.Tests.Naming;

/// <summary>The naming service exported under ocean.naming and used over real connections, with both marshallers.</summary>
public sealed class RemoteNamingTests
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;

    public static TheoryData<string> Marshallers() => new() { "cdr", "graph" };

    [Theory]
    [MemberData(nameof(Marshallers))]
    public async Task A_second_client_finds_what_the_first_bound_and_both_see_rebind_unbind_and_list(string marshaller)
    {
        var service = new NamingService();
        await using var server = await StartAsync(service, marshaller);
        await using var binder = await ConnectAsync(server, marshaller);
        await using var finder = await ConnectAsync(server, marshaller); // its own connection, as another process would

        var byBinder = binder.GetNamingService();
        var byFinder = finder.GetNamingService();
        var reference = new RemoteReference("calc.example.org", 7001, Incarnation, 42, "Demo.ICalculator");

        await byBinder.BindAsync("bank/accounts", reference).WaitAsync(Timeout);
        await byBinder.BindAsync("calc", Reference(1, "::1")).WaitAsync(Timeout);

        var found = await byFinder.LookupAsync("bank/accounts").WaitAsync(Timeout);
        found.Should().Be(reference);
        found!.ToString().Should().Be(reference.ToString());
        (await byFinder.LookupAsync("calc").WaitAsync(Timeout)).Should().Be(Reference(1, "::1"));
        (await byFinder.ListAsync().WaitAsync(Timeout)).Should().Equal("bank/accounts", "calc");
        (await byFinder.ListAsync("bank/").WaitAsync(Timeout)).Should().Equal("bank/accounts");
        service.Registry.Count.Should().Be(2);

        await byFinder.RebindAsync("calc", Reference(2)).WaitAsync(Timeout);
        (await byBinder.LookupAsync("calc").WaitAsync(Timeout)).Should().Be(Reference(2));
        (await byBinder.UnbindAsync("calc").WaitAsync(Timeout)).Should().BeTrue();
        (await byFinder.UnbindAsync("calc").WaitAsync(Timeout)).Should().BeFalse();
        (await byFinder.ListAsync().WaitAsync(Timeout)).Should().Equal("bank/accounts");
    }

    [Theory]
    [MemberData(nameof(Marshallers))]
    public async Task An_unbound_name_looks_up_as_null(string marshaller)
    {
        await using var server = await StartAsync(new NamingService(), marshaller);
        await using var client = await ConnectAsync(server, marshaller);

        (await client.GetNamingService().LookupAsync("nothing").WaitAsync(Timeout)).Should().BeNull();
        (await client.GetNamingService().ListAsync().WaitAsync(Timeout)).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Marshallers))]
    public async Task Refusals_reach_the_caller_with_the_exception_type_and_can_be_rethrown_as_themselves(string marshaller)
    {
        var service = new NamingService(new NamingServiceOptions { MaxNames = 1 });
        await using var server = await StartAsync(service, marshaller);
        await using var plain = await ConnectAsync(server, marshaller);
        var options = ClientOptions(marshaller);
        options.RethrownExceptions.Add(typeof(NameAlreadyBoundException));
        options.RethrownExceptions.Add(typeof(ArgumentException));
        await using var rethrowing = await RemotingClient.ConnectAsync(server.EndPoint, options).WaitAsync(Timeout);
        var naming = plain.GetNamingService();
        await naming.BindAsync("calc", Reference(1)).WaitAsync(Timeout);

        var twice = await FluentActions.Awaiting(() => naming.BindAsync("calc", Reference(2)).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();
        twice.Which.Status.Should().Be(RemotingStatus.ApplicationException);
        twice.Which.RemoteTypeName.Should().Be(typeof(NameAlreadyBoundException).FullName);
        twice.Which.RemoteMessage.Should().Contain("'calc' is already bound");

        await FluentActions.Awaiting(() => rethrowing.GetNamingService().BindAsync("calc", Reference(2)).WaitAsync(Timeout))
            .Should().ThrowAsync<NameAlreadyBoundException>().WithMessage("*'calc' is already bound*");

        var full = await FluentActions.Awaiting(() => naming.BindAsync("other", Reference(3)).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();
        full.Which.RemoteTypeName.Should().Be(typeof(InvalidOperationException).FullName);
        full.Which.RemoteMessage.Should().Contain("full");

        // A tab is a CDR character, so the name reaches the server, which refuses it.
        await FluentActions.Awaiting(() => rethrowing.GetNamingService().LookupAsync("bad\tname").WaitAsync(Timeout))
            .Should().ThrowAsync<ArgumentException>().WithMessage("*control characters*U+0009*");
        (await naming.LookupAsync("calc").WaitAsync(Timeout)).Should().Be(Reference(1), "nothing changed");
    }

    [Fact]
    public async Task Over_cdr_a_name_outside_iso_8859_1_is_refused_before_sending_and_the_graph_marshaller_carries_it()
    {
        const string Name = "日本/計算機";
        var cdrService = new NamingService();
        await using (var cdrServer = await StartAsync(cdrService, "cdr"))
        await using (var cdrClient = await ConnectAsync(cdrServer, "cdr"))
        {
            var refused = await FluentActions.Awaiting(() => cdrClient.GetNamingService().BindAsync(Name, Reference(1)).WaitAsync(Timeout))
                .Should().ThrowAsync<RemotingException>();
            refused.Which.Status.Should().Be(RemotingStatus.BadArguments);
            refused.Which.Completion.Should().Be(CompletionStatus.No);
            cdrService.Registry.Count.Should().Be(0);
        }

        var graphService = new NamingService();
        await using var graphServer = await StartAsync(graphService, "graph");
        await using var graphClient = await ConnectAsync(graphServer, "graph");
        await graphClient.GetNamingService().BindAsync(Name, Reference(1)).WaitAsync(Timeout);
        (await graphClient.GetNamingService().LookupAsync(Name).WaitAsync(Timeout)).Should().Be(Reference(1));
    }

    [Fact]
    public async Task Cancelling_a_remote_lookup_cancels_the_fallback_resolver()
    {
        var resolver = new BlockingResolver();
        var options = new NamingServiceOptions();
        options.FallbackResolvers.Add(resolver);
        await using var server = await StartAsync(new NamingService(options), "cdr");
        await using var client = await ConnectAsync(server, "cdr");
        using var cts = new CancellationTokenSource();

        var lookup = client.GetNamingService().LookupAsync("elsewhere", cts.Token);
        var asked = await resolver.Asked.Task.WaitAsync(Timeout);
        asked.Should().Be("elsewhere");
        await cts.CancelAsync();

        (await FluentActions.Awaiting(() => lookup.WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>())
            .Which.Status.Should().Be(RemotingStatus.Cancelled);
        await resolver.Cancelled.Task.WaitAsync(Timeout); // the cancel reached the server and the resolver's token
    }

    [Fact]
    public async Task The_fallback_answers_a_remote_lookup_when_the_registry_misses()
    {
        var fallback = new TableResolver(("from-directory", Reference(5, "directory.example.org", 9000)));
        var options = new NamingServiceOptions();
        options.FallbackResolvers.Add(fallback);
        var service = new NamingService(options);
        service.Registry.Bind("local", Reference(1));
        await using var server = await StartAsync(service, "graph");
        await using var client = await ConnectAsync(server, "graph");
        var naming = client.GetNamingService();

        (await naming.LookupAsync("local").WaitAsync(Timeout)).Should().Be(Reference(1));
        fallback.Asked.Should().BeEmpty();
        (await naming.LookupAsync("from-directory").WaitAsync(Timeout)).Should().Be(Reference(5, "directory.example.org", 9000));
        (await naming.LookupAsync("nowhere").WaitAsync(Timeout)).Should().BeNull();
        fallback.Asked.Should().Equal("from-directory", "nowhere");
    }

    [Fact]
    public async Task Over_a_non_loopback_address_the_real_service_refuses_bindings_and_answers_lookups()
    {
        if (NamingPeerTests.FindNonLoopbackAddress() is not { } address)
        {
            return; // only a loopback interface here: NamingPeerTests and NamingServiceTests cover the refusal
        }

        var service = new NamingService();
        service.Registry.Bind("calc", Reference(1));
        await using var server = new RemotingServer(new IPEndPoint(address, 0));
        server.ExportNamingService(service);
        await server.StartAsync().WaitAsync(Timeout);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var naming = client.GetNamingService();

        var refused = await FluentActions.Awaiting(() => naming.BindAsync("evil", Reference(2)).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();
        refused.Which.RemoteTypeName.Should().Be(typeof(UnauthorizedAccessException).FullName);
        (await FluentActions.Awaiting(() => naming.UnbindAsync("calc").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>())
            .Which.RemoteTypeName.Should().Be(typeof(UnauthorizedAccessException).FullName);
        (await naming.LookupAsync("calc").WaitAsync(Timeout)).Should().Be(Reference(1));
        (await naming.ListAsync().WaitAsync(Timeout)).Should().Equal("calc");
        service.Registry.List().Should().Equal("calc");
    }

    [Theory]
    [MemberData(nameof(Marshallers))]
    public async Task A_client_gets_a_working_proxy_from_a_server_address_and_a_name(string marshaller)
    {
        var calculator = new Calculator();
        var naming = new NamingService();
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { Marshaller = Marshaller(marshaller) });
        server.Export<ICalculator>(calculator, "calc-export");
        server.ExportNamingService(naming);
        await server.StartAsync().WaitAsync(Timeout);
        await naming.BindAsync("tools/calculator", server.GetReference("calc-export")); // in-process: the server binds its own object
        await using var client = await ConnectAsync(server, marshaller);

        var calc = await client.LookupAsync<ICalculator>("tools/calculator").WaitAsync(Timeout);

        (await calc.AddAsync(2, 3).WaitAsync(Timeout)).Should().Be(5);
        await calc.RecordAsync(7).WaitAsync(Timeout);
        calculator.Total.Should().Be(7, "the call reached the server's object");
        var reference = await client.GetNamingService().LookupAsync("tools/calculator").WaitAsync(Timeout);
        reference!.InterfaceName.Should().Be(typeof(ICalculator).FullName);
        reference.EndPoint.Should().Be(server.EndPoint);
        reference.Incarnation.Should().Be(server.Incarnation);
    }

    [Theory]
    [MemberData(nameof(Marshallers))]
    public async Task A_name_bound_by_one_server_in_another_servers_registry_leads_a_third_party_to_the_first_server(string marshaller)
    {
        // As with rmiregistry: the registry runs on its own; an object server binds into it from the same machine; a client
        // that knows only the registry's address and the name reaches the object on the object server.
        var naming = new NamingService();
        await using var registryServer = await StartAsync(naming, marshaller);
        var calculator = new Calculator();
        await using var objectServer = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { Marshaller = Marshaller(marshaller) });
        objectServer.Export<ICalculator>(calculator, "calc");
        await objectServer.StartAsync().WaitAsync(Timeout);
        await using (var binder = await ConnectAsync(registryServer, marshaller))
        {
            await binder.GetNamingService().BindAsync("calc", objectServer.GetReference("calc")).WaitAsync(Timeout);
        }

        await using var client = await ConnectAsync(registryServer, marshaller);
        var calc = await client.LookupAsync<ICalculator>("calc").WaitAsync(Timeout);

        (await calc.AddAsync(20, 22).WaitAsync(Timeout)).Should().Be(42);
        await calc.RecordAsync(3).WaitAsync(Timeout);
        calculator.Total.Should().Be(3);
        objectServer.ActiveConnections.Should().BeGreaterThan(0, "the client connected to the object's server itself");
    }

    [Fact]
    public async Task Lookup_of_a_proxy_for_an_unbound_name_throws_name_not_bound_and_a_bad_name_is_refused_before_sending()
    {
        var naming = new NamingService();
        await using var server = await StartAsync(naming, "cdr");
        await using var client = await ConnectAsync(server, "cdr");

        await FluentActions.Awaiting(() => client.LookupAsync<ICalculator>("missing").WaitAsync(Timeout))
            .Should().ThrowAsync<NameNotBoundException>().WithMessage("The name 'missing' is not bound in the naming service at 127.0.0.1:*");
        (await FluentActions.Awaiting(() => client.LookupAsync<ICalculator>("bad\nname").WaitAsync(Timeout))
            .Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("name");
    }

    [Fact]
    public async Task A_proxy_of_an_unrelated_interface_fails_on_its_first_call_with_unknown_method_not_executed()
    {
        var naming = new NamingService();
        var calculator = new Calculator();
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Export<ICalculator>(calculator, "calc");
        server.ExportNamingService(naming);
        await server.StartAsync().WaitAsync(Timeout);
        naming.Registry.Bind("calc", server.GetReference("calc"));
        await using var client = await ConnectAsync(server, "cdr");

        var wrong = await client.LookupAsync<IRegistrar>("calc").WaitAsync(Timeout);

        var failure = await FluentActions.Awaiting(() => wrong.RegisterAsync("x").WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();
        failure.Which.Status.Should().Be(RemotingStatus.UnknownMethod);
        failure.Which.Completion.Should().Be(CompletionStatus.No);
    }

    private static IMarshaller? Marshaller(string marshaller) => marshaller == "graph" ? Loopback.NewGraphMarshaller() : null;

    private static RemotingClientOptions ClientOptions(string marshaller) => new() { Marshaller = Marshaller(marshaller) };

    private static async Task<RemotingServer> StartAsync(NamingService service, string marshaller)
    {
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { Marshaller = Marshaller(marshaller) });
        server.ExportNamingService(service);
        await server.StartAsync().WaitAsync(Timeout);
        return server;
    }

    private static Task<RemotingClient> ConnectAsync(RemotingServer server, string marshaller) =>
        RemotingClient.ConnectAsync(server.EndPoint, ClientOptions(marshaller)).WaitAsync(Timeout);

    private sealed class BlockingResolver : INameResolver
    {
        public TaskCompletionSource<string> Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<RemoteReference?> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            Asked.TrySetResult(name);
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }

            return null;
        }
    }
}
