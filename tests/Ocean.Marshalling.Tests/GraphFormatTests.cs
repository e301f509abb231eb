namespace Ocean.Marshalling.Tests;

/// <summary>The bytes the README documents, byte for byte.</summary>
public sealed class GraphFormatTests
{
    private static readonly GraphMarshaller s_marshaller = new(new GraphTypeRegistry().Register<Person>("demo.Person"));

    [Fact]
    public void Marshal_Person_IsTheDocumentedBytes()
    {
        var bytes = s_marshaller.Bytes(new Person("Smith", "London", 1934));

        Convert.ToHexString(bytes).Should().Be(
            "4F4701" + "10" + "02" + "00" + "0B" + "64656D6F2E506572736F6E" + Fingerprint(bytes) + "03"
            + "044E616D65" + "0E" + "05506C616365" + "0E" + "0459656172" + "06"
            + "06536D697468" + "074C6F6E646F6E" + "8E070000");
    }

    [Fact]
    public void Marshal_TwoReferencesToOnePerson_IsADescriptorThenAReference()
    {
        var smith = new Person("Smith", "London", 1934);
        var bytes = s_marshaller.Bytes(new List<Person> { smith, smith, new("Jones", "Leeds", 1) });
        var hex = Convert.ToHexString(bytes);

        hex.Should().StartWith("4F4701" + "1210" + "02" + "03" + "0200"); // list<object>, new, 3 elements, new Person with a descriptor
        hex.Should().Contain("06536D697468074C6F6E646F6E8E070000" + "0101" + "0201" + "064A6F6E6573"); // ..., reference to handle 1, new with class 1, "Jones"
    }

    [Fact]
    public void Fingerprint_IsFnv1aOfTheDescriptorWithoutIt()
    {
        var bytes = s_marshaller.Bytes(new Person("a", "b", 1));
        var descriptor = bytes.AsSpan(6, 1 + 11 + 8 + 1 + 5 + 1 + 6 + 1 + 5 + 1).ToArray();
        var hash = 0xcbf29ce484222325UL;
        foreach (var b in descriptor[..12].Concat(descriptor[20..]))
        {
            hash = (hash ^ b) * 0x100000001b3UL;
        }

        BitConverter.ToUInt64(descriptor, 12).Should().Be(hash);
    }

    private static string Fingerprint(byte[] bytes) => Convert.ToHexString(bytes, 6 + 12, 8);
}
