namespace Ocean.Marshalling.Tests;

/// <summary>A struct whose wire minimum (one byte) says little about its size in memory (256 bytes).</summary>
public readonly record struct GraphWideStruct(
    decimal A, decimal B, decimal C, decimal D, decimal E, decimal F, decimal G, decimal H,
    decimal I, decimal J, decimal K, decimal L, decimal M, decimal N, decimal O, decimal P);

public sealed class GraphAllocationBoundTests
{
    [Fact]
    public void Unmarshal_ClaimedArrayOfWideStructs_RefusedBeforeAllocatingForTheClaim()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<GraphWideStruct>("test.WideStruct"));

        // Header, signature "array of struct", a new array claiming 1,000,000 elements, then 1 MB of zeros.
        var bytes = new byte[] { 0x4F, 0x47, 0x01, 0x11, 0x15, 0x02, 0xC0, 0x84, 0x3D }.Concat(new byte[1_000_000]).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();

        FluentActions.Invoking(() => marshaller.Read<GraphWideStruct[]>(bytes)).Should().Throw<MarshallingException>();

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(32L * 1024 * 1024, "the allocation is bounded by the input, not by the claim (256 MB)");
    }
}
