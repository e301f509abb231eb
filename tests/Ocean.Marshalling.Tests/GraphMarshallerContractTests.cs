using System.Buffers;

namespace Ocean.Marshalling.Tests;

/// <summary>The marshaller contract for the object-graph marshaller, with the contract's types registered.</summary>
public sealed class GraphMarshallerContractTests : MarshallerContractTests
{
    private static readonly GraphMarshaller s_marshaller = new(Registry());

    [Fact]
    public void Surrogates_SameObjectTwiceInAMessage_IsReplacedOnceAndArrivesAsOneProxy()
    {
        // As Java's replaceObject/resolveObject: once per object per stream, so a callback passed twice (and held
        // by a member) is one proxy on arrival.
        var surrogates = new ContractSurrogates();
        var marshaller = CreateMarshaller(surrogates);
        var callback = new ContractCallback(1);
        var other = new ContractCallback(1);
        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output))
        {
            writer.Write<IContractCallback>(callback);
            writer.Write(new ContractHolder("h", callback, [other, callback], []));
            writer.Write(typeof(IContractCallback), callback);
        }

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory), new MarshallingContext());
        var first = reader.Read<IContractCallback>();
        var holder = reader.Read<ContractHolder>();
        var third = reader.Read(typeof(IContractCallback));

        surrogates.ReplaceContexts.Should().HaveCount(2, "two distinct objects were written");
        surrogates.ResolveContexts.Should().HaveCount(2);
        first.Should().BeOfType<ContractProxy>();
        third.Should().BeSameAs(first);
        holder.Callback.Should().BeSameAs(first);
        holder.Others[1].Should().BeSameAs(first);
        holder.Others[0].Should().NotBeSameAs(first, "an equal but distinct object is another reference");
    }

    [Fact]
    public void Surrogates_SameObjectInTwoMessages_IsReplacedPerMessage()
    {
        var surrogates = new ContractSurrogates();
        var marshaller = CreateMarshaller(surrogates);
        var callback = new ContractCallback(1);

        for (var i = 0; i < 2; i++)
        {
            using var writer = marshaller.CreateWriter(new ArrayBufferWriter<byte>());
            writer.Write<IContractCallback>(callback);
            writer.Write<IContractCallback>(callback);
        }

        surrogates.ReplaceContexts.Should().HaveCount(2);
    }

    [Fact]
    public void Surrogates_SamePrimitiveSurrogatedObjectTwice_IsReplacedOnce()
    {
        var surrogates = new ContractScalarSurrogates(typeof(long));
        var marshaller = CreateMarshaller(surrogates);
        var callback = new ContractCallback(4);
        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output))
        {
            writer.Write<IContractCallback>(callback);
            writer.Write(new ContractHolder("h", callback, [callback], []));
        }

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory));
        reader.Read<IContractCallback>().Id.Should().Be(4);
        reader.Read<ContractHolder>().Others.Should().ContainSingle().Which.Id.Should().Be(4);
        surrogates.Replaced.Should().Be(1);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(typeof(string))]
    public void Surrogates_NullCallbackInAMember_RoundTripsAsNull(Type? surrogateType)
    {
        IMarshallingSurrogateProvider surrogates = surrogateType is null ? new ContractSurrogates() : new ContractScalarSurrogates(surrogateType);
        var marshaller = CreateMarshaller(surrogates);
        var output = new ArrayBufferWriter<byte>();
        marshaller.Marshal(new ContractHolder("h", null!, [null!], []), output);

        var read = marshaller.Unmarshal<ContractHolder>(new ReadOnlySequence<byte>(output.WrittenMemory));

        read.Name.Should().Be("h");
        read.Callback.Should().BeNull();
        read.Others.Should().ContainSingle().Which.Should().BeNull();
    }

    protected override IMarshaller CreateMarshaller() => s_marshaller;

    /// <summary>The surrogate (a class) must be registered; the interface it stands for need not be.</summary>
    protected override IMarshaller CreateMarshaller(IMarshallingSurrogateProvider surrogates) =>
        new GraphMarshaller(Registry(), new GraphMarshallerOptions { SurrogateProvider = surrogates });

    private static GraphTypeRegistry Registry() => new GraphTypeRegistry()
        .Register<Person>("contract.Person")
        .Register<ContractGroup>("contract.Group")
        .Register<ContractConcurrencyItem>("contract.ConcurrencyItem")
        .Register<ContractReference>("contract.Reference")
        .Register<ContractHolder>("contract.Holder");
}
