using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Ocean.Framing;
using static Ocean.Remoting.Tests.Naming.NamingFixtures;

namespace Ocean.Remoting.Tests.Naming;

/// <summary>
/// A remote wrapper around a naming service that carries references as text, so the service's peer check runs inside
/// a real dispatched call (with the real <see cref="RemoteCallContext"/>) whatever the marshallers do with references.
/// </summary>
public interface INamingProbe
{
    Task BindAsync(string name, string reference);

    Task RebindAsync(string name, string reference);

    Task<bool> UnbindAsync(string name);

    /// <summary>The printed reference, or "" when unbound.</summary>
    Task<string> LookupAsync(string name);

    Task<string[]> ListAsync();

    /// <summary>The caller's endpoint as the server saw it, or "" for none.</summary>
    Task<string> PeerAsync();
}

public sealed class NamingProbe(NamingService service) : INamingProbe
{
    public Task BindAsync(string name, string reference) => service.BindAsync(name, RemoteReference.Parse(reference));

    public Task RebindAsync(string name, string reference) => service.RebindAsync(name, RemoteReference.Parse(reference));

    public Task<bool> UnbindAsync(string name) => service.UnbindAsync(name);

    public async Task<string> LookupAsync(string name) => (await service.LookupAsync(name))?.ToString() ?? string.Empty;

    public Task<string[]> ListAsync() => service.ListAsync();

    public Task<string> PeerAsync() => Task.FromResult(RemoteCallContext.Current?.PeerEndPoint?.ToString() ?? string.Empty);
}

public interface IRegistrar
{
    /// <summary>Binds through the service; returns the type of the exception it threw, or "".</summary>
    Task<string> RegisterAsync(string name);

    Task<bool> RegisterThroughRegistryAsync(string name);
}

public sealed class Registrar(NamingService service) : IRegistrar
{
    public async Task<string> RegisterAsync(string name)
    {
        try
        {
            await service.BindAsync(name, NamingFixtures.Reference(1));
            return string.Empty;
        }
        catch (Exception e)
        {
            return e.GetType().FullName!;
        }
    }

    public Task<bool> RegisterThroughRegistryAsync(string name)
    {
        service.Registry.Bind(name, NamingFixtures.Reference(2));
        return Task.FromResult(true);
    }
}

/// <summary>Who may change bindings, decided on real connections: loopback TCP (IPv4, IPv6), a Unix socket, in-memory, and a non-loopback address.</summary>
public sealed class NamingPeerTests
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task A_client_on_the_loopback_may_bind_rebind_and_unbind(string address)
    {
        if (address == "::1" && !Socket.OSSupportsIPv6)
        {
            return; // no IPv6 on this machine: the IPv4 case still runs
        }

        var service = new NamingService();
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Parse(address), 0));
        server.Export<INamingProbe>(new NamingProbe(service), "probe");
        await server.StartAsync().WaitAsync(Timeout);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var probe = client.GetProxy<INamingProbe>("probe");

        (await probe.PeerAsync().WaitAsync(Timeout)).Should().StartWith(address == "::1" ? "[::1]" : "127.0.0.1:");
        await ChangeBindingsAsync(probe, service);
    }

    [Fact]
    public async Task A_client_over_an_in_memory_connection_may_change_bindings()
    {
        var service = new NamingService();
        var server = new RemotingServer();
        server.Export<INamingProbe>(new NamingProbe(service), "probe");
        var (first, second) = MessageConnection.CreatePair();
        var serving = server.ServeAsync(second);
        var client = await RemotingClient.ConnectAsync(first).WaitAsync(Timeout);
        try
        {
            var probe = client.GetProxy<INamingProbe>("probe");
            (await probe.PeerAsync().WaitAsync(Timeout)).Should().BeEmpty("an in-memory connection has no endpoint");
            await ChangeBindingsAsync(probe, service);
        }
        finally
        {
            await server.DisposeAsync().AsTask().WaitAsync(Timeout);
            await client.DisposeAsync().AsTask().WaitAsync(Timeout);
            await serving.WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task A_client_over_a_unix_socket_may_change_bindings()
    {
        if (!Socket.OSSupportsUnixDomainSockets)
        {
            return;
        }

        var path = Path.Combine(Path.GetTempPath(), $"ocean-naming-{Guid.NewGuid():N}.sock");
        try
        {
            var service = new NamingService();
            await using var server = new RemotingServer(new UnixDomainSocketEndPoint(path));
            server.Export<INamingProbe>(new NamingProbe(service), "probe");
            await server.StartAsync().WaitAsync(Timeout);
            await using var client = await RemotingClient.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(Timeout);
            await ChangeBindingsAsync(client.GetProxy<INamingProbe>("probe"), service);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_client_reaching_a_non_loopback_address_is_refused_bindings_but_may_look_up_and_list()
    {
        // The server listens on one of this machine's own non-loopback addresses: the client connects from that
        // address, not from the loopback, so it counts as remote (bind through 127.0.0.1 or ::1 instead).
        if (FindNonLoopbackAddress() is not { } address)
        {
            return; // a machine with only a loopback interface: the seam tests in NamingServiceTests cover the refusal
        }

        var service = new NamingService();
        service.Registry.Bind("calc", Reference(1));
        await using var server = new RemotingServer(new IPEndPoint(address, 0));
        server.Export<INamingProbe>(new NamingProbe(service), "probe");
        await server.StartAsync().WaitAsync(Timeout);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var probe = client.GetProxy<INamingProbe>("probe");

        (await probe.PeerAsync().WaitAsync(Timeout)).Should().Contain(address.ToString());

        var refused = await FluentActions.Awaiting(() => probe.BindAsync("evil", Reference(2).ToString()).WaitAsync(Timeout))
            .Should().ThrowAsync<RemotingException>();
        refused.Which.Status.Should().Be(RemotingStatus.ApplicationException);
        refused.Which.RemoteTypeName.Should().Be("System.UnauthorizedAccessException");
        refused.Which.RemoteMessage.Should().Contain("BindAsync refused").And.Contain("AllowRemoteBinding");
        (await FluentActions.Awaiting(() => probe.RebindAsync("calc", Reference(2).ToString()).WaitAsync(Timeout))
            .Should().ThrowAsync<RemotingException>()).Which.RemoteTypeName.Should().Be("System.UnauthorizedAccessException");
        (await FluentActions.Awaiting(() => probe.UnbindAsync("calc").WaitAsync(Timeout))
            .Should().ThrowAsync<RemotingException>()).Which.RemoteTypeName.Should().Be("System.UnauthorizedAccessException");

        service.Registry.List().Should().Equal("calc");
        (await probe.LookupAsync("calc").WaitAsync(Timeout)).Should().Be(Reference(1).ToString());
        (await probe.ListAsync().WaitAsync(Timeout)).Should().Equal("calc");

        // The same service, allowing remote binding: the same client may bind.
        var open = new NamingService(new NamingServiceOptions { AllowRemoteBinding = true });
        server.Export<INamingProbe>(new NamingProbe(open), "open-probe");
        await client.GetProxy<INamingProbe>("open-probe").BindAsync("welcome", Reference(3).ToString()).WaitAsync(Timeout);
        open.Registry.List().Should().Equal("welcome");
    }

    [Fact]
    public async Task Server_code_inside_a_remote_call_acts_as_its_caller_and_binds_on_its_own_authority_through_the_registry()
    {
        if (FindNonLoopbackAddress() is not { } address)
        {
            return; // only a loopback interface here
        }

        var service = new NamingService();
        await using var server = new RemotingServer(new IPEndPoint(address, 0));
        server.Export<IRegistrar>(new Registrar(service), "registrar");
        await server.StartAsync().WaitAsync(Timeout);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var registrar = client.GetProxy<IRegistrar>("registrar");

        (await registrar.RegisterAsync("through-service").WaitAsync(Timeout)).Should().Be("System.UnauthorizedAccessException");
        (await registrar.RegisterThroughRegistryAsync("through-registry").WaitAsync(Timeout)).Should().BeTrue();
        service.Registry.List().Should().Equal("through-registry");
    }

    private static async Task ChangeBindingsAsync(INamingProbe probe, NamingService service)
    {
        await probe.BindAsync("calc", Reference(1).ToString()).WaitAsync(Timeout);
        service.Registry.TryLookup("calc", out var bound).Should().BeTrue();
        bound.Should().Be(Reference(1));
        await probe.RebindAsync("calc", Reference(2).ToString()).WaitAsync(Timeout);
        (await probe.LookupAsync("calc").WaitAsync(Timeout)).Should().Be(Reference(2).ToString());
        (await probe.ListAsync().WaitAsync(Timeout)).Should().Equal("calc");
        (await probe.UnbindAsync("calc").WaitAsync(Timeout)).Should().BeTrue();
        service.Registry.Count.Should().Be(0);
    }

    internal static IPAddress? FindNonLoopbackAddress()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }

            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(unicast.Address))
                {
                    return unicast.Address;
                }
            }
        }

        return null;
    }
}
