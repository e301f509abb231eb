namespace Ocean.Remoting.Tests.Calls;

/// <summary>Many calls in flight on one connection, each reply matched to its own caller.</summary>
public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task Ten_thousand_calls_from_16_callers_on_one_connection_are_all_matched(Link link)
    {
        const int Callers = 16;
        const int Total = 10_000;
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(s => s.Export<ICalculator>(calculator, "calc"), link);
        var calc = loop.Proxy<ICalculator>("calc");
        var wrong = 0;

        var callers = Enumerable.Range(0, Callers).Select(callerId => Task.Run(async () =>
        {
            var checkedCalls = 0;
            for (var i = callerId; i < Total; i += Callers)
            {
                // a result unique to (caller, i): a reply given to the wrong caller cannot pass
                var sum = await calc.AddAsync(callerId * 1_000_000, i);
                if (sum != (callerId * 1_000_000) + i)
                {
                    Interlocked.Increment(ref wrong);
                }

                if (i % 7 == 0)
                {
                    var text = $"{callerId}:{i}";
                    if (await calc.EchoAsync(text) != text)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }

                checkedCalls++;
            }

            return checkedCalls;
        })).ToArray();

        var counts = await Task.WhenAll(callers).WaitAsync(TestTimeouts.Load);
        counts.Sum().Should().Be(Total);
        wrong.Should().Be(0);
        calculator.Calls.Should().Be(Total, "every AddAsync ran exactly once");
        loop.Server.ActiveConnections.Should().Be(1, "all callers shared one connection");
    }
}
