using System.Buffers;
using Ocean.Framing;

namespace Ocean.Marshalling.Tests;

public sealed record Person(string Name, string Place, int Year);

/// <summary>The Person vectors measured from omniORB (see ../shared/DESIGN.md).</summary>
public sealed class CdrPersonTests
{
    [Theory]
    [InlineData(ByteOrder.BigEndian, "00000006536d697468000000000000074c6f6e646f6e00000000078e")]
    [InlineData(ByteOrder.LittleEndian, "06000000536d697468000000070000004c6f6e646f6e00008e070000")]
    public void Person_MatchesOmniOrbBytes(ByteOrder order, string hex)
    {
        var marshaller = new CdrMarshaller(new CdrMarshallerOptions { ByteOrder = order });
        var output = new ArrayBufferWriter<byte>();

        marshaller.Marshal(new Person("Smith", "London", 1934), output);

        Convert.ToHexStringLower(output.WrittenSpan).Should().Be(hex);
        marshaller.Unmarshal<Person>(new ReadOnlySequence<byte>(Convert.FromHexString(hex))).Should().Be(new Person("Smith", "London", 1934));
    }
}
