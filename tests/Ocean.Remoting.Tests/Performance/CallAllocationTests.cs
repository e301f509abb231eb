using System.Net;
using Xunit.Abstractions;

namespace Ocean.Remoting.Tests.Performance;

/// <summary>Bytes allocated per remote call, client and server together (one process, loopback TCP).</summary>
[Collection(CallAllocationCollection.Name)]
public sealed class CallAllocationTests(ITestOutputHelper output)
{
    public interface IAdder
    {
        Task<int> AddAsync(int a, int b);

        ValueTask<int> AddValueAsync(int a, int b);
    }

    private sealed class Adder : IAdder
    {
        private static readonly Task<int> s_three = Task.FromResult(3);

        // A completed task the method does not allocate, so the figure is the library's own.
        public Task<int> AddAsync(int a, int b) => a + b == 3 ? s_three : Task.FromResult(a + b);

        public ValueTask<int> AddValueAsync(int a, int b) => new(a + b);
    }

    [Fact]
    public async Task A_call_allocates_a_bounded_number_of_bytes_on_both_sides_together()
    {
        await using var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Export<IAdder>(new Adder(), "adder");
        await server.StartAsync();
        await using var client = await RemotingClient.ConnectAsync(server.EndPoint);
        var adder = client.GetProxy<IAdder>("adder");

        for (var i = 0; i < 2_000; i++)
        {
            (await adder.AddAsync(1, 2)).Should().Be(3);
            (await adder.AddValueAsync(1, 2)).Should().Be(3);
        }

        // The counter is process-wide: the least of three rounds keeps stray work (a timer, a pool thread starting)
        // out of the figure, while an allocation on the call path shows in every round.
        const int Calls = 3_000;
        double task = double.MaxValue, valueTask = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Calls; i++)
            {
                await adder.AddAsync(1, 2);
            }

            task = Math.Min(task, (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Calls);
            before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Calls; i++)
            {
                await adder.AddValueAsync(1, 2);
            }

            valueTask = Math.Min(valueTask, (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Calls);
        }
        output.WriteLine($"Task<int> AddAsync: {task:F0} B per call; ValueTask<int>: {valueTask:F0} B per call (client and server)");
        task.Should().BeLessThan(400, "issue 12's floor: at most 400 B per call on client and server together");
        valueTask.Should().BeLessThan(400);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CallAllocationCollection
{
    public const string Name = "Call allocation (process-wide allocation counter)";
}
