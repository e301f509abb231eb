using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ocean.Marshalling;
using Ocean.Remoting;

namespace Ocean.Tool.Tests;

public sealed record Person(string Name, string Place, int Year);

/// <summary>A union the tool cannot read back: a branch named like the key its JSON form uses for the discriminator.</summary>
[Ocean.Marshalling.Cdr.CdrUnion]
public sealed class Awkward
{
    [Ocean.Marshalling.Cdr.CdrDiscriminator]
    public int Tag { get; set; }

    [Ocean.Marshalling.Cdr.CdrCase(1)]
#pragma warning disable IDE1006, SA1300 // the lower-case name is the point
    public int discriminator { get; set; }
#pragma warning restore IDE1006, SA1300
}

public interface IMixed
{
    Task<int> AddAsync(int a, int b);

    Task<int> PickAsync(Awkward choice);
}

internal sealed class Mixed : IMixed
{
    public Task<int> AddAsync(int a, int b) => Task.FromResult(a + b);

    public Task<int> PickAsync(Awkward choice) => Task.FromResult(choice.Tag);
}

public enum Mood
{
    Calm = 1,
    Cross = 2,
}

public interface IDirectory
{
    Task<int> AddAsync(int a, int b);

    Task<Person> FindAsync(string name, CancellationToken cancellationToken);

    Task<Person[]> BornAfterAsync(int year);

    Task<string> GreetAsync(Person person, Mood mood);

    Task FailAsync(string message);

    [OneWay]
    Task NoteAsync(string text);

    Task<string> EchoAsync(string text);

    Task<string> EchoAsync(string text, int times);

    Task<string> MetadataAsync(string key);

    Task<int> HangAsync(CancellationToken cancellationToken);
}

internal sealed class PeopleDirectory : IDirectory
{
    private static readonly Person[] People = [new("Smith", "London", 1934), new("Ann", "Oslo", 1990), new("Bo", "Lund", 2001)];

    public TaskCompletionSource<string> Noted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _calls;

    /// <summary>How many calls of AddAsync, GreetAsync and EchoAsync ran.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public Task<int> AddAsync(int a, int b)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(a + b);
    }

    public Task<Person> FindAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(People.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"nobody called {name}"));

    public Task<Person[]> BornAfterAsync(int year) => Task.FromResult(People.Where(p => p.Year > year).ToArray());

    public Task<string> GreetAsync(Person person, Mood mood) => Interlocked.Increment(ref _calls) < 0 ? Task.FromResult("") : Task.FromResult($"Hello {person.Name} of {person.Place} ({person.Year}), {mood}");

    public Task FailAsync(string message) => throw new InvalidOperationException(message);

    public Task NoteAsync(string text)
    {
        Noted.TrySetResult(text);
        return Task.CompletedTask;
    }

    public Task<string> EchoAsync(string text) => Interlocked.Increment(ref _calls) < 0 ? Task.FromResult("") : Task.FromResult(text);

    public Task<string> EchoAsync(string text, int times) => Task.FromResult(string.Concat(Enumerable.Repeat(text, times)));

    public Task<string> MetadataAsync(string key) => Task.FromResult(RemoteCallContext.Current?.GetMetadata(key) ?? "(none)");

    public TaskCompletionSource Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource HangCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<int> HangAsync(CancellationToken cancellationToken)
    {
        Hanging.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            HangCancelled.TrySetResult();
            throw;
        }

        return 0;
    }
}

/// <summary>
/// <c>ocean call</c> against an Ocean server with reflection on (listing, calls with JSON arguments, failures), and
/// <c>ocean names</c> against a naming service; the tool runs as a process, the servers in the test.
/// </summary>
public sealed class CallAndNamesTests
{
    private const string Ns = "Ocean.Tool.Tests.";

    [Fact]
    public async Task Call_without_a_name_lists_every_export_with_its_methods()
    {
        await using var server = await StartAsync();

        var (code, output, error) = await RunAsync("call", Endpoint(server));

        code.Should().Be(0, string.Join(" / ", error));
        output.Should().Contain("directory: " + Ns + "IDirectory");
        output.Should().Contain("  int AddAsync(int a, int b)");
        output.Should().Contain("  " + Ns + "Person FindAsync(string name)", "the CancellationToken is not an argument");
        output.Should().Contain("  void NoteAsync(string text)  [one-way]");
        output.Should().Contain("  string EchoAsync(string text, int times)");
        output.Should().Contain("ocean.reflection: Ocean.Remoting.IRemotingReflection");
        output.Should().Contain("  string DescribeAsync(string name)");
    }

    [Fact]
    public async Task Call_with_a_name_and_json_prints_the_reflection_services_description()
    {
        await using var server = await StartAsync();

        var (code, output, _) = await RunAsync("call", Endpoint(server), "directory", "--json");

        code.Should().Be(0);
        using var document = JsonDocument.Parse(string.Join("\n", output));
        document.RootElement.GetProperty("interface").GetString().Should().Be(Ns + "IDirectory");
        document.RootElement.GetProperty("definitions").EnumerateArray().Select(d => d.GetString())
            .Should().Contain("struct " + Ns + "Person { string Name; string Place; long Year; }");
    }

    [Fact]
    public async Task Calls_take_json_arguments_by_position_or_name_and_print_json_results()
    {
        await using var server = await StartAsync();
        var endpoint = Endpoint(server);

        (await Result("call", endpoint, "directory", "AddAsync", "[2, 3]")).Should().Be("5");
        (await Result("call", endpoint, "directory", "AddAsync", """{"b": 40, "a": 2}""")).Should().Be("42");

        using (var found = JsonDocument.Parse(await Result("call", endpoint, "directory", "FindAsync", """["Smith"]""")))
        {
            found.RootElement.GetProperty("Name").GetString().Should().Be("Smith");
            found.RootElement.GetProperty("Place").GetString().Should().Be("London");
            found.RootElement.GetProperty("Year").GetInt32().Should().Be(1934);
        }

        using (var born = JsonDocument.Parse(await Result("call", endpoint, "directory", "BornAfterAsync", "[1950]")))
        {
            born.RootElement.EnumerateArray().Select(p => p.GetProperty("Name").GetString()).Should().Equal("Ann", "Bo");
        }

        (await Result("call", endpoint, "directory", "GreetAsync", """[{"Name": "Ann", "Place": "Oslo", "Year": 1990}, "Cross"]"""))
            .Should().Be("\"Hello Ann of Oslo (1990), Cross\"", "a struct argument is an object, an enum its name");
        (await Result("call", endpoint, "directory", "EchoAsync", """["ab", 3]""")).Should().Be("\"ababab\"", "an overload is chosen by the number of arguments");
        (await Result("call", endpoint, "directory", Ns + "IDirectory.EchoAsync(System.String):System.String", """["ab"]""")).Should().Be("\"ab\"");
        (await Result("call", endpoint, "directory", "MetadataAsync", """["tenant"]""", "--metadata", "tenant=blue")).Should().Be("\"blue\"");
    }

    [Fact]
    public async Task A_void_method_prints_nothing_and_a_one_way_method_runs_without_a_reply()
    {
        var directory = new PeopleDirectory();
        await using var server = await StartAsync(directory: directory);

        var (code, output, error) = await RunAsync("call", Endpoint(server), "directory", "NoteAsync", """["seen"]""");

        code.Should().Be(0);
        output.Should().BeEmpty();
        error.Should().Equal("sent (one-way: no reply comes)");
        (await directory.Noted.Task.WaitAsync(TestTimeouts.Operation)).Should().Be("seen");
    }

    [Fact]
    public async Task Ctrl_C_during_a_call_exits_130_and_the_server_cancels_the_method()
    {
        var directory = new PeopleDirectory();
        await using var server = await StartAsync(directory: directory);
        await using var tool = ToolProcess.Start("call", Endpoint(server), "directory", "HangAsync", "[]", "--deadline", "60");

        await directory.Hanging.Task.WaitAsync(TestTimeouts.Operation);
        await tool.InterruptAsync();

        (await tool.WaitForExitAsync()).Should().Be(130);
        tool.StandardError.Should().BeEmpty();
        await directory.HangCancelled.Task.WaitAsync(TestTimeouts.Operation); // the connection closed: the server cancels what it ran for it
    }

    [Fact]
    public async Task A_reference_names_the_object_to_call()
    {
        await using var server = await StartAsync();
        var reference = server.GetReference("directory").ToString();

        (await Result("call", reference, "AddAsync", "[20, 22]")).Should().Be("42");
        var (code, output, _) = await RunAsync("call", reference);
        code.Should().Be(0);
        output[0].Should().Be(Ns + "IDirectory");
    }

    [Fact]
    public async Task A_failed_call_exits_one_with_its_status_completion_and_message()
    {
        await using var server = await StartAsync();
        var endpoint = Endpoint(server);

        var (code, output, error) = await RunAsync("call", endpoint, "directory", "FailAsync", """["out of paper"]""");
        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Equal("error: ApplicationException (the method ran): System.InvalidOperationException: out of paper");

        (code, _, error) = await RunAsync("call", endpoint, "directory", "HangAsync", "[]", "--deadline", "0.3");
        code.Should().Be(1);
        error.Should().ContainSingle().Which.Should().StartWith("error: DeadlineExceeded (the method may have run)");

        (code, _, error) = await RunAsync("call", endpoint, "nothing", "AddAsync", "[1, 2]");
        code.Should().Be(1);
        error.Should().Equal("error: No object is exported under 'nothing'.");
    }

    [Theory]
    [InlineData("error: AddAsync takes 2 argument(s) (a, b), not 1", "AddAsync", "[1]")]
    [InlineData("error: argument 'a': $: ", "AddAsync", """["two", 3]""")]
    [InlineData("error: argument 'b': $: ", "AddAsync", "[2, 4294967296]")]
    [InlineData("error: argument 'b' is missing", "AddAsync", """{"a": 1}""")]
    [InlineData("error: AddAsync has no parameter 'c'", "AddAsync", """{"a": 1, "b": 2, "c": 3}""")]
    [InlineData("error: the arguments are not JSON", "AddAsync", "[1, 2")]
    [InlineData("error: the arguments are one JSON array", "AddAsync", "7")]
    [InlineData("error: directory (" + Ns + "IDirectory) has no method 'SubtractAsync'", "SubtractAsync", "[1, 2]")]
    [InlineData("error: 'EchoAsync' is overloaded: give the whole signature", "EchoAsync", """{"text": "x"}""")]
    [InlineData("error: argument 'mood': $: ", "GreetAsync", """[{"Name": "A", "Place": "B", "Year": 1}, "Happy"]""")]
    [InlineData("error: argument 'person': $", "GreetAsync", """[{"Name": "A", "Year": 1}, "Calm"]""")]
    public async Task Bad_arguments_exit_two_before_anything_is_sent(string expected, string method, string arguments)
    {
        var directory = new PeopleDirectory();
        await using var server = await StartAsync(directory: directory);

        var (code, output, error) = await RunAsync("call", Endpoint(server), "directory", method, arguments);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
        directory.Calls.Should().Be(0, "nothing reached the server's methods");
    }

    [Theory]
    [InlineData("""{"name":"x","interface":"I","marshaller":"cdr-big-endian","methods":[{"name":"M","signature":"I.M():System.Void","id":"1ffffffffffffffff","semantics":"maybe","parameters":[],"result":{"clrType":"System.Void"}}]}""")]
    [InlineData("""{"name":"x","interface":"I","marshaller":"cdr-big-endian","methods":[{"name":"M","signature":"I.M():System.Void","id":null,"semantics":"maybe","parameters":[],"result":{"clrType":"System.Void"}}]}""")]
    [InlineData("""{"name":"x","interface":"I","marshaller":"cdr-big-endian","methods":[{"name":null,"signature":"s","id":"01","semantics":"maybe","parameters":[{"name":null}],"result":{}}]}""")]
    [InlineData("""{"name":"x","methods":7}""")]
    [InlineData("""[1, 2, 3]""")]
    [InlineData("""not json""")]
    [InlineData(null)]
    public async Task A_hostile_reflection_description_is_one_error_line_and_exit_one(string? description)
    {
        // Its own "reflection service", over the object-graph marshaller, which (unlike CDR) carries null strings too.
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { Marshaller = new GraphMarshaller(new GraphTypeRegistry()) });
        server.Export<IRemotingReflection>(new LyingReflection(description), IRemotingReflection.WellKnownName);
        await server.StartAsync().WaitAsync(TestTimeouts.Operation);

        foreach (var args in new[] { new[] { "call", Endpoint(server) }, ["call", Endpoint(server), "x", "M"] })
        {
            var (code, output, error) = await ToolProcess.RunAsync(args);

            code.Should().Be(1, string.Join(" / ", error));
            output.Should().BeEmpty();
            error.Should().ContainSingle().Which.Should().StartWith("error: the server's reflection service sent");
        }
    }

    [Fact]
    public async Task A_definition_the_tool_cannot_read_spoils_only_the_methods_that_use_it()
    {
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { EnableReflection = true });
        server.Export<IMixed>(new Mixed(), "mixed");
        await server.StartAsync().WaitAsync(TestTimeouts.Operation);

        (await Result("call", Endpoint(server), "mixed", "AddAsync", "[1, 2]")).Should().Be("3");
        var (code, _, error) = await RunAsync("call", Endpoint(server), "mixed", "PickAsync", """[{"discriminator": 1}]""");
        code.Should().Be(1);
        error.Should().ContainSingle().Which.Should().StartWith("error: the server described parameter 'choice' in a way this tool cannot read");
    }

    [Fact]
    public async Task Metadata_past_the_protocols_limits_is_refused_before_connecting()
    {
        var many = Enumerable.Range(0, 65).SelectMany(i => new[] { "--metadata", $"k{i}=v" }).ToArray();
        var (code, _, error) = await ToolProcess.RunAsync(["call", "127.0.0.1:7", "x", "M", "[]", .. many]);
        code.Should().Be(2);
        error.Should().ContainSingle().Which.Should().StartWith("error: --metadata is given 65 times; a call carries at most 64 entries");

        (code, _, error) = await RunAsync("call", "127.0.0.1:7", "x", "M", "[]", "--metadata", "big=" + new string('x', 17_000));
        code.Should().Be(2);
        error.Should().ContainSingle().Which.Should().StartWith("error: the metadata takes 17006 bytes; a call carries at most 16384");
    }

    [Fact]
    public async Task A_server_without_reflection_or_with_the_graph_marshaller_is_told_apart()
    {
        await using (var plain = await StartAsync(reflection: false))
        {
            var (code, _, error) = await RunAsync("call", Endpoint(plain));
            code.Should().Be(1);
            error.Should().ContainSingle().Which.Should().Contain("has no reflection service (ocean.reflection)").And.Contain("EnableReflection");
        }

        await using var graph = await StartAsync(marshaller: new GraphMarshaller(new GraphTypeRegistry()), exportDirectory: false);
        var (listed, output, _) = await RunAsync("call", Endpoint(graph));
        listed.Should().Be(0, "the listing works whatever the marshaller: the tool connects with the one the server uses");
        output.Should().Contain("ocean.reflection: Ocean.Remoting.IRemotingReflection");
        var (called, _, refused) = await RunAsync("call", Endpoint(graph), "ocean.reflection", "ListAsync");
        called.Should().Be(1);
        refused.Should().ContainSingle().Which.Should().Contain("makes calls to servers using CDR").And.Contain("'graph'");
    }

    [Fact]
    public async Task A_peer_that_closes_at_once_or_is_not_there_fails_with_exit_one()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var accepted = 0;
        var closing = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var connection = await listener.AcceptAsync();
                    Interlocked.Increment(ref accepted); // closed at once, before the tool's preamble is answered
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // the listener was closed: the test is over
            }
        });

        // --timeout 10, not 2: the peer closes at once, so the tool fails fast, but a cold tool process on a loaded machine
        // could spend 2 s before it even connected, and then never reach the peer.
        var (code, _, error) = await RunAsync("call", $"127.0.0.1:{port}", "--timeout", "10");
        code.Should().Be(1);
        error.Should().ContainSingle().Which.Should().StartWith("error: ");
        (code, _, error) = await RunAsync("names", $"127.0.0.1:{port}", "--timeout", "10");
        code.Should().Be(1);
        error.Should().ContainSingle().Which.Should().StartWith("error: ");
        listener.Dispose();
        await closing.WaitAsync(TestTimeouts.Operation);
        Volatile.Read(ref accepted).Should().BeGreaterThanOrEqualTo(2, "each command reached the peer, which closed");

        (code, _, error) = await RunAsync("call", $"127.0.0.1:{port}", "--timeout", "10");
        code.Should().Be(1, "nothing listens there any more");
        error.Should().ContainSingle().Which.Should().StartWith("error: ");
    }

    [Fact]
    public async Task Names_lists_the_bindings_of_a_naming_service_with_their_references()
    {
        await using var server = await StartAsync();
        var naming = new NamingService();
        server.ExportNamingService(naming);
        var directory = server.GetReference("directory");
        naming.Registry.Bind("people/directory", directory);
        naming.Registry.Bind("calculator", new RemoteReference("calc.example.org", 7001, directory.Incarnation, 3, "Demo.ICalculator"));

        var (code, output, error) = await RunAsync("names", Endpoint(server));

        code.Should().Be(0, string.Join(" / ", error));
        output.Should().Equal(
            "calculator        " + "ocean://calc.example.org:7001/" + directory.Incarnation + "/3?interface=Demo.ICalculator",
            "people/directory  " + directory);

        (code, output, _) = await RunAsync("names", Endpoint(server), "--prefix", "people/");
        code.Should().Be(0);
        output.Should().Equal("people/directory  " + directory);

        // What names prints, call takes.
        (await Result("call", output[0].Split("  ")[1], "AddAsync", "[1, 1]")).Should().Be("2");
    }

    [Fact]
    public async Task Names_without_a_naming_service_exits_one()
    {
        await using var server = await StartAsync();

        var (code, output, error) = await RunAsync("names", Endpoint(server));

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Equal($"error: {Endpoint(server)} exports no naming service (ocean.naming)");
    }

    [Fact]
    public async Task Call_and_names_speak_tls_with_the_certificate_checked_pinned_or_refused()
    {
        var certificates = TestCertificates.Shared;
        var options = new RemotingServerOptions
        {
            EnableReflection = true,
            Transport = new Ocean.Transport.SocketServerOptions
            {
                Tls = new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = certificates.Server },
            },
        };
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), options);
        server.Export<IDirectory>(new PeopleDirectory(), "directory");
        var naming = new NamingService();
        server.ExportNamingService(naming);
        await server.StartAsync().WaitAsync(TestTimeouts.Operation);
        naming.Registry.Bind("people", server.GetReference("directory"));
        var endpoint = Endpoint(server);
        var ca = Path.Combine(Path.GetTempPath(), $"ocean-call-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(ca, certificates.Root.ExportCertificatePem());
        try
        {
            var pin = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificates.Server.RawData));

            (await Result("call", endpoint, "directory", "AddAsync", "[2, 3]", "--tls", "--ca", ca)).Should().Be("5");
            (await Result("call", endpoint, "directory", "AddAsync", "[4, 5]", "--tls", "--pin", pin)).Should().Be("9");
            (await Result("names", endpoint, "--tls", "--ca", ca)).Should().Be("people  " + server.GetReference("directory"));

            var (code, _, error) = await RunAsync("call", endpoint, "--tls");
            code.Should().Be(1);
            error.Should().ContainSingle().Which.Should().StartWith($"error: TLS handshake with {endpoint} failed: the server's certificate was refused: it is not trusted");

            (code, _, error) = await RunAsync("names", endpoint, "--tls", "--pin", new string('0', 64));
            code.Should().Be(1);
            error.Should().ContainSingle().Which.Should().Contain("the server's certificate was refused: its SHA-256 fingerprint is");

            (code, _, error) = await RunAsync("call", endpoint, "--timeout", "3");
            code.Should().Be(1, "a plain client is refused by a TLS server");
            error.Should().ContainSingle().Which.Should().StartWith("error: ");
        }
        finally
        {
            File.Delete(ca);
        }
    }

    [Theory]
    [InlineData("error: call needs HOST:PORT or a reference", "call")]
    [InlineData("error: --sni, --pin, --ca and --insecure need --tls", "call", "127.0.0.1:7", "--insecure")]
    [InlineData("error: --insecure, --pin and --ca cannot be used together", "names", "127.0.0.1:7", "--tls", "--insecure", "--pin", "00")]
    [InlineData("error: names needs HOST:PORT", "names")]
    [InlineData("error: expected HOST:PORT, not a reference", "names", "ocean://127.0.0.1:7/0123456789abcdef0123456789abcdef.1/1?interface=X")]
    [InlineData("error: --metadata goes with a call", "call", "127.0.0.1:7", "--metadata", "a=b")]
    [InlineData("error: --metadata takes KEY=VALUE", "call", "127.0.0.1:7", "x", "M", "[]", "--metadata", "Tenant=blue")]
    [InlineData("error: unexpected argument '[2]'", "call", "127.0.0.1:7", "x", "M", "[1]", "[2]")]
    public async Task Usage_mistakes_exit_two(string expected, params string[] args)
    {
        var (code, output, error) = await ToolProcess.RunAsync(args);

        code.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().ContainSingle().Which.Should().StartWith(expected);
    }

    private sealed class LyingReflection(string? description) : IRemotingReflection
    {
        public Task<string[]> ListAsync() => Task.FromResult(new[] { "x", null!, "" });

        public Task<string> DescribeAsync(string name) => Task.FromResult(description!);
    }

    /// <summary>
    /// Runs call or names with --timeout 30 unless the test gives one: the default 5 s also bounds connecting (and the TLS
    /// handshake), which a cold tool process (its code compiled as it first runs) on a loaded 2-core machine can take a
    /// good part of; a raw connect was seen to need more than 1 s there. A timeout would replace the error a test expects.
    /// </summary>
    private static Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Error)> RunAsync(params string[] args) =>
        ToolProcess.RunAsync(args.Contains("--timeout") ? args : [.. args, "--timeout", "30"]);

    /// <summary>Runs a call or names that must succeed and returns its output.</summary>
    private static async Task<string> Result(params string[] args)
    {
        var (code, output, error) = await RunAsync(args);
        code.Should().Be(0, string.Join(" / ", error));
        return string.Join("\n", output);
    }

    private static string Endpoint(RemotingServer server) => $"127.0.0.1:{((IPEndPoint)server.EndPoint).Port}";

    private static async Task<RemotingServer> StartAsync(bool reflection = true, IMarshaller? marshaller = null, PeopleDirectory? directory = null, bool exportDirectory = true)
    {
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0), new RemotingServerOptions { EnableReflection = reflection, Marshaller = marshaller });
        if (exportDirectory)
        {
            server.Export<IDirectory>(directory ?? new PeopleDirectory(), "directory");
        }

        await server.StartAsync().WaitAsync(TestTimeouts.Operation);
        return server;
    }
}
