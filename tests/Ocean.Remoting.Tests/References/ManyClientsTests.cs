using System.Globalization;

namespace Ocean.Remoting.Tests.References;

/// <summary>Twenty clients, each with a callback registered on one server, hear each other's messages in order per sender.</summary>
public sealed class ManyClientsTests
{
    private const int Clients = 20;
    private const int Messages = 15;

    [Theory]
    [InlineData(RefKit.Cdr, true)]
    [InlineData(RefKit.Graph, true)]
    [InlineData(RefKit.Cdr, false)]
    public async Task Twenty_clients_hear_every_senders_messages_in_order(string marshaller, bool inlineDispatch)
    {
        await using var rig = new Rig();
        var server = await rig.ServerAsync(s => s.Export<IChatRoom>(new ChatRoom(), "room"), RefKit.ServerOptions(marshaller, inlineDispatch));
        var clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => rig.ClientAsync(server, marshaller))).WaitAsync(RefKit.Timeout);
        var listeners = Enumerable.Range(0, Clients).Select(_ => new ChatListener(Clients * Messages)).ToArray();
        var names = Enumerable.Range(0, Clients).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var rooms = clients.Select(c => c.GetProxy<IChatRoom>("room")).ToArray();

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => rooms[i].JoinAsync(names[i], listeners[i]))).WaitAsync(RefKit.Timeout);
        server.ActiveConnections.Should().Be(Clients);

        // Every client sends its numbered messages one after another, all clients at once.
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async i =>
        {
            for (var n = 1; n <= Messages; n++)
            {
                await rooms[i].SayAsync(names[i], n);
            }
        })).WaitAsync(TestTimeouts.Load);

        await Task.WhenAll(listeners.Select(l => l.AllHeard)).WaitAsync(RefKit.Timeout);
        var expected = Enumerable.Range(1, Messages).ToList();
        foreach (var listener in listeners)
        {
            var heard = listener.Snapshot();
            heard.Keys.Should().BeEquivalentTo(names);
            foreach (var name in names)
            {
                heard[name].Should().Equal(expected, "{0}'s messages arrive in the order sent", name);
            }
        }
    }
}
