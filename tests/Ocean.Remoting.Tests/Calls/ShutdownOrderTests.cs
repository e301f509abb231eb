using System.Net;
using Ocean.Framing;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>Disposing a server after its clients have disconnected.</summary>
public sealed class ShutdownOrderTests
{
    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_server_disposes_cleanly_after_its_client_has_gone(Link link)
    {
        for (var round = 0; round < 20; round++)
        {
            RemotingServer server;
            RemotingClient client;
            Task? serving = null;
            if (link == Link.Tcp)
            {
                server = new RemotingServer(new IPEndPoint(IPAddress.Loopback, 0));
                server.Export<ICalculator>(new Calculator(), "calc");
                await server.StartAsync().WaitAsync(Loopback.Timeout);
                client = await RemotingClient.ConnectAsync(server.EndPoint).WaitAsync(Loopback.Timeout);
            }
            else
            {
                server = new RemotingServer();
                server.Export<ICalculator>(new Calculator(), "calc");
                var (first, second) = MessageConnection.CreatePair();
                serving = server.ServeAsync(second);
                client = await RemotingClient.ConnectAsync(first).WaitAsync(Loopback.Timeout);
            }

            (await client.GetProxy<ICalculator>("calc").AddAsync(round, 1).WaitAsync(Loopback.Timeout)).Should().Be(round + 1);
            await client.DisposeAsync().AsTask().WaitAsync(Loopback.Timeout);
            await server.DisposeAsync().AsTask().WaitAsync(Loopback.Timeout);
            if (serving is not null)
            {
                await serving.WaitAsync(Loopback.Timeout);
            }
        }
    }
}
