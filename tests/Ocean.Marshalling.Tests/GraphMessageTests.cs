using System.Buffers;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// An object-graph message of several values is one stream with one handle table (as Java RMI writes a call's
/// arguments with one ObjectOutputStream): shared objects and cycles span arguments.
/// </summary>
public sealed class GraphMessageTests
{
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller();

    [Fact]
    public void ObjectInTheFirstAndThirdArgument_ArrivesAsOneInstance()
    {
        var shared = new GraphLeaf("shared", 1);
        var bytes = Write(s_marshaller, w =>
        {
            w.Write(shared);
            w.Write(new GraphLeaf("other", 2));
            w.Write(typeof(GraphLeaf), shared);
        });

        using var reader = s_marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
        var first = reader.Read<GraphLeaf>();
        var second = reader.Read<GraphLeaf>();
        var third = reader.Read(typeof(GraphLeaf));

        first.Should().Be(new GraphLeaf("shared", 1));
        third.Should().BeSameAs(first);
        second.Should().NotBeSameAs(first);
    }

    [Fact]
    public void CycleAcrossArguments_IsRebuilt()
    {
        var a = new GraphRing("a");
        var b = new GraphRing("b") { Next = a };
        a.Next = b;
        var bytes = Write(s_marshaller, w =>
        {
            w.Write(a);
            w.Write(7);
            w.Write(b);
        });

        using var reader = s_marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
        var readA = reader.Read<GraphRing>();
        reader.Read<int>().Should().Be(7);
        var readB = reader.Read<GraphRing>();

        readA.Name.Should().Be("a");
        readA.Next.Should().BeSameAs(readB);
        readB.Next.Should().BeSameAs(readA);
    }

    [Fact]
    public void SecondArgumentNamingTheFirst_IsABackReference()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<Person>("demo.Person"));
        var smith = new Person("Smith", "London", 1934);
        var single = marshaller.Bytes(smith);

        var bytes = Write(marshaller, w =>
        {
            w.Write(smith);
            w.Write(5);
            w.Write(smith);
        });

        // The magic once; then each value's signature and the value: the Person as in Marshal, int 5, a reference to handle 0.
        Convert.ToHexString(bytes).Should().Be(Convert.ToHexString(single) + "06" + "05000000" + "10" + "0100");
    }

    [Fact]
    public void ReadingAnotherTypeThanWritten_ThrowsMarshallingException()
    {
        var bytes = Write(s_marshaller, w => w.Write(new GraphLeaf("a", 1)));

        using var reader = s_marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));

        FluentActions.Invoking(() => reader.Read<int>()).Should().Throw<MarshallingException>().WithMessage("*not*");
    }

    [Fact]
    public void NotAGraphStream_IsRefusedWhenTheReaderIsCreated()
    {
        FluentActions.Invoking(() => s_marshaller.CreateReader(new ReadOnlySequence<byte>([1, 2, 3, 4])))
            .Should().Throw<MarshallingException>().WithMessage("*magic*");
    }

    [Fact]
    public void RefusedValue_LeavesNoneOfItsBytesInTheOutput()
    {
        var output = new ArrayBufferWriter<byte>();
        using var writer = s_marshaller.CreateWriter(output);
        writer.Write(1);
        var before = output.WrittenSpan.ToArray();

        // The stranger is found only after the holder's descriptor is written into the scratch buffer.
        FluentActions.Invoking(() => writer.Write(new GraphHoldsStranger { Stranger = new GraphStranger() })).Should().Throw<MarshallingException>();

        output.WrittenSpan.ToArray().Should().Equal(before);
    }

    [Fact]
    public void MaxBytes_CountsOverTheWholeMessage()
    {
        var marshaller = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxBytes = 38 });
        var output = new ArrayBufferWriter<byte>();
        using var writer = marshaller.CreateWriter(output);
        writer.Write("0123456789"); // the magic (3), then signature, length and 10 bytes (12)
        writer.Write("0123456789"); // 27 in all; one more would make 39

        FluentActions.Invoking(() => writer.Write("0123456789")).Should().Throw<MarshallingException>().WithMessage("*38 bytes*");
        output.WrittenCount.Should().Be(27);
    }

    [Fact]
    public void MaxObjects_CountsOverTheWholeMessage()
    {
        var marshaller = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxObjects = 4 });
        var bytes = Write(GraphRegistries.Marshaller(), w =>
        {
            for (var i = 0; i < 3; i++)
            {
                w.Write(new GraphLeaf("a", i)); // a class descriptor, then one object per leaf
            }
        });

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
        reader.Read<GraphLeaf>();
        reader.Read<GraphLeaf>();
        reader.Read<GraphLeaf>();

        using var strict = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxObjects = 3 }).CreateReader(new ReadOnlySequence<byte>(bytes));
        strict.Read<GraphLeaf>();
        strict.Read<GraphLeaf>();
        FluentActions.Invoking(() => strict.Read<GraphLeaf>()).Should().Throw<MarshallingException>().WithMessage("*3*");
    }

    [Fact]
    public void Surrogate_NullCallback_ArrivesAsWhatResolveMakesOfNull()
    {
        var marshaller = new GraphMarshaller(
            new GraphTypeRegistry().Register<ContractReference>("contract.Reference").Register<ContractHolder>("contract.Holder"),
            new GraphMarshallerOptions { SurrogateProvider = new ContractSurrogates() });

        var read = marshaller.RoundTrip(new ContractHolder("h", null!, [null!], []));

        read.Callback.Should().BeNull();
        read.Others.Should().ContainSingle().Which.Should().BeNull();
    }

    [Fact]
    public void Surrogate_NotRegistered_CannotBeMarshalledAndSaysWhy()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<ContractHolder>("contract.Holder"), new GraphMarshallerOptions { SurrogateProvider = new ContractSurrogates() });

        marshaller.CanMarshal(typeof(IContractCallback), out var reason).Should().BeFalse();
        reason.Should().Contain("surrogate").And.Contain(nameof(ContractReference));
        FluentActions.Invoking(() => marshaller.Bytes<IContractCallback>(new ContractCallback(1))).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Surrogate_ShapesTheDescriptorOfAClassThatHoldsIt()
    {
        // The member's signature is the surrogate's: a reader that knows only ContractReference reads the member.
        var withProvider = new GraphMarshaller(
            new GraphTypeRegistry().Register<ContractReference>("contract.Reference").Register<ContractHolder>("contract.Holder"),
            new GraphMarshallerOptions { SurrogateProvider = new ContractSurrogates() });
        var bytes = withProvider.Bytes(new ContractHolder("h", new ContractCallback(3), [], []));

        var read = withProvider.Read<ContractHolder>(bytes);

        read.Callback.Should().BeOfType<ContractProxy>().Which.Id.Should().Be(3);
        Convert.ToHexString(bytes).Should().Contain(Convert.ToHexString("contract.Reference"u8));
    }

    [Fact]
    public void Surrogate_ThatIsSubstitutedItself_IsRefused()
    {
        var marshaller = new GraphMarshaller(
            new GraphTypeRegistry().Register<ContractReference>("contract.Reference").Register<Person>("contract.Person"),
            new GraphMarshallerOptions { SurrogateProvider = new ChainedSurrogates() });

        marshaller.CanMarshal(typeof(IContractCallback), out var reason).Should().BeFalse();
        reason.Should().Contain("substituted itself");
        FluentActions.Invoking(() => marshaller.Marshal<IContractCallback>(new ContractCallback(1), new ArrayBufferWriter<byte>()))
            .Should().Throw<MarshallingException>().WithMessage("*substituted itself*");
    }

    private static byte[] Write(IMarshaller marshaller, Action<MarshallingWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output))
        {
            write(writer);
        }

        return output.WrittenSpan.ToArray();
    }

    private sealed class ChainedSurrogates : IMarshallingSurrogateProvider
    {
        public Type? GetSurrogateType(Type declaredType) =>
            declaredType == typeof(IContractCallback) ? typeof(ContractReference) : declaredType == typeof(ContractReference) ? typeof(Person) : null;

        public object? Replace(object? value, Type declaredType, MarshallingContext? context) => value;

        public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context) => surrogate;
    }
}
