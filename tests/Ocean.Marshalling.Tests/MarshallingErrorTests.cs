using System.Buffers;
using Ocean.Framing;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// Every <see cref="MarshallingException"/> names what went wrong in <see cref="MarshallingException.Error"/>:
/// one representative input per kind, for both marshallers where the kind applies to both.
/// </summary>
public sealed class MarshallingErrorTests
{
    private static readonly GraphMarshaller s_graph = GraphRegistries.Marshaller();

    [Fact]
    public void Constructors_WithoutAKind_AreUnspecified_WithAKind_CarryIt()
    {
        var inner = new InvalidOperationException("inner");

        new MarshallingException().Error.Should().Be(MarshallingError.Unspecified);
        new MarshallingException("m").Error.Should().Be(MarshallingError.Unspecified);
        new MarshallingException("m", inner).Error.Should().Be(MarshallingError.Unspecified);

        var kind = new MarshallingException(MarshallingError.Truncated, "short", inner);
        kind.Error.Should().Be(MarshallingError.Truncated);
        kind.Message.Should().Be("short");
        kind.InnerException.Should().BeSameAs(inner);
        new MarshallingException(MarshallingError.Malformed, "bad").InnerException.Should().BeNull();
    }

    [Fact]
    public void Cdr_TruncatedInput_IsTruncated()
    {
        ErrorOf(() => CdrTest.Unmarshal<int>(CdrTest.Bytes("0000"), ByteOrder.BigEndian)).Should().Be(MarshallingError.Truncated);
        ErrorOf(() => CdrTest.Unmarshal<Person>(CdrTest.Bytes("00000006 536d697468"), ByteOrder.BigEndian)).Should().Be(MarshallingError.Truncated);
    }

    [Theory]
    [InlineData("02")]
    [InlineData("ff")]
    public void Cdr_BooleanOtherThanZeroOrOne_IsMalformed(string hex)
    {
        ErrorOf(() => CdrTest.Unmarshal<bool>(CdrTest.Bytes(hex), ByteOrder.BigEndian)).Should().Be(MarshallingError.Malformed);
    }

    [Fact]
    public void Cdr_UnionDiscriminatorSelectingNoBranch_IsMalformed()
    {
        ErrorOf(() => CdrTest.Unmarshal<StrictUnion>(CdrTest.Bytes("00000005 00000000"), ByteOrder.BigEndian)).Should().Be(MarshallingError.Malformed);
    }

    [Fact]
    public void Cdr_BytesAfterTheValue_AreTrailingBytes()
    {
        ErrorOf(() => CdrTest.Unmarshal<int>(CdrTest.Bytes("00000001 00"), ByteOrder.BigEndian)).Should().Be(MarshallingError.TrailingBytes);
    }

    [Fact]
    public void Cdr_DepthAndObjectLimits_AreLimitExceeded()
    {
        var shallow = new CdrMarshaller(new CdrMarshallerOptions { MaxDepth = 1 });
        var few = new CdrMarshaller(new CdrMarshallerOptions { MaxObjects = 2 });
        var team = CdrTest.Marshal(new Team("t", [new Person("a", "b", 1), new Person("c", "d", 2)]), ByteOrder.BigEndian);

        ErrorOf(() => CdrTest.Unmarshal<Team>(shallow, team)).Should().Be(MarshallingError.LimitExceeded);
        ErrorOf(() => CdrTest.Unmarshal<Team>(few, team)).Should().Be(MarshallingError.LimitExceeded);
        ErrorOf(() => CdrTest.Marshal(shallow, new Team("t", [new Person("a", "b", 1)]))).Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Cdr_TypeWithoutACdrMapping_IsUnsupportedType()
    {
        ErrorOf(() => CdrTest.Marshal(CdrMarshaller.Default, 1.5m)).Should().Be(MarshallingError.UnsupportedType);
        ErrorOf(() => CdrTest.Marshal(CdrMarshaller.Default, new ContractUnsupported(1, () => 1))).Should().Be(MarshallingError.UnsupportedType);
        ErrorOf(() => CdrTest.Unmarshal<decimal>(CdrMarshaller.Default, new byte[16])).Should().Be(MarshallingError.UnsupportedType);
    }

    [Fact]
    public void Cdr_ValueWithoutARepresentation_IsUnrepresentableValue()
    {
        ErrorOf(() => CdrTest.Marshal<string>(null!, ByteOrder.BigEndian)).Should().Be(MarshallingError.UnrepresentableValue);
        ErrorOf(() => CdrTest.Marshal<Person>(null!, ByteOrder.BigEndian)).Should().Be(MarshallingError.UnrepresentableValue);
        ErrorOf(() => CdrTest.Marshal("\u20AC", ByteOrder.BigEndian)).Should().Be(MarshallingError.UnrepresentableValue, "a CDR string is ISO-8859-1");
        ErrorOf(() => CdrTest.Marshal((Color)7, ByteOrder.BigEndian)).Should().Be(MarshallingError.UnrepresentableValue);
    }

    [Fact]
    public void Graph_TruncatedStream_IsTruncated()
    {
        var bytes = s_graph.Bytes(new Person("Smith", "London", 1934));

        ErrorOf(() => s_graph.Read<Person>(bytes[..^1])).Should().Be(MarshallingError.Truncated);
        ErrorOf(() => s_graph.Read<Person>([])).Should().Be(MarshallingError.Truncated);
    }

    [Fact]
    public void Graph_BytesAfterTheValue_AreTrailingBytes()
    {
        ErrorOf(() => s_graph.Read<int>([.. s_graph.Bytes(7), 0])).Should().Be(MarshallingError.TrailingBytes);
    }

    [Fact]
    public void Graph_BadMagicOrBool_IsMalformed()
    {
        var bytes = s_graph.Bytes(true);

        ErrorOf(() => s_graph.Read<bool>([0x4F, 0x48, .. bytes[2..]])).Should().Be(MarshallingError.Malformed);
        ErrorOf(() => s_graph.Read<bool>([.. bytes[..^1], 2])).Should().Be(MarshallingError.Malformed);
    }

    [Theory]
    [InlineData(new byte[] { 0x5A, 0x5A })]
    [InlineData(new byte[] { 0x4F, 0x48 })]
    [InlineData(new byte[] { 0x5A })]
    public void Graph_ShortInputThatIsNoMagicPrefix_IsMalformed(byte[] bytes)
    {
        ErrorOf(() => s_graph.Read<int>(bytes)).Should().Be(MarshallingError.Malformed);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x4F })]
    [InlineData(new byte[] { 0x4F, 0x47 })]
    public void Graph_ShortInputThatIsAMagicPrefix_IsTruncated(byte[] bytes)
    {
        ErrorOf(() => s_graph.Read<int>(bytes)).Should().Be(MarshallingError.Truncated);
    }

    [Fact]
    public void Graph_MemberOfAnUnregisteredOrUnsupportedType_NamesTheRightKind()
    {
        var registry = new GraphTypeRegistry().Register<GraphErrorHolder>("e.Holder").Register<GraphErrorCode>("e.Code");

        ErrorOf(() => new GraphMarshaller(registry).Bytes(new GraphErrorHolder(new GraphStranger()))).Should().Be(MarshallingError.UnregisteredType);
        ErrorOf(() => new GraphMarshaller(registry).Bytes(new GraphErrorCode(() => 1))).Should().Be(MarshallingError.UnsupportedType);
    }

    [Fact]
    public void SurrogateProviderFailures_AreSurrogateFailed()
    {
        var cdr = new CdrMarshaller(new CdrMarshallerOptions { SurrogateProvider = new ContractScalarSurrogates(typeof(long)) });
        var graph = new GraphMarshaller(new GraphTypeRegistry(), new GraphMarshallerOptions { SurrogateProvider = new ContractScalarSurrogates(typeof(long)) });

        // Resolve cannot parse "ref:..." from a long it did not expect: here, an id that overflows an int.
        ErrorOf(() => CdrTest.Unmarshal<IContractCallback>(cdr, CdrTest.Bytes("7fffffff ffffffff"))).Should().Be(MarshallingError.SurrogateFailed);
        var bytes = graph.Bytes(long.MaxValue);
        ErrorOf(() => graph.Read<IContractCallback>(bytes)).Should().Be(MarshallingError.SurrogateFailed);
    }

    [Fact]
    public void Graph_CollectionLengthOverTheLimit_IsLimitExceeded()
    {
        var tight = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxCollectionLength = 3 });
        var bytes = s_graph.Bytes(new List<int> { 1, 2, 3, 4 });

        ErrorOf(() => tight.Read<List<int>>(bytes)).Should().Be(MarshallingError.LimitExceeded);
        ErrorOf(() => tight.Bytes(new List<int> { 1, 2, 3, 4 })).Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Graph_ObjectLimit_IsLimitExceeded()
    {
        var tight = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxObjects = 2 });
        var people = Enumerable.Range(0, 5).Select(i => new Person("p", "q", i)).ToList();

        ErrorOf(() => tight.Read<List<Person>>(s_graph.Bytes(people))).Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Graph_TypeNameNotRegistered_IsUnregisteredType()
    {
        var writer = new GraphMarshaller(new GraphTypeRegistry().Register<GraphShape>("s.Shape").Register<GraphCircle>("s.Circle"));
        var reader = new GraphMarshaller(new GraphTypeRegistry().Register<GraphShape>("s.Shape"));
        var bytes = writer.Bytes<GraphShape>(new GraphCircle { Radius = 1 });

        ErrorOf(() => reader.Read<GraphShape>(bytes)).Should().Be(MarshallingError.UnregisteredType);
        ErrorOf(() => s_graph.Bytes(new GraphStranger())).Should().Be(MarshallingError.UnregisteredType);
    }

    [Fact]
    public void Graph_AnotherTypeOrVersionThanDeclared_IsIncompatible()
    {
        var bytes = s_graph.Bytes(7);

        ErrorOf(() => s_graph.Read<long>(bytes)).Should().Be(MarshallingError.Incompatible);
        ErrorOf(() => s_graph.Read<int>([0x4F, 0x47, 0x02, .. bytes[3..]])).Should().Be(MarshallingError.Incompatible);
    }

    [Fact]
    public void Graph_UnpairedSurrogate_IsUnrepresentableValue()
    {
        ErrorOf(() => s_graph.Bytes("a\uD800b")).Should().Be(MarshallingError.UnrepresentableValue);
    }

    /// <summary>The kind of the <see cref="MarshallingException"/> the action throws; fails if it throws anything else.</summary>
    private static MarshallingError ErrorOf(Action action) =>
        FluentActions.Invoking(action).Should().Throw<MarshallingException>().Which.Error;

    private static MarshallingError ErrorOf<T>(Func<T> func) => ErrorOf(() => { _ = func(); });
}

/// <summary>A registered record with a member of a type nobody registered.</summary>
public sealed record GraphErrorHolder(GraphStranger Stranger);

/// <summary>A registered record with a member that holds code.</summary>
public sealed record GraphErrorCode(Func<int> Code);
