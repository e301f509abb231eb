namespace Ocean.Marshalling.Tests;

/// <summary>The channel contract with the CDR marshaller, and what only CDR refuses.</summary>
public sealed class CdrMessageChannelTests : MessageChannelContractTests
{
    protected override IMarshaller CreateMarshaller() => CdrMarshaller.Default;

    protected override IEnumerable<byte[]> MalformedPersonMessages() =>
    [
        [0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        [],

        // a valid Person with a byte left over
        CdrTest.Bytes("00000006536d697468000000000000074c6f6e646f6e00000000078e 00"),
    ];

    // CDR has no null string, and its strings are ISO-8859-1.
    protected override IEnumerable<Person> UnrepresentablePeople() => [new(null!, "London", 1), new("\u20AC", "London", 1)];

    [Fact]
    public async Task Constructor_UnsupportedType_ThrowsMarshallingExceptionAtOnce()
    {
        await using var server = await StartTcpAsync(Echo(Malformed));
        await using var connection = await ConnectTcpAsync(server);

        FluentActions.Invoking(() => new MessageChannel<decimal>(connection, CdrMarshaller.Default)).Should().Throw<MarshallingException>().WithMessage("*cdr*")
            .Which.Error.Should().Be(MarshallingError.UnsupportedType);
        FluentActions.Invoking(() => new MessageChannel<WithDecimal>(connection, CdrMarshaller.Default)).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.UnsupportedType);
        FluentActions.Invoking(() => new MessageChannel<PartlyOrdered>(connection, CdrMarshaller.Default)).Should().Throw<MarshallingException>()
            .Which.Error.Should().Be(MarshallingError.UnsupportedType);
    }
}
