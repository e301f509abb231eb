using System.Buffers;
using System.Diagnostics;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;
using Ocean.Marshalling.Tests.Hostile;

namespace Ocean.Marshalling.Tests.Hostile
{
    /// <summary>union switch (long) { case 1: sequence&lt;CdrNestedUnion&gt; children; case 0: long leaf; }: a recursive union.</summary>
    [CdrUnion]
    public sealed class CdrNestedUnion
    {
        [CdrDiscriminator]
        public int Kind { get; set; }

        [CdrCase(1)]
        public List<CdrNestedUnion> Children { get; set; } = [];

        [CdrCase(0)]
        public int Leaf { get; set; }
    }

    /// <summary>
    /// With <see cref="CdrMarshallerOptions.MaxDepth"/> raised far, hostile nesting must still end in
    /// <see cref="MarshallingException"/>, not a stack overflow (which no handler can catch). Each case runs in a
    /// child process on a thread with a 256 KiB stack, so a missing guard fails that test with the child's report
    /// instead of taking the whole test run down.
    /// </summary>
    [Trait("Category", "Hostile")]
    public sealed class CdrStackExhaustionTests
    {
        public static TheoryData<string> Probes => [.. CdrStackProbe.Names];

        [Theory]
        [MemberData(nameof(Probes))]
        public async Task DeepNesting_MaxDepthRaised_StackGuardThrowsMarshallingException(string probe)
        {
            var (exitCode, output) = await RunChildAsync(probe);

            exitCode.Should().Be(0, "the child process reports: {0}", output);
            output.Should().Contain("MarshallingException: Structs nest too deeply for the stack.");
        }

        [Fact]
        public void DeepNesting_DefaultMaxDepth_StopsAt64OnASmallStack()
        {
            // The depth limit, not the stack guard, stops the same input under the default options.
            Exception? caught = null;
            var thread = new Thread(() => caught = Record.Exception(() => CdrTest.Unmarshal<Node>(CdrStackProbe.NestedNodes(100_000), ByteOrder.BigEndian)), 256 * 1024);
            thread.Start();
            thread.Join();

            caught.Should().BeOfType<MarshallingException>().Which.Message.Should().Contain("limit of 64");
        }

        private static async Task<(int ExitCode, string Output)> RunChildAsync(string probe)
        {
            var assembly = typeof(CdrStackProbe).Assembly.Location;
            var start = new ProcessStartInfo(DotnetHost())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(assembly);
            start.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
            start.Environment[CdrStackProbe.Variable] = probe;

            using var process = Process.Start(start) ?? throw new InvalidOperationException("The child process did not start.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The {probe} probe did not finish within {TestTimeouts.Operation}.");
            }

            var error = await stderr;
            return (process.ExitCode, $"exit code {process.ExitCode}; stdout: {await stdout}; stderr: {error[..Math.Min(error.Length, 1_000)]}");
        }

        /// <summary>The dotnet host running these tests (the CLI passes its path down), else the one on PATH.</summary>
        private static string DotnetHost()
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            {
                return host;
            }

            return Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        }
    }

    /// <summary>What the child process runs: one hostile nesting, on a thread with a small stack.</summary>
    public static class CdrStackProbe
    {
        /// <summary>The environment variable naming the probe a child process runs.</summary>
        public const string Variable = "OCEAN_CDR_STACK_PROBE";

        private const int Depth = 100_000;

        private static readonly CdrMarshaller s_unlimited = new(new CdrMarshallerOptions { MaxDepth = int.MaxValue, MaxObjects = int.MaxValue });

        private static readonly Dictionary<string, Action> s_probes = new()
        {
            ["read-class"] = () => s_unlimited.Unmarshal<Node>(NestedNodes(Depth)),
            ["read-record"] = () => s_unlimited.Unmarshal<Tree>(NestedNodes(Depth)),
            ["read-union"] = () => s_unlimited.Unmarshal<CdrNestedUnion>(NestedUnions(Depth)),
            ["write-class"] = () => s_unlimited.Marshal(NodeChain(Depth), new ArrayBufferWriter<byte>()),
            ["write-union"] = () => s_unlimited.Marshal(UnionChain(Depth), new ArrayBufferWriter<byte>()),
        };

        public static IEnumerable<string> Names => s_probes.Keys;

        /// <summary>Runs a probe on a 256 KiB stack, prints what it threw, and returns 0 when that was a <see cref="MarshallingException"/>.</summary>
        public static int Run(string name)
        {
            if (!s_probes.TryGetValue(name, out var probe))
            {
                Console.WriteLine($"unknown probe {name}");
                return 2;
            }

            Exception? caught = null;
            var thread = new Thread(() => caught = Record.Exception(probe), 256 * 1024);
            thread.Start();
            thread.Join();
            Console.WriteLine(caught is null ? "no exception" : $"{caught.GetType().Name}: {caught.Message}");
            return caught is MarshallingException ? 0 : 1;
        }

        /// <summary>A chain of Node (or Tree) structs: each level is value 0 and a count of 1, the last a count of 0.</summary>
        public static byte[] NestedNodes(int depth)
        {
            var bytes = new byte[depth * 8];
            for (var level = 0; level < depth - 1; level++)
            {
                bytes[(level * 8) + 7] = 1;
            }

            return bytes;
        }

        /// <summary>A chain of unions: discriminator 1 and a count of 1 per level, the last discriminator 0 and a leaf.</summary>
        private static byte[] NestedUnions(int depth)
        {
            var bytes = new byte[depth * 8];
            for (var level = 0; level < depth - 1; level++)
            {
                bytes[(level * 8) + 3] = 1;
                bytes[(level * 8) + 7] = 1;
            }

            return bytes;
        }

        private static Node NodeChain(int depth)
        {
            var head = new Node();
            var node = head;
            for (var i = 1; i < depth; i++)
            {
                var next = new Node { Value = i };
                node.Children.Add(next);
                node = next;
            }

            return head;
        }

        private static CdrNestedUnion UnionChain(int depth)
        {
            var head = new CdrNestedUnion { Kind = 0 };
            for (var i = 1; i < depth; i++)
            {
                head = new CdrNestedUnion { Kind = 1, Children = [head] };
            }

            return head;
        }
    }
}

/// <summary>
/// Entry for the child processes of <see cref="CdrStackExhaustionTests"/>: the runtime calls
/// <see cref="Initialize"/> before <c>Main</c> when <c>DOTNET_STARTUP_HOOKS</c> names this assembly, which only
/// those child processes set. It runs the named probe and exits with its result.
/// </summary>
#pragma warning disable CA1050 // The runtime finds a startup hook by this exact name, outside any namespace.
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(CdrStackProbe.Variable) is { } probe)
        {
            Environment.Exit(CdrStackProbe.Run(probe));
        }
    }
}
