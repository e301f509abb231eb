namespace Ocean.Marshalling.Tests;

/// <summary>A dictionary subclass: not carried (only Dictionary itself is).</summary>
public sealed class GraphDictionarySubclass : Dictionary<string, int>
{
}

/// <summary>An enumerable class of the caller's own, not registered.</summary>
public sealed class GraphEnumerableStranger : IEnumerable<int>
{
    public IEnumerator<int> GetEnumerator() => Enumerable.Empty<int>().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Only registered types are written or created; the registry is checked up front and frozen once used.</summary>
public sealed class GraphRegistryTests
{
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller();

    [Fact]
    public void CanMarshal_RegisteredAndBuiltInTypes_IsTrue()
    {
        foreach (var type in new[] { typeof(int), typeof(decimal), typeof(string), typeof(GraphColor), typeof(int?), typeof(byte[]), typeof(List<Person>), typeof(Dictionary<string, GraphNode>), typeof(GraphNode), typeof(GraphShape), typeof(GraphEverything), typeof(GraphPoint?) })
        {
            s_marshaller.CanMarshal(type, out var reason).Should().BeTrue("{0}: {1}", type, reason);
        }
    }

    [Fact]
    public void CanMarshal_UnregisteredOrUnsupported_IsFalseWithReason()
    {
        foreach (var type in new[] { typeof(GraphStranger), typeof(GraphHoldsStranger), typeof(GraphHoldsObject), typeof(object), typeof(int[,]), typeof(Func<int>), typeof(List<GraphStranger>), typeof(HashSet<int>) })
        {
            s_marshaller.CanMarshal(type, out var reason).Should().BeFalse(type.Name);
            reason.Should().NotBeNullOrWhiteSpace();
        }

        s_marshaller.CanMarshal(typeof(GraphHoldsStranger), out var why);
        why.Should().Contain("Stranger").And.Contain("not registered");
    }

    [Fact]
    public void CanMarshal_DictionaryOfUnsupportedKeyOrValue_ReasonNamesWhichHalf()
    {
        s_marshaller.CanMarshal(typeof(Dictionary<object, int>), out var key).Should().BeFalse();
        key.Should().StartWith("its key type: ").And.Contain("object");

        s_marshaller.CanMarshal(typeof(Dictionary<string, GraphStranger>), out var value).Should().BeFalse();
        value.Should().StartWith("its value type: ").And.Contain("GraphStranger").And.Contain("not registered");
    }

    [Fact]
    public void CanMarshal_OtherDictionariesAndCollections_ReasonSaysWhatIsCarriedNotToRegister()
    {
        foreach (var type in new[] { typeof(IDictionary<string, int>), typeof(IReadOnlyDictionary<string, int>), typeof(SortedDictionary<string, int>), typeof(GraphDictionarySubclass) })
        {
            s_marshaller.CanMarshal(type, out var reason).Should().BeFalse(type.Name);
            reason.Should().Contain("Dictionary<TKey, TValue>").And.NotContain("not registered", "registering {0} would not carry its entries", type.Name);
        }

        foreach (var type in new[] { typeof(HashSet<int>), typeof(IList<int>), typeof(IEnumerable<string>) })
        {
            s_marshaller.CanMarshal(type, out var reason).Should().BeFalse(type.Name);
            reason.Should().Contain("List<T>").And.NotContain("not registered");
        }

        // A type of one's own that is enumerable may be meant to be registered: the reason says so.
        s_marshaller.CanMarshal(typeof(GraphEnumerableStranger), out var own).Should().BeFalse();
        own.Should().Contain("not registered");
    }

    [Fact]
    public void Marshal_UnregisteredType_ThrowsMarshallingException()
    {
        FluentActions.Invoking(() => s_marshaller.Bytes(new GraphStranger())).Should().Throw<MarshallingException>().WithMessage("*not registered*").Which.Error.Should().Be(MarshallingError.UnregisteredType);
    }

    [Fact]
    public void Marshal_UnregisteredSubclassOfRegisteredBase_ThrowsMarshallingException()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<GraphShape>("s.Shape").Register<GraphCircle>("s.Circle"));

        FluentActions.Invoking(() => marshaller.Bytes<GraphShape>(new GraphSquare())).Should().Throw<MarshallingException>().WithMessage("*GraphSquare*not registered*").Which.Error.Should().Be(MarshallingError.UnregisteredType);
        marshaller.RoundTrip<GraphShape>(new GraphCircle { Radius = 1 }).Should().BeOfType<GraphCircle>();
    }

    [Fact]
    public void Unmarshal_TypeNotInReadersRegistry_ThrowsMarshallingException()
    {
        // The writer knows Circle (under a name that looks like a CLR type); the reader knows only the base.
        var writer = new GraphMarshaller(new GraphTypeRegistry().Register<GraphShape>("s.Shape").Register<GraphCircle>("System.Diagnostics.Process, System"));
        var reader = new GraphMarshaller(new GraphTypeRegistry().Register<GraphShape>("s.Shape"));
        var bytes = writer.Bytes<GraphShape>(new GraphCircle { Radius = 1 });

        FluentActions.Invoking(() => reader.Read<GraphShape>(bytes)).Should().Throw<MarshallingException>().WithMessage("*System.Diagnostics.Process, System*not registered*").Which.Error.Should().Be(MarshallingError.UnregisteredType);
    }

    [Fact]
    public void Unmarshal_RegisteredTypeNotAssignableToDeclared_ThrowsMarshallingException()
    {
        // Same stable name, but the reader's type under it is not a shape.
        var writer = new GraphMarshaller(new GraphTypeRegistry().Register<GraphShape>("s.Shape").Register<GraphCircle>("s.Thing"));
        var reader = new GraphMarshaller(new GraphTypeRegistry().Register<GraphShape>("s.Shape").Register<GraphLeaf>("s.Thing"));
        var bytes = writer.Bytes<GraphShape>(new GraphCircle { Name = "c" });

        FluentActions.Invoking(() => reader.Read<GraphShape>(bytes)).Should().Throw<MarshallingException>().WithMessage("*s.Thing*GraphShape*").Which.Error.Should().Be(MarshallingError.Incompatible);
    }

    [Fact]
    public void Unmarshal_UnsupportedRoot_ThrowsMarshallingException()
    {
        var bytes = s_marshaller.Bytes(new GraphNode());

        FluentActions.Invoking(() => s_marshaller.Read<GraphStranger>(bytes)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => s_marshaller.Read<List<int>>(bytes)).Should().Throw<MarshallingException>().WithMessage("*holds object*");
    }

    [Fact]
    public void Register_AfterUse_Throws()
    {
        var registry = new GraphTypeRegistry().Register<Person>("p");
        _ = new GraphMarshaller(registry);

        FluentActions.Invoking(() => registry.Register<GraphNode>("n")).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Register_DuplicatesAndBuiltIns_Throw()
    {
        var registry = new GraphTypeRegistry().Register<Person>("p");

        FluentActions.Invoking(() => registry.Register<GraphNode>("p")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => registry.Register<Person>("q")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => registry.Register<int>("i")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => registry.Register<List<int>>("l")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => registry.Register<Func<int>>("f")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => registry.Register(typeof(List<>), "g")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => registry.Register<GraphNode>(new string('x', 1025))).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => registry.Register<GraphNode>(string.Empty)).Should().Throw<ArgumentException>();
        registry.Count.Should().Be(1);
    }

    [Fact]
    public void Options_InvalidLimits_Throw()
    {
        FluentActions.Invoking(() => new GraphMarshallerOptions { MaxDepth = 0 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new GraphMarshallerOptions { MaxBytes = -1 }).Should().Throw<ArgumentOutOfRangeException>();
        new GraphMarshallerOptions().MaxObjects.Should().Be(100_000);
    }
}
