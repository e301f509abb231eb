using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// Every truncation and seeded random corruptions of valid streams yield <see cref="MarshallingException"/> or a
/// valid value, nothing else, and none allocates beyond a fixed bound (the work a case may do is bounded by the reader's limits). The case count comes from OCEAN_FUZZ_CASES (default 100,000).
/// </summary>
public sealed class GraphFuzzTests(ITestOutputHelper output)
{
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller();
    private static readonly GraphMarshaller s_v1 = new(new GraphTypeRegistry()
        .Register<GraphCustomerV1>("shop.Customer").Register<GraphOrderV1>("shop.Order").Register<GraphLeaf>("test.GraphLeaf"));
    private static readonly GraphMarshaller s_v2 = new(new GraphTypeRegistry()
        .Register<GraphCustomerV2>("shop.Customer").Register<GraphOrderV2>("shop.Order").Register<GraphLeaf>("test.GraphLeaf"));

    /// <summary>Far above what a sub-kilobyte stream may cost (the memory budget is 32 x its length + 1 MiB), far below an amplification.</summary>
    private const long MaxAllocatedPerCase = 16L * 1024 * 1024;

    [ThreadStatic]
    private static long s_maxAllocated;

    private static readonly byte[] s_interesting = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15];

    private static int Cases =>
        int.TryParse(Environment.GetEnvironmentVariable("OCEAN_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var cases) && cases > 0 ? cases : 100_000;

    /// <summary>Valid streams, each with how it is read back.</summary>
    private static IReadOnlyList<(string Name, byte[] Bytes, Action<byte[]> Read)> Streams()
    {
        var group = new ContractGroup("Founders \u00E9", [new Person("Smith", "London", 1934), new Person("Jones", "Leeds", -1)], 3);
        var graph = GraphRandomGraphTests.RandomGraph(new Random(7), out _);
        var everything = new GraphEverything
        {
            Flag = true, I32 = -5, Money = 11.11m, Letter = 'x', Text = "t", MaybeInt = 1, MaybePoint = new GraphPoint(1, 2), Bytes = [1, 2], Ints = [3],
            Strings = ["a", null], Map = new() { [1] = [new GraphPoint(1, 1)] }, Price = new GraphMoney(1m, "EUR"), Shapes = [new GraphCircle(), null, new GraphSquare()],
        };
        var customer = new GraphCustomerV2 { FullName = "G", Age = 3, Tags = ["a"], Badge = new GraphLeaf("b", 1) };
        customer.Referrer = customer;
        var order = new GraphOrderV2(1, "tea", 2, customer);
        return
        [
            ("group", s_marshaller.Bytes(group), b => s_marshaller.Read<ContractGroup>(b)),
            ("random graph", s_marshaller.Bytes(graph), b => s_marshaller.Read<GraphNode>(b)),
            ("everything", s_marshaller.Bytes(everything), b => s_marshaller.Read<GraphEverything>(b)),
            ("skewed order", s_v2.Bytes(order), b => s_v1.Read<GraphOrderV1>(b)),
        ];
    }

    [Fact]
    public void Unmarshal_TruncatedAndCorruptedStreams_ThrowOnlyMarshallingException()
    {
        var streams = Streams();
        var failures = new List<string>();
        var stopwatch = Stopwatch.StartNew();
        var total = 0;
        var valid = 0;
        var perStream = Math.Max(1, Cases / streams.Count);
        foreach (var (name, bytes, read) in streams)
        {
            // Every truncation first, then seeded corruptions until this stream's share is used.
            for (var length = 0; length < bytes.Length; length++)
            {
                Run(name, bytes[..length], read, failures, ref valid, expectValid: false);
            }

            var random = new Random(bytes.Length);
            for (var i = bytes.Length; i < perStream; i++)
            {
                Run(name, Corrupt(bytes, random), read, failures, ref valid, expectValid: true);
            }

            total += Math.Max(perStream, bytes.Length);
            Run(name, bytes, read, failures, ref valid, expectValid: true);
        }

        output.WriteLine($"most allocated by one case: {s_maxAllocated} bytes");
        output.WriteLine($"{total} cases over {streams.Count} streams ({string.Join(", ", streams.Select(s => $"{s.Name} {s.Bytes.Length} B"))}): {valid} read as valid values, {stopwatch.Elapsed.TotalSeconds:0.0} s");
        total.Should().BeGreaterThanOrEqualTo(Cases);
        failures.Should().BeEmpty();
    }

    private static void Run(string name, byte[] bytes, Action<byte[]> read, List<string> failures, ref int valid, bool expectValid)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            read(bytes);
            valid++;
            if (!expectValid)
            {
                failures.Add($"{name}: a truncated stream of {bytes.Length} bytes was accepted");
            }
        }
        catch (MarshallingException)
        {
        }
        catch (Exception ex)
        {
            failures.Add($"{name}: {Convert.ToHexString(bytes)}: {ex.GetType().Name}: {ex.Message}");
        }

        // Work is bounded by the reader's limits, not by the clock: a case that allocates far beyond its input (an
        // amplification the memory budget missed) fails deterministically, however loaded the machine is.
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        s_maxAllocated = Math.Max(s_maxAllocated, allocated);
        if (allocated > MaxAllocatedPerCase)
        {
            failures.Add($"{name}: {Convert.ToHexString(bytes)} allocated {allocated} bytes");
        }
    }

    private static byte[] Corrupt(byte[] original, Random random)
    {
        var bytes = original.ToList();
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    bytes[at] = s_interesting[random.Next(s_interesting.Length)];
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 4:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(4)));
                    break;
                default:
                    // Splice: repeat a slice elsewhere (repeated descriptors, references, members).
                    var from = random.Next(bytes.Count);
                    var slice = bytes.GetRange(from, Math.Min(bytes.Count - from, 1 + random.Next(16)));
                    bytes.InsertRange(at, slice);
                    break;
            }
        }

        return [.. bytes];
    }

    [Fact]
    public void Unmarshal_EveryTruncationFragmented_ThrowsMarshallingException()
    {
        var bytes = s_marshaller.Bytes(new ContractGroup("g", [new Person("Smith", "London", 1934)], 1));

        for (var length = 0; length < bytes.Length; length++)
        {
            var fragmented = GraphTestHelpers.Fragmented(bytes[..length]);
            FluentActions.Invoking(() => s_marshaller.Unmarshal<ContractGroup>(fragmented)).Should().Throw<MarshallingException>();
        }

        s_marshaller.Unmarshal<ContractGroup>(GraphTestHelpers.Fragmented(bytes)).Title.Should().Be("g");
    }

    [Fact]
    public void Unmarshal_RandomBytesAfterAValidHeader_ThrowOnlyMarshallingException()
    {
        var random = new Random(11);
        var prefix = s_marshaller.Bytes(new GraphNode())[..4];
        var failures = new List<string>();
        var valid = 0;
        for (var i = 0; i < 5_000; i++)
        {
            var tail = new byte[random.Next(1, 64)];
            random.NextBytes(tail);
            Run("random", [.. prefix, .. tail], b => s_marshaller.Unmarshal<GraphNode>(new ReadOnlySequence<byte>(b)), failures, ref valid, expectValid: true);
        }

        failures.Should().BeEmpty();
    }
}
