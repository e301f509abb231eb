namespace Ocean.Marshalling.Tests;

/// <summary>The marshaller contract for the object-graph marshaller, with the contract's types registered.</summary>
public sealed class GraphMarshallerContractTests : MarshallerContractTests
{
    private static readonly GraphMarshaller s_marshaller = new(new GraphTypeRegistry()
        .Register<Person>("contract.Person")
        .Register<ContractGroup>("contract.Group")
        .Register<ContractConcurrencyItem>("contract.ConcurrencyItem"));

    protected override IMarshaller CreateMarshaller() => s_marshaller;
}
