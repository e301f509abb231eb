using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ocean.Marshalling;

namespace Ocean.Benchmarks.Marshalling;

/// <summary>An address shared by many residents (settable members, so System.Text.Json can preserve references).</summary>
public sealed class Address
{
    public string Street { get; set; } = string.Empty;

    public string City { get; set; } = string.Empty;
}

/// <summary>A person who lives at one of a few shared addresses.</summary>
public sealed class Resident
{
    public string Name { get; set; } = string.Empty;

    public int Year { get; set; }

    public Address Home { get; set; } = new();
}

/// <summary>100 residents over 10 shared addresses.</summary>
public sealed class Town
{
    public List<Resident> Residents { get; set; } = [];
}

[JsonSourceGenerationOptions(ReferenceHandler = JsonKnownReferenceHandler.Preserve)]
[JsonSerializable(typeof(Town))]
internal sealed partial class PreservingJsonContext : JsonSerializerContext
{
}

/// <summary>
/// Encode + decode of one Person, 100 Persons, and 100 residents sharing 10 addresses: Ocean's object-graph
/// marshaller beside Ocean's CDR and System.Text.Json (source generated, reused writer). On the shared graph JSON
/// keeps the sharing with ReferenceHandler.Preserve ($id/$ref); CDR cannot, and writes each address 10 times.
/// </summary>
internal static class GraphScenario
{
    public const string Graph = "ocean graph";
    public const string Cdr = "ocean cdr";
    public const string Json = "System.Text.Json (source generated)";
    public const string CdrCopies = "ocean cdr (addresses copied, sharing lost)";
    public const string JsonPreserve = "System.Text.Json (Preserve $id/$ref)";

    // The Person workloads, and their CDR and JSON round trips, are the CDR scenario's own.
    private static readonly Person s_person = CdrScenario.s_person;
    private static readonly People s_people = CdrScenario.s_people;
    private static readonly Town s_town = CreateTown();

    private static readonly GraphMarshaller s_graph = new(new GraphTypeRegistry()
        .Register<Person>("bench.Person")
        .Register<People>("bench.People")
        .Register<Address>("bench.Address")
        .Register<Resident>("bench.Resident")
        .Register<Town>("bench.Town"));


    public static Scenario Create() => new(
        "graph",
        "Encode + decode per op, into a reused buffer: Ocean's object-graph marshaller vs Ocean's CDR vs System.Text.Json source-generated",
        [
            new BenchmarkCase("Person", "round trips", Json, () => [new RoundTripVariant(Graph, GraphPerson), new RoundTripVariant(Cdr, CdrScenario.OceanPerson), new RoundTripVariant(Json, CdrScenario.JsonPerson)]),
            new BenchmarkCase("100 Persons", "round trips", Json, () => [new RoundTripVariant(Graph, GraphPeople), new RoundTripVariant(Cdr, CdrScenario.OceanPeople), new RoundTripVariant(Json, CdrScenario.JsonPeople)]),
            new BenchmarkCase("100 residents, 10 shared addresses", "round trips", JsonPreserve, () => [new RoundTripVariant(Graph, GraphTown), new RoundTripVariant(CdrCopies, CdrTown), new RoundTripVariant(JsonPreserve, JsonTown)]),
        ]);

    private static Town CreateTown()
    {
        var addresses = Enumerable.Range(0, 10).Select(i => new Address { Street = $"{i} High Street", City = i % 2 == 0 ? "London" : "Lille" }).ToList();
        return new Town { Residents = [.. Enumerable.Range(0, 100).Select(i => new Resident { Name = $"Person{i}", Year = 1900 + i, Home = addresses[i % 10] })] };
    }

    private static ReadOnlySequence<byte> Written(ArrayBufferWriter<byte> buffer) => new(buffer.WrittenMemory);

    private static void GraphPerson(ArrayBufferWriter<byte> buffer)
    {
        s_graph.Marshal(s_person, buffer);
        Check(s_graph.Unmarshal<Person>(Written(buffer)).Year == s_person.Year);
    }

    private static void GraphPeople(ArrayBufferWriter<byte> buffer)
    {
        s_graph.Marshal(s_people, buffer);
        Check(s_graph.Unmarshal<People>(Written(buffer)).Items.Count == 100);
    }

    private static void GraphTown(ArrayBufferWriter<byte> buffer)
    {
        s_graph.Marshal(s_town, buffer);
        var town = s_graph.Unmarshal<Town>(Written(buffer));
        Check(town.Residents.Count == 100 && ReferenceEquals(town.Residents[0].Home, town.Residents[10].Home));
    }

    private static void CdrTown(ArrayBufferWriter<byte> buffer)
    {
        CdrMarshaller.Default.Marshal(s_town, buffer);
        Check(CdrMarshaller.Default.Unmarshal<Town>(Written(buffer)).Residents.Count == 100);
    }

    private static void JsonTown(ArrayBufferWriter<byte> buffer)
    {
        var writer = CdrScenario.JsonWriter(buffer);
        JsonSerializer.Serialize(writer, s_town, PreservingJsonContext.Default.Town);
        writer.Flush();
        var town = JsonSerializer.Deserialize(buffer.WrittenSpan, PreservingJsonContext.Default.Town)!;
        Check(town.Residents.Count == 100 && ReferenceEquals(town.Residents[0].Home, town.Residents[10].Home));
    }

    private static void Check(bool condition) => RoundTripVariant.Check(condition);
}
