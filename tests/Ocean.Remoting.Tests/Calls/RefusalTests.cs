using System.Reflection;
using Ocean.Marshalling;
using Ocean.Remoting.Tests.Calls.Refused;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>What cannot be remoted is refused when the proxy is made or the object exported, with a message naming the member.</summary>
public sealed class RefusalTests
{
    public static TheoryData<Type, object, Type, string> Refused() => new()
    {
        { typeof(IRefParam), new RefParam(), typeof(NotSupportedException), "*IRefParam.Take*'ref'*" },
        { typeof(IOutParam), new OutParam(), typeof(NotSupportedException), "*IOutParam.Take*'out'*" },
        { typeof(IInParam), new InParam(), typeof(NotSupportedException), "*IInParam.Take*'in'*" },
        { typeof(IPointerParam), new PointerParam(), typeof(NotSupportedException), "*IPointerParam.Take*pointer*" },
        { typeof(ISpanParam), new SpanParam(), typeof(NotSupportedException), "*ISpanParam.Take*span*" },
        { typeof(IReadOnlySpanParam), new ReadOnlySpanParam(), typeof(NotSupportedException), "*IReadOnlySpanParam.Take*span*" },
        { typeof(IGenericMethod), new GenericMethod(), typeof(NotSupportedException), "*IGenericMethod.Take*generic*" },
        { typeof(IStreaming), new Streaming(), typeof(NotSupportedException), "*IStreaming.Take*IAsyncEnumerable*" },
        { typeof(IEvented), new Evented(), typeof(NotSupportedException), "*IEvented.Changed*event*" },
        { typeof(IDelegateParam), new DelegateParam(), typeof(NotSupportedException), "*IDelegateParam.Take*System.Action*cdr*" },
        { typeof(IObjectResult), new ObjectResult(), typeof(NotSupportedException), "*IObjectResult.Take*System.Object*cdr*" },
        { typeof(ICollidingByText), new CollidingByText(), typeof(InvalidOperationException), "*ICollidingByText.Take(System.Int32):System.Int32*" },
        { typeof(IInheritsRefused), new InheritsRefused(), typeof(NotSupportedException), "*IInheritsRefused*IRefParam.Take*'ref'*" },
        { typeof(Calculator), new Calculator(), typeof(ArgumentException), "*Calculator is not an interface*" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task GetProxy_refuses_at_once(Type type, object instance, Type expected, string message)
    {
        _ = instance;
        await using var loop = await Loopback.StartAsync(_ => { });
        var getProxy = typeof(RemotingClient).GetMethod(nameof(RemotingClient.GetProxy), [typeof(string)])!.MakeGenericMethod(type);

        var thrown = Unwrap(() => getProxy.Invoke(loop.Client, ["target"]));
        thrown.Should().BeOfType(expected);
        thrown.Message.Should().Match(message);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Export_refuses_at_once(Type type, object instance, Type expected, string message)
    {
        await using var server = new RemotingServer();
        var export = typeof(RemotingServer).GetMethod(nameof(RemotingServer.Export))!.MakeGenericMethod(type);

        var thrown = Unwrap(() => export.Invoke(server, [instance, "target"]));
        thrown.Should().BeOfType(expected);
        thrown.Message.Should().Match(message);
        server.Unexport("target").Should().BeFalse("nothing was exported");
    }

    [Fact]
    public void A_type_the_graph_registry_lacks_is_refused_naming_the_method()
    {
        var graph = new GraphMarshaller(new GraphTypeRegistry()); // Node not registered
        var server = new RemotingServer(new RemotingServerOptions { Marshaller = graph });
        var act = () => server.Export<IGraphService>(new GraphService(), "graph");
        act.Should().Throw<NotSupportedException>().WithMessage("*IGraphService.SameAsync*Node*graph*");
    }

    [Fact]
    public void Export_refuses_a_name_already_taken_and_bad_names()
    {
        var server = new RemotingServer();
        server.Export<ICalculator>(new Calculator(), "calc");
        ((Action)(() => server.Export<ICalculator>(new Calculator(), "calc"))).Should().Throw<InvalidOperationException>().WithMessage("*calc*");
        ((Action)(() => server.Export<ICalculator>(new Calculator(), ""))).Should().Throw<ArgumentException>();
        ((Action)(() => server.Export<ICalculator>(new Calculator(), new string('x', 256)))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public async Task GetProxy_refuses_bad_names()
    {
        await using var loop = await Loopback.StartAsync(_ => { });
        ((Action)(() => loop.Client.GetProxy<ICalculator>(""))).Should().Throw<ArgumentException>();
        ((Action)(() => loop.Client.GetProxy<ICalculator>(new string('é', 128)))).Should().Throw<ArgumentException>();
    }

    private static Exception Unwrap(Action act)
    {
        try
        {
            act();
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            return e.InnerException;
        }

        throw new InvalidOperationException("Nothing was refused.");
    }
}
