namespace Ocean.Marshalling.Tests;

/// <summary>The marshaller contract for the object-graph marshaller, with the contract's types registered.</summary>
public sealed class GraphMarshallerContractTests : MarshallerContractTests
{
    private static readonly GraphMarshaller s_marshaller = new(Registry());

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
