using System.Net;

namespace Ocean.Remoting.Tests.Calls;

public sealed class BasicCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Calls_over_loopback_tcp_return_results()
    {
        var calculator = new Calculator();
        var server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Export<ICalculator>(calculator, "calculator");
        await server.StartAsync();
        var client = await RemotingClient.ConnectAsync(server.EndPoint);

        // The server is disposed first: disposing it after its client has gone throws today (ShutdownOrderTests).
        await using var clientScope = client;
        await using var serverScope = server;
        var calc = client.GetProxy<ICalculator>("calculator");

        (await calc.AddAsync(2, 3).WaitAsync(Timeout)).Should().Be(5);
        (await calc.EchoAsync("héllo").WaitAsync(Timeout)).Should().Be("héllo");
        (await calc.MultiplyAsync(6, 7).AsTask().WaitAsync(Timeout)).Should().Be(42);
        await calc.RecordAsync(10).WaitAsync(Timeout);
        calc.Total.Should().Be(10);
        calc.Negate(4).Should().Be(-4);
        calc.Sum([1.5, 2.5]).Should().Be(4.0);
        calc.Sum(1.0, 2.0).Should().Be(3.0);
        calc.Clear();
        calc.Total.Should().Be(0);
    }
}
