using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ocean.Marshalling;

namespace Ocean.Benchmarks.Marshalling;

/// <summary>A Person as in the textbook's CDR figure (and omniORB's bytes in DESIGN.md).</summary>
public sealed record Person(string Name, string Place, int Year);

/// <summary>A list of people, for the 100-Person case.</summary>
public sealed record People(List<Person> Items);

[JsonSerializable(typeof(Person))]
[JsonSerializable(typeof(People))]
internal sealed partial class BenchmarkJsonContext : JsonSerializerContext
{
}

/// <summary>
/// Encode + decode of one Person and of 100 Persons: Ocean's CDR marshaller against the same CDR bytes written
/// by hand with <see cref="BinaryPrimitives"/>, and against System.Text.Json with source generation.
/// </summary>
internal static class CdrScenario
{
    public const string Ocean = "ocean cdr";
    public const string HandWritten = "hand-written BinaryPrimitives cdr";
    public const string Json = "System.Text.Json (source generated)";

    internal static readonly Person s_person = new("Smith", "London", 1934);
    internal static readonly People s_people = new(Enumerable.Range(0, 100).Select(i => new Person($"Person{i}", i % 2 == 0 ? "London" : "Lille", 1900 + i)).ToList());

    public static Scenario Create() => new(
        "cdr",
        "Encode + decode per op, into a reused buffer: Ocean's CDR marshaller vs hand-written CDR vs System.Text.Json source-generated",
        [
            new BenchmarkCase("Person", "round trips", HandWritten, () => Variants(single: true)),
            new BenchmarkCase("100 Persons", "round trips", HandWritten, () => Variants(single: false)),
        ]);

    private static IReadOnlyList<IBenchmarkVariant> Variants(bool single) =>
    [
        new RoundTripVariant(Ocean, single ? OceanPerson : OceanPeople),
        new RoundTripVariant(HandWritten, single ? HandPerson : HandPeople),
        new RoundTripVariant(Json, single ? JsonPerson : JsonPeople),
    ];

    internal static void OceanPerson(ArrayBufferWriter<byte> buffer)
    {
        CdrMarshaller.Default.Marshal(s_person, buffer);
        Check(CdrMarshaller.Default.Unmarshal<Person>(new ReadOnlySequence<byte>(buffer.WrittenMemory)).Year == s_person.Year);
    }

    internal static void OceanPeople(ArrayBufferWriter<byte> buffer)
    {
        CdrMarshaller.Default.Marshal(s_people, buffer);
        Check(CdrMarshaller.Default.Unmarshal<People>(new ReadOnlySequence<byte>(buffer.WrittenMemory)).Items.Count == 100);
    }

    [ThreadStatic]
    private static Utf8JsonWriter? t_jsonWriter;

    /// <summary>One reused JSON writer per thread, as a tuned System.Text.Json user would have.</summary>
    internal static Utf8JsonWriter JsonWriter(ArrayBufferWriter<byte> buffer)
    {
        var writer = t_jsonWriter ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        return writer;
    }

    internal static void JsonPerson(ArrayBufferWriter<byte> buffer)
    {
        var writer = JsonWriter(buffer);
        JsonSerializer.Serialize(writer, s_person, BenchmarkJsonContext.Default.Person);
        writer.Flush();
        Check(JsonSerializer.Deserialize(buffer.WrittenSpan, BenchmarkJsonContext.Default.Person)!.Year == s_person.Year);
    }

    internal static void JsonPeople(ArrayBufferWriter<byte> buffer)
    {
        var writer = JsonWriter(buffer);
        JsonSerializer.Serialize(writer, s_people, BenchmarkJsonContext.Default.People);
        writer.Flush();
        Check(JsonSerializer.Deserialize(buffer.WrittenSpan, BenchmarkJsonContext.Default.People)!.Items.Count == 100);
    }

    private static void HandPerson(ArrayBufferWriter<byte> buffer)
    {
        var span = buffer.GetSpan(64);
        var length = HandWrite(span, 0, s_person);
        buffer.Advance(length);
        var offset = 0;
        Check(HandRead(buffer.WrittenSpan, ref offset).Year == s_person.Year);
    }

    private static void HandPeople(ArrayBufferWriter<byte> buffer)
    {
        var span = buffer.GetSpan(8192);
        BinaryPrimitives.WriteInt32BigEndian(span, s_people.Items.Count);
        var position = 4;
        foreach (var person in s_people.Items)
        {
            position = HandWrite(span, position, person);
        }

        buffer.Advance(position);
        var read = buffer.WrittenSpan;
        var count = BinaryPrimitives.ReadInt32BigEndian(read);
        var items = new List<Person>(count);
        var offset = 4;
        for (var i = 0; i < count; i++)
        {
            items.Add(HandRead(read, ref offset));
        }

        Check(new People(items).Items.Count == 100);
    }

    /// <summary>Person as big-endian CDR: string, string, long, each aligned from the stream start.</summary>
    private static int HandWrite(Span<byte> span, int position, Person person)
    {
        position = WriteString(span, position, person.Name);
        position = WriteString(span, position, person.Place);
        position = (position + 3) & ~3;
        BinaryPrimitives.WriteInt32BigEndian(span[position..], person.Year);
        return position + 4;
    }

    private static int WriteString(Span<byte> span, int position, string text)
    {
        position = (position + 3) & ~3;
        BinaryPrimitives.WriteInt32BigEndian(span[position..], text.Length + 1);
        position += 4;
        position += Encoding.Latin1.GetBytes(text, span[position..]);
        span[position] = 0;
        return position + 1;
    }

    private static Person HandRead(ReadOnlySpan<byte> span, ref int offset)
    {
        var name = ReadString(span, ref offset);
        var place = ReadString(span, ref offset);
        offset = (offset + 3) & ~3;
        var year = BinaryPrimitives.ReadInt32BigEndian(span[offset..]);
        offset += 4;
        return new Person(name, place, year);
    }

    private static string ReadString(ReadOnlySpan<byte> span, ref int offset)
    {
        offset = (offset + 3) & ~3;
        var length = BinaryPrimitives.ReadInt32BigEndian(span[offset..]);
        if (length < 1 || offset + 4 + length > span.Length || span[offset + 4 + length - 1] != 0)
        {
            throw new InvalidDataException("Bad string.");
        }

        var text = Encoding.Latin1.GetString(span.Slice(offset + 4, length - 1));
        offset += 4 + length;
        return text;
    }

    private static void Check(bool condition) => RoundTripVariant.Check(condition);
}
