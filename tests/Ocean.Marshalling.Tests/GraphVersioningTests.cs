using Ocean.Marshalling.Graph;

namespace Ocean.Marshalling.Tests;

/// <summary>Version 1 of a customer: three members.</summary>
public sealed class GraphCustomerV1
{
    public string Name { get; set; } = string.Empty;

    public int Age { get; set; }

    public string? Email { get; set; }

    public GraphCustomerV1? Referrer { get; set; }
}

/// <summary>Version 2: Name renamed FullName (a new wire name), Age widened to long, Email renamed in code only, two members added.</summary>
public sealed class GraphCustomerV2
{
    public string FullName { get; set; } = "unknown";

    public long Age { get; set; }

    [GraphMember("Email")]
    public string? Mail { get; set; }

    public List<string> Tags { get; set; } = ["default"];

    public GraphLeaf? Badge { get; set; }

    public GraphCustomerV2? Referrer { get; set; }
}

/// <summary>An incompatible version: Age became a string.</summary>
public sealed class GraphCustomerBad
{
    public string Name { get; set; } = string.Empty;

    public string Age { get; set; } = string.Empty;
}

/// <summary>A positional record, version 1 and 2 (a constructor parameter added).</summary>
public sealed record GraphOrderV1(int Id, string Item);

public sealed record GraphOrderV2(int Id, string Item, int Quantity, GraphCustomerV2? Buyer);

/// <summary>A record, version 1: one member.</summary>
public sealed record GraphOrderLineV1(int Id);

/// <summary>Version 2: constructor parameters added with defaults, and a property with an initializer.</summary>
public sealed record GraphOrderLineV2(int Id, int Quantity = 1, string Unit = "each", GraphColor Color = GraphColor.Green, decimal Price = 2.5m, int? Limit = 7, string? Note = null)
{
    public string Channel { get; init; } = "web";
}

/// <summary>A class with a constructor, version 1.</summary>
public sealed class GraphTicketV1(int id)
{
    public int Id { get; } = id;
}

/// <summary>Version 2: a constructor parameter added with a default.</summary>
public sealed class GraphTicketV2(int id, int seats = 2)
{
    public int Id { get; } = id;

    public int Seats { get; } = seats;
}

/// <summary>Two CLR types registered under one stable name in two registries, written with one and read with the other.</summary>
public sealed class GraphVersioningTests
{
    private static readonly GraphMarshaller s_v1 = new(new GraphTypeRegistry()
        .Register<GraphCustomerV1>("shop.Customer").Register<GraphOrderV1>("shop.Order").Register<GraphLeaf>("test.GraphLeaf"));

    private static readonly GraphMarshaller s_v2 = new(new GraphTypeRegistry()
        .Register<GraphCustomerV2>("shop.Customer").Register<GraphOrderV2>("shop.Order").Register<GraphLeaf>("test.GraphLeaf"));

    private static readonly GraphMarshaller s_bad = new(new GraphTypeRegistry().Register<GraphCustomerBad>("shop.Customer"));

    [Fact]
    public void OldWriter_NewReader_MissingMembersKeepDefaultsAndKnownOnesConvert()
    {
        var v1 = new GraphCustomerV1 { Name = "Ada", Age = 36, Email = "ada@example.org" };

        var read = s_v2.Read<GraphCustomerV2>(s_v1.Bytes(v1));

        read.FullName.Should().Be("unknown");
        read.Age.Should().Be(36L);
        read.Mail.Should().Be("ada@example.org");
        read.Tags.Should().Equal("default");
        read.Badge.Should().BeNull();
    }

    [Fact]
    public void NewWriter_OldReader_UnknownMembersAreSkipped()
    {
        var badge = new GraphLeaf("gold", 1);
        var v2 = new GraphCustomerV2 { FullName = "Grace", Age = 85, Mail = "g@example.org", Tags = ["a", "b"], Badge = badge };

        var read = s_v1.Read<GraphCustomerV1>(s_v2.Bytes(v2));

        read.Name.Should().BeEmpty();
        read.Age.Should().Be(85);
        read.Email.Should().Be("g@example.org");
    }

    [Fact]
    public void NewWriter_OldReader_ValueOutOfRange_ThrowsNamingTheMember()
    {
        var v2 = new GraphCustomerV2 { Age = long.MaxValue };

        FluentActions.Invoking(() => s_v1.Read<GraphCustomerV1>(s_v2.Bytes(v2))).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Skew_CyclesAndSharesSurvive()
    {
        var v1 = new GraphCustomerV1 { Name = "Ada", Age = 1 };
        v1.Referrer = v1;
        var v2 = new GraphCustomerV2 { FullName = "Grace", Age = 2, Badge = new GraphLeaf("x", 1) };
        v2.Referrer = v2;

        var newRead = s_v2.Read<GraphCustomerV2>(s_v1.Bytes(v1));
        var oldRead = s_v1.Read<GraphCustomerV1>(s_v2.Bytes(v2));

        newRead.Referrer.Should().BeSameAs(newRead);
        oldRead.Referrer.Should().BeSameAs(oldRead);
    }

    [Fact]
    public void Records_BothWays_ConstructorParametersDefaultOrAreSkipped()
    {
        var upgraded = s_v2.Read<GraphOrderV2>(s_v1.Bytes(new GraphOrderV1(7, "tea")));
        var downgraded = s_v1.Read<GraphOrderV1>(s_v2.Bytes(new GraphOrderV2(8, "milk", 3, new GraphCustomerV2 { FullName = "x" })));

        upgraded.Should().Be(new GraphOrderV2(7, "tea", 0, null));
        downgraded.Should().Be(new GraphOrderV1(8, "milk"));
    }

    [Fact]
    public void Skew_ListsOfSkewedObjects_ReadEachWithThePlan()
    {
        var customers = Enumerable.Range(0, 50).Select(i => new GraphCustomerV1 { Name = $"c{i}", Age = i, Email = null }).ToList();

        var read = s_v2.Read<List<GraphCustomerV2>>(s_v1.Bytes(customers));

        read.Select(c => c.Age).Should().Equal(Enumerable.Range(0, 50).Select(i => (long)i));
    }

    [Fact]
    public void IncompatibleMemberType_ThrowsNamingTypeAndMember()
    {
        var bytes = s_v1.Bytes(new GraphCustomerV1 { Name = "Ada", Age = 36 });

        FluentActions.Invoking(() => s_bad.Read<GraphCustomerBad>(bytes)).Should().Throw<MarshallingException>()
            .WithMessage("*'Age'*shop.Customer*GraphCustomerBad*int32*");
    }

    [Fact]
    public void TamperedDescriptor_FingerprintMismatch_Throws()
    {
        var bytes = s_v1.Bytes(new GraphCustomerV1 { Name = "Ada" });
        var at = bytes.AsSpan().IndexOf("Email"u8);
        bytes[at] = (byte)'F';

        FluentActions.Invoking(() => s_v1.Read<GraphCustomerV1>(bytes)).Should().Throw<MarshallingException>().WithMessage("*fingerprint*");
    }

    [Fact]
    public void OldWriter_NewReader_MissingConstructorParametersTakeTheirDeclaredDefaults()
    {
        var v1 = new GraphMarshaller(new GraphTypeRegistry().Register<GraphOrderLineV1>("shop.OrderLine").Register<GraphTicketV1>("shop.Ticket"));
        var v2 = new GraphMarshaller(new GraphTypeRegistry().Register<GraphOrderLineV2>("shop.OrderLine").Register<GraphTicketV2>("shop.Ticket"));

        var line = v2.Read<GraphOrderLineV2>(v1.Bytes(new GraphOrderLineV1(42)));
        var ticket = v2.Read<GraphTicketV2>(v1.Bytes(new GraphTicketV1(9)));

        line.Should().Be(new GraphOrderLineV2(42) { Channel = "web" });
        line.Quantity.Should().Be(1);
        line.Unit.Should().Be("each");
        line.Color.Should().Be(GraphColor.Green);
        line.Price.Should().Be(2.5m);
        line.Limit.Should().Be(7);
        line.Note.Should().BeNull();
        line.Channel.Should().Be("web", "a property initializer runs in the constructor");
        ticket.Id.Should().Be(9);
        ticket.Seats.Should().Be(2);
    }
}
