using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ocean.Marshalling;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.Reflection;

public sealed record ShopItem(string Name, int Count, ShopColor Color);

public enum ShopColor
{
    Red = 5,
    Blue = 2,
}

[Remote]
public interface IShopWatcher
{
    Task SeenAsync(string name);
}

public interface IStock
{
    Task<int> CountAsync(string name);
}

public interface IShop : IStock
{
    Task<ShopItem> FindAsync(string name, CancellationToken cancellationToken);

    [OneWay]
    Task NoteAsync(string text);

    [Idempotent]
    ValueTask<ShopItem[]> ListAsync(int limit, bool includeEmpty);

    Task AddAsync(ShopItem item);

    Task WatchAsync(IShopWatcher watcher);

    string Owner { get; }
}

internal sealed class Shop : IShop
{
    public string Owner => "ann";

    public Task<int> CountAsync(string name) => Task.FromResult(name.Length);

    public Task<ShopItem> FindAsync(string name, CancellationToken cancellationToken) => Task.FromResult(new ShopItem(name, 1, ShopColor.Red));

    public Task NoteAsync(string text) => Task.CompletedTask;

    public ValueTask<ShopItem[]> ListAsync(int limit, bool includeEmpty) => ValueTask.FromResult(Array.Empty<ShopItem>());

    public Task AddAsync(ShopItem item) => Task.CompletedTask;

    public Task WatchAsync(IShopWatcher watcher) => Task.CompletedTask;
}

/// <summary>The server reflection service (ocean.reflection): off by default, the names and the description of each export.</summary>
public sealed class ReflectionServiceTests
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;

    [Fact]
    public async Task Reflection_is_off_by_default_and_a_call_on_it_finds_no_object()
    {
        await using var server = await StartAsync(new RemotingServerOptions());
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);

        var reflection = client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName);
        var error = await reflection.Invoking(r => r.ListAsync().WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();
        error.Which.Status.Should().Be(RemotingStatus.UnknownObject);
        error.Which.Completion.Should().Be(CompletionStatus.No);
    }

    [Fact]
    public async Task List_gives_the_names_exported_by_name_in_ordinal_order_without_the_lease_service()
    {
        await using var server = await StartAsync(new RemotingServerOptions { EnableReflection = true });
        server.ExportNamingService(new NamingService());
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var reflection = client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName);

        (await reflection.ListAsync().WaitAsync(Timeout)).Should().Equal("Zed", "calculator", "ocean.naming", "ocean.reflection", "shop");

        server.Unexport("Zed").Should().BeTrue();
        server.Export<ICalculator>(new Calculator(), "abacus");
        (await reflection.ListAsync().WaitAsync(Timeout)).Should().Equal("abacus", "calculator", "ocean.naming", "ocean.reflection", "shop");
    }

    [Fact]
    public async Task Describe_gives_each_method_its_canonical_signature_id_semantics_and_parameter_names()
    {
        await using var server = await StartAsync(new RemotingServerOptions { EnableReflection = true });
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var reflection = client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName);

        using var document = JsonDocument.Parse(await reflection.DescribeAsync("shop").WaitAsync(Timeout));
        var root = document.RootElement;
        root.GetProperty("name").GetString().Should().Be("shop");
        root.GetProperty("interface").GetString().Should().Be("Ocean.Remoting.Tests.Reflection.IShop");
        root.GetProperty("marshaller").GetString().Should().Be("cdr-big-endian");

        var methods = root.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("signature").GetString()!);
        const string Ns = "Ocean.Remoting.Tests.Reflection.";
        methods.Keys.Should().BeEquivalentTo(
            Ns + "IShop.AddAsync(" + Ns + "ShopItem):System.Void",
            Ns + "IShop.FindAsync(System.String):" + Ns + "ShopItem",
            Ns + "IShop.ListAsync(System.Int32,System.Boolean):" + Ns + "ShopItem[]",
            Ns + "IShop.NoteAsync(System.String):System.Void",
            Ns + "IShop.WatchAsync(" + Ns + "IShopWatcher):System.Void",
            Ns + "IShop.get_Owner():System.String",
            Ns + "IStock.CountAsync(System.String):System.Int32");
        root.GetProperty("methods").EnumerateArray().Select(m => m.GetProperty("signature").GetString())
            .Should().BeInAscendingOrder(StringComparer.Ordinal, "the order does not depend on reflection's");

        foreach (var (signature, method) in methods)
        {
            method.GetProperty("id").GetString().Should().Be(IdOf(signature), "the id is the first 8 bytes of SHA-256 of the signature");
        }

        var find = methods[Ns + "IShop.FindAsync(System.String):" + Ns + "ShopItem"];
        find.GetProperty("name").GetString().Should().Be("FindAsync");
        find.GetProperty("semantics").GetString().Should().Be("at-most-once");
        find.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString())
            .Should().Equal(["name"], "the CancellationToken is not marshalled and not listed");
        find.GetProperty("result").GetProperty("clrType").GetString().Should().Be(Ns + "ShopItem");

        methods[Ns + "IShop.NoteAsync(System.String):System.Void"].GetProperty("semantics").GetString().Should().Be("maybe");
        var list = methods[Ns + "IShop.ListAsync(System.Int32,System.Boolean):" + Ns + "ShopItem[]"];
        list.GetProperty("semantics").GetString().Should().Be("at-least-once");
        list.GetProperty("parameters").EnumerateArray().Select(p => (p.GetProperty("name").GetString(), p.GetProperty("clrType").GetString()))
            .Should().Equal(("limit", "System.Int32"), ("includeEmpty", "System.Boolean"));
        var add = methods[Ns + "IShop.AddAsync(" + Ns + "ShopItem):System.Void"];
        add.GetProperty("result").GetProperty("clrType").GetString().Should().Be("System.Void");
        add.GetProperty("result").TryGetProperty("type", out _).Should().BeFalse("nothing is marshalled for a void result");

        // The CDR types, in CdrMarshaller.DescribeType's notation: what a tool needs to encode arguments itself.
        root.GetProperty("definitions").EnumerateArray().Select(d => d.GetString()).Should().Equal(
            "enum " + Ns + "ShopColor { Blue, Red }",
            "struct " + Ns + "ShopItem { string Name; long Count; " + Ns + "ShopColor Color; }");
        find.GetProperty("parameters")[0].GetProperty("type").GetString().Should().Be("string");
        find.GetProperty("result").GetProperty("type").GetString().Should().Be(Ns + "ShopItem");
        list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("type").GetString()).Should().Equal("long", "boolean");
        list.GetProperty("result").GetProperty("type").GetString().Should().Be("sequence<" + Ns + "ShopItem>");
        add.GetProperty("parameters")[0].GetProperty("type").GetString().Should().Be(Ns + "ShopItem");
        methods[Ns + "IShop.WatchAsync(" + Ns + "IShopWatcher):System.Void"].GetProperty("parameters")[0].GetProperty("type").GetString()
            .Should().Be("string", "a [Remote] object travels as its reference's text");
        methods[Ns + "IStock.CountAsync(System.String):System.Int32"].GetProperty("result").GetProperty("type").GetString().Should().Be("long");
    }

    [Fact]
    public async Task Describe_answers_an_unknown_name_and_the_lease_service_as_not_exported()
    {
        await using var server = await StartAsync(new RemotingServerOptions { EnableReflection = true });
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var reflection = client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName);

        foreach (var name in new[] { "nothing", "ocean.dgc", "~0/1" })
        {
            var error = await reflection.Invoking(r => r.DescribeAsync(name).WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();
            error.Which.Status.Should().Be(RemotingStatus.ApplicationException);
            error.Which.RemoteTypeName.Should().Be(typeof(KeyNotFoundException).FullName);
            error.Which.RemoteMessage.Should().Be($"No object is exported under '{name}'.");
        }
    }

    [Fact]
    public async Task Describe_takes_the_object_key_of_a_reference_to_one_of_the_servers_objects()
    {
        await using var server = await StartAsync(new RemotingServerOptions { EnableReflection = true });
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);
        var reflection = client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName);

        var reference = server.GetReference("calculator");
        using var document = JsonDocument.Parse(await reflection.DescribeAsync($"~{reference.Incarnation}/{reference.ObjectNumber}").WaitAsync(Timeout));
        document.RootElement.GetProperty("interface").GetString().Should().Be(typeof(ICalculator).FullName);
    }

    [Fact]
    public async Task With_the_graph_marshaller_the_description_has_no_cdr_types()
    {
        await using var server = await StartAsync(new RemotingServerOptions { EnableReflection = true, Marshaller = Loopback.NewGraphMarshaller() });
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint, new RemotingClientOptions { Marshaller = Loopback.NewGraphMarshaller() }).WaitAsync(Timeout);
        var reflection = client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName);

        using var document = JsonDocument.Parse(await reflection.DescribeAsync("calculator").WaitAsync(Timeout));
        document.RootElement.GetProperty("marshaller").GetString().Should().Be("graph");
        document.RootElement.TryGetProperty("definitions", out _).Should().BeFalse();
        var add = document.RootElement.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "AddAsync");
        add.GetProperty("parameters")[0].TryGetProperty("type", out _).Should().BeFalse();
        add.GetProperty("parameters")[0].GetProperty("clrType").GetString().Should().Be("System.Int32");
    }

    [Fact]
    public async Task Server_interceptors_see_reflection_calls_and_may_refuse_them()
    {
        var options = new RemotingServerOptions { EnableReflection = true };
        options.Interceptors.Add(new RefuseReflection());
        await using var server = await StartAsync(options);
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Timeout);

        var error = await client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName)
            .Invoking(r => r.ListAsync().WaitAsync(Timeout)).Should().ThrowAsync<RemotingException>();
        error.Which.Status.Should().Be(RemotingStatus.PermissionDenied);
        (await client.GetProxy<ICalculator>("calculator").AddAsync(2, 3).WaitAsync(Timeout)).Should().Be(5);
    }

    [Fact]
    public void The_reflection_name_is_taken_when_reflection_is_on()
    {
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { EnableReflection = true });
        server.Invoking(s => s.Export<ICalculator>(new Calculator(), IRemotingReflection.WellKnownName))
            .Should().Throw<InvalidOperationException>().WithMessage("*already exported under the name 'ocean.reflection'*");
    }

    private static string IdOf(string signature) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(signature))).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<RemotingServer> StartAsync(RemotingServerOptions options)
    {
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), options);
        server.Export<ICalculator>(new Calculator(), "calculator");
        if (options.Marshaller is null)
        {
            server.Export<IShop>(new Shop(), "shop"); // its record is not registered with the tests' graph marshaller
        }

        server.Export<ICalculator>(new Calculator(), "Zed");
        await server.StartAsync().WaitAsync(Timeout);
        return server;
    }

    private sealed class RefuseReflection : IRemoteServerInterceptor
    {
        public ValueTask InterceptAsync(RemoteCallContext context, Func<RemoteCallContext, ValueTask> next) =>
            context.ObjectName == IRemotingReflection.WellKnownName
                ? throw new RemotingException(RemotingStatus.PermissionDenied, CompletionStatus.No, "No reflection here.")
                : next(context);
    }
}
