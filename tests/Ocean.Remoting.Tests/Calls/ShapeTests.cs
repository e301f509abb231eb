using Ocean.Marshalling;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>Every supported method shape, through both marshallers and both links.</summary>
public sealed class ShapeTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    public static TheoryData<Link, string> Links() => new()
    {
        { Link.InMemory, "cdr" },
        { Link.InMemory, "graph" },
        { Link.Tcp, "cdr" },
        { Link.Tcp, "graph" },
    };

    private static Task<Loopback> StartAsync(Link link, string marshaller, Action<RemotingServer> export)
    {
        IMarshaller? chosen = marshaller == "graph" ? Loopback.NewGraphMarshaller() : null;
        return Loopback.StartAsync(export, link, new RemotingServerOptions { Marshaller = chosen }, new RemotingClientOptions { Marshaller = chosen });
    }

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Every_shape_returns_its_result(Link link, string marshaller)
    {
        var calculator = new Calculator();
        await using var loop = await StartAsync(link, marshaller, s => s.Export<ICalculator>(calculator, "calc"));
        var calc = loop.Proxy<ICalculator>("calc");

        // Task<T>
        (await calc.AddAsync(2, 3).WaitAsync(Timeout)).Should().Be(5);
        (await calc.EchoAsync("héllo wörld").WaitAsync(Timeout)).Should().Be("héllo wörld");

        // ValueTask<T>
        (await calc.MultiplyAsync(6_000_000_000, 7).AsTask().WaitAsync(Timeout)).Should().Be(42_000_000_000);

        // Task (no result): the server's state changed before the task completed
        await calc.RecordAsync(10).WaitAsync(Timeout);
        await calc.RecordAsync(5).WaitAsync(Timeout);
        calculator.Total.Should().Be(15);

        // property getter (synchronous)
        calc.Total.Should().Be(15);

        // ValueTask (no result)
        await calc.ResetAsync().AsTask().WaitAsync(Timeout);
        calculator.Total.Should().Be(0);

        // synchronous with a result, and void
        calc.Negate(4).Should().Be(-4);
        await calc.RecordAsync(3).WaitAsync(Timeout);
        calc.Clear();
        calculator.Total.Should().Be(0);

        // overloads: same name, different ids
        calc.Sum([1.5, 2.5, 3.0]).Should().Be(7.0);
        calc.Sum(1.0, 2.0).Should().Be(3.0);
    }

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Inherited_methods_properties_and_overloads_reach_the_object(Link link, string marshaller)
    {
        var greeter = new Greeter();
        await using var loop = await StartAsync(link, marshaller, s => s.Export<IGreeter>(greeter, "greeter"));
        var proxy = loop.Proxy<IGreeter>("greeter");

        // declared on the base interface
        (await proxy.NameAsync().WaitAsync(Timeout)).Should().Be("greeter");
        proxy.Prefix.Should().Be("Hello");
        proxy.Prefix = "Hi";
        greeter.Prefix.Should().Be("Hi", "the property setter ran on the server");
        proxy.Prefix.Should().Be("Hi");

        // the base interface's methods also through a proxy of the base interface (same ids)
        var asBase = loop.Proxy<INamed>("greeter");
        (await asBase.NameAsync().WaitAsync(Timeout)).Should().Be("greeter");

        (await proxy.GreetAsync("Ann").WaitAsync(Timeout)).Should().Be("Hi, Ann");
        proxy.Greet("Bob", 2).Should().Be("Hi, Bob Hi, Bob");
        proxy.Greet(7).Should().Be("Hi, #7");
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task Graph_marshaller_keeps_shared_references_across_arguments(Link link)
    {
        await using var loop = await StartAsync(link, "graph", s => s.Export<IGraphService>(new GraphService(), "graph"));
        var graph = loop.Proxy<IGraphService>("graph");

        var node = new Node { Value = 1 };
        (await graph.SameAsync(node, node).WaitAsync(Timeout)).Should().BeTrue("one object passed as two arguments arrives as one object");
        (await graph.SameAsync(node, new Node { Value = 1 }).WaitAsync(Timeout)).Should().BeFalse("two equal objects stay two objects");

        // a cycle inside one argument
        var a = new Node { Value = 1 };
        var b = new Node { Value = 2, Next = a };
        var c = new Node { Value = 4, Next = b };
        a.Next = c;
        (await graph.SumRingAsync(a).AsTask().WaitAsync(Timeout)).Should().Be(7);

        // shared references in a result (synchronous method)
        var pair = graph.MakeSharedPair(9);
        pair.Left.Should().NotBeNull();
        pair.Left!.Value.Should().Be(9);
        pair.Left.Should().BeSameAs(pair.Right);
    }
}
