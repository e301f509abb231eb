using System.Buffers;
using System.Reflection;
using System.Reflection.Emit;
using Ocean.Framing;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Calls;

/// <summary>Each failure gets its own status and completion; none of them breaks the connection.</summary>
public sealed class ErrorTests
{
    private static readonly TimeSpan Timeout = Loopback.Timeout;

    private static async Task<RemotingException> FailsAsync(Func<Task> call)
    {
        var thrown = await call.Should().ThrowAsync<RemotingException>();
        return thrown.Which;
    }

    private static async Task StillWorksAsync(IFaulty faulty, int value = 41) =>
        (await faulty.OkAsync(value).WaitAsync(Timeout)).Should().Be(value, "the connection keeps serving after the error");

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task Unknown_object_is_UnknownObject_not_executed(Link link)
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IFaulty>(new Faulty(), "faulty"), link);
        var missing = loop.Proxy<IFaulty>("nobody-home");

        var e = await FailsAsync(() => missing.OkAsync(1).WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.UnknownObject);
        e.Completion.Should().Be(CompletionStatus.No);
        e.Message.Should().Contain("nobody-home");

        await StillWorksAsync(loop.Proxy<IFaulty>("faulty"));
    }

    [Fact]
    public async Task Unexported_object_becomes_UnknownObject()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IFaulty>(new Faulty(), "faulty"));
        var faulty = loop.Proxy<IFaulty>("faulty");
        await StillWorksAsync(faulty);
        loop.Server.Unexport("faulty").Should().BeTrue();

        var e = await FailsAsync(() => faulty.OkAsync(1).WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.UnknownObject);
        e.Completion.Should().Be(CompletionStatus.No);
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_client_interface_that_differs_from_the_servers_gets_UnknownMethod(Link link)
    {
        var faulty = new Faulty();
        await using var loop = await Loopback.StartAsync(s => s.Export<IFaulty>(faulty, "faulty"), link);

        // Another build of IFaulty: the same full name, one method identical, one with another parameter type, one extra.
        var evolved = EmitEvolvedFaulty();
        evolved.FullName.Should().Be(typeof(IFaulty).FullName);
        var proxy = typeof(RemotingClient).GetMethod(nameof(RemotingClient.GetProxy), [typeof(string)])!.MakeGenericMethod(evolved).Invoke(loop.Client, ["faulty"])!;

        Task<int> Call(string name, Type parameter, object argument) =>
            (Task<int>)evolved.GetMethod(name, [parameter])!.Invoke(proxy, [argument])!;

        (await Call("OkAsync", typeof(int), 5).WaitAsync(Timeout)).Should().Be(5, "the same signature has the same id in any build");

        var changed = await FailsAsync(() => Call("OkAsync", typeof(long), 5L).WaitAsync(Timeout));
        changed.Status.Should().Be(RemotingStatus.UnknownMethod);
        changed.Completion.Should().Be(CompletionStatus.No);

        var extra = await FailsAsync(() => Call("MissingAsync", typeof(int), 5).WaitAsync(Timeout));
        extra.Status.Should().Be(RemotingStatus.UnknownMethod);
        extra.Completion.Should().Be(CompletionStatus.No);
        extra.Message.Should().Contain("faulty");

        await StillWorksAsync(loop.Proxy<IFaulty>("faulty"));
    }

    [Fact]
    public async Task Another_interface_on_the_same_object_gets_UnknownMethod()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IFaulty>(new Faulty(), "faulty"));
        var wrong = loop.Proxy<ICalculator>("faulty");

        var e = await FailsAsync(() => wrong.AddAsync(1, 2).WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.UnknownMethod);
        e.Completion.Should().Be(CompletionStatus.No);
        await StillWorksAsync(loop.Proxy<IFaulty>("faulty"));
    }

    [Theory]
    [InlineData(Link.InMemory)]
    [InlineData(Link.Tcp)]
    public async Task A_method_that_throws_is_ApplicationException_executed_with_type_and_message(Link link)
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<IFaulty>(new Faulty(), "faulty"), link);
        var faulty = loop.Proxy<IFaulty>("faulty");

        var e = await FailsAsync(() => faulty.ThrowAsync("the probe failed: ünïcode").WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.ApplicationException);
        e.Completion.Should().Be(CompletionStatus.Yes);
        e.RemoteTypeName.Should().Be(typeof(ProbeFailedException).FullName);
        e.Message.Should().Contain("the probe failed: ünïcode");
        e.RemoteStackText.Should().BeNull("detailed errors are off by default");

        // a synchronous method throwing synchronously
        var sync = ((Action)(() => faulty.ThrowNow("sync failure"))).Should().Throw<RemotingException>().Which;
        sync.Status.Should().Be(RemotingStatus.ApplicationException);
        sync.Completion.Should().Be(CompletionStatus.Yes);
        sync.RemoteTypeName.Should().Be(typeof(InvalidOperationException).FullName);
        sync.Message.Should().Contain("sync failure");

        await StillWorksAsync(faulty);
    }

    [Fact]
    public async Task Detailed_errors_carry_the_servers_stack_text()
    {
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IFaulty>(new Faulty(), "faulty"),
            serverOptions: new RemotingServerOptions { EnableDetailedErrors = true });
        var faulty = loop.Proxy<IFaulty>("faulty");

        var e = await FailsAsync(() => faulty.ThrowAsync("with stack").WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.ApplicationException);
        e.Completion.Should().Be(CompletionStatus.Yes);
        e.RemoteTypeName.Should().Be(typeof(ProbeFailedException).FullName);
        e.RemoteStackText.Should().NotBeNull().And.Contain(nameof(Faulty.ThrowAsync)).And.Contain("with stack");
        await StillWorksAsync(faulty);
    }

    [Fact]
    public async Task A_division_by_zero_reaches_the_caller_as_its_type()
    {
        await using var loop = await Loopback.StartAsync(s => s.Export<ICalculator>(new Calculator(), "calc"));
        var calc = loop.Proxy<ICalculator>("calc");

        // DivideAsync throws before returning a task (not an async method)
        var e = await FailsAsync(() => calc.DivideAsync(1, 0).WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.ApplicationException);
        e.Completion.Should().Be(CompletionStatus.Yes);
        e.RemoteTypeName.Should().Be(typeof(DivideByZeroException).FullName);
        (await calc.DivideAsync(9, 3).WaitAsync(Timeout)).Should().Be(3);
    }

    [Fact]
    public async Task A_result_that_cannot_be_marshalled_is_Internal_executed()
    {
        var faulty = new Faulty();
        await using var loop = await Loopback.StartAsync(s => s.Export<IFaulty>(faulty, "faulty"));
        var proxy = loop.Proxy<IFaulty>("faulty");

        var e = await FailsAsync(() => proxy.NullTextAsync().WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.Internal);
        e.Completion.Should().Be(CompletionStatus.Yes, "the method ran; only its result could not be sent");
        faulty.NullTextCalls.Should().Be(1);
        await StillWorksAsync(proxy);
    }

    [Fact]
    public async Task Arguments_that_cannot_be_marshalled_fail_locally_with_BadArguments_not_executed()
    {
        var calculator = new Calculator();
        await using var loop = await Loopback.StartAsync(s => s.Export<ICalculator>(calculator, "calc"));
        var calc = loop.Proxy<ICalculator>("calc");

        var e = await FailsAsync(() => calc.EchoAsync(null!).WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.BadArguments);
        e.Completion.Should().Be(CompletionStatus.No);
        (await calc.AddAsync(1, 1).WaitAsync(Timeout)).Should().Be(2);
    }

    [Fact]
    public async Task Busy_when_the_per_connection_limit_is_reached_and_the_method_does_not_run()
    {
        var faulty = new Faulty();
        await using var loop = await Loopback.StartAsync(
            s => s.Export<IFaulty>(faulty, "faulty"),
            serverOptions: new RemotingServerOptions { MaxConcurrentCallsPerConnection = 2 });
        var proxy = loop.Proxy<IFaulty>("faulty");

        var first = proxy.GateAsync(1);
        var second = proxy.GateAsync(2);
        await faulty.TwoInside.Task.WaitAsync(Timeout);

        var e = await FailsAsync(() => proxy.GateAsync(3).WaitAsync(Timeout));
        e.Status.Should().Be(RemotingStatus.Busy);
        e.Completion.Should().Be(CompletionStatus.No);
        faulty.GateIds.Should().BeEquivalentTo([1, 2], "the refused call never ran");
        first.IsCompleted.Should().BeFalse();

        faulty.Gate.SetResult();
        (await first.WaitAsync(Timeout)).Should().Be(1);
        (await second.WaitAsync(Timeout)).Should().Be(2);
        await StillWorksAsync(proxy);
    }

    [Fact]
    public async Task Arguments_that_do_not_unmarshal_on_the_server_are_BadArguments_not_executed()
    {
        var calculator = new Calculator();
        var server = new RemotingServer();
        server.Export<ICalculator>(calculator, "calc");
        var (first, second) = MessageConnection.CreatePair();
        var serving = server.ServeAsync(second);
        await using (first)
        await using (server) // the server first: disposing it after its peer has gone throws today (ShutdownOrderTests)
        {
            // the preamble, as the first message each way
            var hello = new byte[Preamble.Length];
            PreambleCodec.Write(hello, Preamble.Hello(MarshallerId.CdrBigEndian, 1 << 20, 0));
            await first.SendAsync(hello).AsTask().WaitAsync(Timeout);
            var answer = await first.ReceiveAsync().AsTask().WaitAsync(Timeout);
            answer.Message.Length.Should().Be(Preamble.Length);

            var addId = MethodSignature.ComputeId(typeof(ICalculator).GetMethod(nameof(ICalculator.AddAsync))!);
            var echoId = MethodSignature.ComputeId(typeof(ICalculator).GetMethod(nameof(ICalculator.EchoAsync))!);

            // AddAsync(int, int) with 3 bytes: too short for one CDR long
            var reply = await CallRawAsync(first, 1, addId, [0x00, 0x00, 0x01]);
            reply.Status.Should().Be(RemotingStatus.BadArguments);
            reply.Completion.Should().Be(CompletionStatus.No);

            // AddAsync with 12 bytes: the two ints and 4 bytes left over
            reply = await CallRawAsync(first, 2, addId, [0, 0, 0, 2, 0, 0, 0, 3, 0xDE, 0xAD, 0xBE, 0xEF]);
            reply.Status.Should().Be(RemotingStatus.BadArguments);
            reply.Completion.Should().Be(CompletionStatus.No);

            // EchoAsync(string) claiming a 2^31-byte string
            reply = await CallRawAsync(first, 3, echoId, [0x7F, 0xFF, 0xFF, 0xFF, 0x41, 0x00]);
            reply.Status.Should().Be(RemotingStatus.BadArguments);
            reply.Completion.Should().Be(CompletionStatus.No);

            calculator.Calls.Should().Be(0, "no call with bad arguments ran");

            // the same connection still serves a well-formed call
            reply = await CallRawAsync(first, 4, addId, [0, 0, 0, 2, 0, 0, 0, 3]);
            reply.Status.Should().Be(RemotingStatus.Ok);
            CdrMarshaller.Default.Unmarshal<int>(reply.ResultBytes).Should().Be(5);
            calculator.Calls.Should().Be(1);
        }

        await serving.WaitAsync(Timeout);
    }

    private sealed record RawReply(RemotingStatus Status, CompletionStatus Completion, ReadOnlySequence<byte> ResultBytes, string? Message);

    private static async Task<RawReply> CallRawAsync(MessageConnection connection, uint requestId, ulong methodId, byte[] arguments)
    {
        await connection.SendAsync(
            (requestId, methodId, arguments),
            static (s, output) =>
            {
                MessageEncoder.WriteRequestHeader(output, s.requestId, RequestFlags.None, s.methodId, 0, "calc", null, ProtocolLimits.Default);
                output.Write(s.arguments);
            }).AsTask().WaitAsync(Timeout);
        var received = await connection.ReceiveAsync().AsTask().WaitAsync(Timeout);
        received.IsCompleted.Should().BeFalse();
        var reply = MessageDecoder.ReadReply(received.Message, ProtocolLimits.Default);
        reply.RequestId.Should().Be(requestId);
        return new RawReply(reply.Status, reply.Completion, new ReadOnlySequence<byte>(reply.Result.ToArray()), reply.ErrorMessage);
    }

    private static Type EmitEvolvedFaulty()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Ocean.Remoting.Tests.Emitted.Faulty." + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("main");
        var type = module.DefineType(typeof(IFaulty).FullName!, TypeAttributes.Public | TypeAttributes.Interface | TypeAttributes.Abstract);
        foreach (var (name, parameter) in new[] { ("OkAsync", typeof(int)), ("OkAsync", typeof(long)), ("MissingAsync", typeof(int)) })
        {
            type.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Abstract | MethodAttributes.Virtual | MethodAttributes.HideBySig | MethodAttributes.NewSlot, typeof(Task<int>), [parameter]);
        }

        return type.CreateType();
    }
}
