using Ocean.Remoting.Internal.Leases;
using Ocean.Remoting.Tests.Calls;

namespace Ocean.Remoting.Tests.Leases;

public sealed class DgcWireProbeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dgc_round_trips(bool graph)
    {
        var fake = new Probe();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IDistributedGc>(fake, "ocean.dgc"),
            serverOptions: new RemotingServerOptions { Marshaller = graph ? Loopback.NewGraphMarshaller() : null },
            clientOptions: new RemotingClientOptions { Marshaller = graph ? Loopback.NewGraphMarshaller() : null });
        var dgc = loop.Proxy<IDistributedGc>("ocean.dgc");
        (await dgc.DirtyAsync("h", 5, "inc", [1, ulong.MaxValue]).WaitAsync(TestTimeouts.Operation)).Should().Be(7);
        fake.Last.Should().Equal(1UL, ulong.MaxValue);
    }

    private sealed class Probe : IDistributedGc
    {
        public ulong[]? Last { get; private set; }

        public Task<long> DirtyAsync(string holder, long sequence, string incarnation, ulong[] objects)
        {
            Last = objects;
            return Task.FromResult(7L);
        }

        public Task CleanAsync(string holder, long sequence, string incarnation, ulong[] objects) => Task.CompletedTask;
    }
}
