using Ocean.Marshalling.Graph;

namespace Ocean.Marshalling.Tests;

// Types shared by the object-graph tests. Public because the marshaller compiles code that binds to them.

/// <summary>A node of a random graph: settable members, so cycles through any of them can be rebuilt.</summary>
public sealed class GraphNode
{
    public int Id { get; set; }

    public string? Label { get; set; }

    public GraphNode? Left { get; set; }

    public GraphNode? Right { get; set; }

    public List<GraphNode?>? Children { get; set; }

    public GraphNode?[]? Array { get; set; }

    public Dictionary<string, GraphNode?>? Named { get; set; }

    public GraphLeaf? Leaf { get; set; }

    public GraphShape? Shape { get; set; }
}

/// <summary>A positional record, built through its constructor.</summary>
public sealed record GraphLeaf(string Name, int Value);

/// <summary>An enum with a non-default underlying type.</summary>
public enum GraphColor : short
{
    Red = 1,
    Green = 2,
    Blue = -7,
}

/// <summary>A registered base class; the shapes below may be sent where it is declared.</summary>
public abstract class GraphShape
{
    public string Name { get; set; } = string.Empty;
}

public sealed class GraphCircle : GraphShape
{
    public double Radius { get; set; }
}

public sealed class GraphSquare : GraphShape
{
    public int Side { get; set; }

    public GraphColor Color { get; set; }
}

/// <summary>A registered struct.</summary>
public readonly record struct GraphPoint(int X, int Y);

/// <summary>A class initialised only through its constructor (get-only auto-properties).</summary>
public sealed class GraphMoney
{
    public GraphMoney(decimal amount, string currency)
    {
        Amount = amount;
        Currency = currency;
    }

    public decimal Amount { get; }

    public string Currency { get; }

    public string Display => $"{Amount} {Currency}";
}

/// <summary>Every built-in kind of member.</summary>
public sealed class GraphEverything
{
    public bool Flag { get; set; }

    public byte U8 { get; set; }

    public sbyte I8 { get; set; }

    public short I16 { get; set; }

    public ushort U16 { get; set; }

    public int I32 { get; set; }

    public uint U32 { get; set; }

    public long I64 { get; set; }

    public ulong U64 { get; set; }

    public float F32 { get; set; }

    public double F64 { get; set; }

    public decimal Money { get; set; }

    public char Letter { get; set; }

    public string? Text { get; set; }

    public GraphColor Color { get; set; }

    public int? MaybeInt { get; set; }

    public GraphPoint? MaybePoint { get; set; }

    public GraphPoint Point { get; set; }

    public byte[]? Bytes { get; set; }

    public int[]? Ints { get; set; }

    public List<string?>? Strings { get; set; }

    public Dictionary<int, List<GraphPoint>>? Map { get; set; }

    public GraphMoney? Price { get; set; }

    public List<GraphShape?>? Shapes { get; set; }

    [GraphIgnore]
    public string Ignored { get; set; } = "default";

    public long Field;
}

/// <summary>A cycle through a constructor parameter: the owner is built from its part, which points back at the owner.</summary>
public sealed class GraphOwner(GraphPart part)
{
    public GraphPart Part { get; } = part;
}

public sealed class GraphPart
{
    public GraphOwner? Owner { get; set; }
}

/// <summary>A record whose cycle runs through a settable (not constructor) member: that can be rebuilt.</summary>
public sealed record GraphRing(string Name)
{
    public GraphRing? Next { get; set; }
}

/// <summary>A linked list of public fields.</summary>
public sealed class GraphLinked
{
    public int Value;
    public GraphLinked? Next;
}

/// <summary>Never registered.</summary>
public sealed class GraphStranger
{
    public int Value { get; set; }
}

/// <summary>Holds an unregistered type.</summary>
public sealed class GraphHoldsStranger
{
    public GraphStranger? Stranger { get; set; }
}

/// <summary>Holds an object member, which has no wire type.</summary>
public sealed class GraphHoldsObject
{
    public object? Anything { get; set; }
}

/// <summary>Registries for the tests.</summary>
public static class GraphRegistries
{
    public static GraphTypeRegistry Create() => new GraphTypeRegistry()
        .Register<Person>("test.Person")
        .Register<ContractGroup>("test.ContractGroup")
        .Register<ContractConcurrencyItem>("test.ContractConcurrencyItem")
        .Register<GraphNode>("test.GraphNode")
        .Register<GraphLeaf>("test.GraphLeaf")
        .Register<GraphShape>("test.Shape")
        .Register<GraphCircle>("test.Circle")
        .Register<GraphSquare>("test.Square")
        .Register<GraphPoint>("test.Point")
        .Register<GraphMoney>("test.Money")
        .Register<GraphEverything>("test.Everything")
        .Register<GraphOwner>("test.Owner")
        .Register<GraphPart>("test.Part")
        .Register<GraphRing>("test.Ring")
        .Register<GraphLinked>("test.Linked")
        .Register<GraphHoldsStranger>("test.HoldsStranger")
        .Register<GraphHoldsObject>("test.HoldsObject");

    public static GraphMarshaller Marshaller(GraphMarshallerOptions? options = null) => new(Create(), options);
}
