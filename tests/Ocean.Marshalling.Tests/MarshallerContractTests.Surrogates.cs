using System.Buffers;

namespace Ocean.Marshalling.Tests;

/// <summary>Surrogates of every shape (a class, a primitive, a string) wherever a substituted type is declared, and how a provider's failures surface.</summary>
public abstract partial class MarshallerContractTests
{
    public static TheoryData<Type> ScalarSurrogateTypes => [typeof(long), typeof(string)];

    [Theory]
    [MemberData(nameof(ScalarSurrogateTypes))]
    public void Surrogates_PrimitiveOrString_InAMemberListElementAndArgument_RoundTrip(Type surrogateType)
    {
        var marshaller = CreateMarshaller(new ContractScalarSurrogates(surrogateType));
        var context = new MarshallingContext("incoming connection");
        var holder = new ContractHolder("h", new ContractCallback(2), [new ContractCallback(3), new ContractCallback(4)], [new ContractCallback(5)]);
        var bytes = WriteMessage(marshaller, w =>
        {
            w.Write<IContractCallback>(new ContractCallback(1));
            w.Write(holder);
            w.Write(new List<IContractCallback> { new ContractCallback(6) });
            w.Write(typeof(IContractCallback), new ContractCallback(7));
        });

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes), context);
        reader.Read<IContractCallback>().Should().BeOfType<ContractProxy>().Which.Id.Should().Be(1);
        var read = reader.Read<ContractHolder>();
        read.Name.Should().Be("h");
        read.Callback.Should().BeOfType<ContractProxy>().Which.Id.Should().Be(2);
        read.Others.Select(o => o.Id).Should().Equal(3, 4);
        read.More.Should().ContainSingle().Which.Should().BeOfType<ContractProxy>().Which.Context.Should().BeSameAs(context);
        reader.Read<List<IContractCallback>>().Should().ContainSingle().Which.Id.Should().Be(6);
        reader.Read(typeof(IContractCallback)).Should().BeOfType<ContractProxy>().Which.Id.Should().Be(7);
        reader.IsAtEnd.Should().BeTrue();

        // The single-value path too.
        var single = Marshal(marshaller, holder);
        marshaller.Unmarshal<ContractHolder>(new ReadOnlySequence<byte>(single)).Others.Select(o => o.Id).Should().Equal(3, 4);
    }

    [Fact]
    public void Surrogates_PrimitiveSurrogate_NullCallbackInAMember_RoundTripsAsNull()
    {
        // The provider maps null to id 0 and back; a string or class surrogate of null is graph-only (CDR has no null).
        var marshaller = CreateMarshaller(new ContractScalarSurrogates(typeof(long)));

        var read = marshaller.Unmarshal<ContractHolder>(new ReadOnlySequence<byte>(Marshal(marshaller, new ContractHolder("h", null!, [], []))));

        read.Name.Should().Be("h");
        read.Callback.Should().BeNull();
    }

    [Fact]
    public void Message_ReadAfterAFailedRead_ThrowsInvalidOperationException()
    {
        var marshaller = CreateMarshaller();
        var bytes = WriteMessage(marshaller, w =>
        {
            w.Write<byte>(2);
            w.Write<byte>(3);
        });
        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));

        // A byte of 2 is no boolean in either format (and no bool signature in the graph's); where the failed read
        // stopped is unknown, so nothing after it can be trusted.
        FluentActions.Invoking(() => reader.Read<bool>()).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => reader.Read<byte>()).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => reader.Read(typeof(byte))).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Message_UnsupportedTypeRead_IsRefusedBeforeReadingAndTheReaderCarriesOn()
    {
        var marshaller = CreateMarshaller();
        var bytes = WriteMessage(marshaller, w => w.Write(5));
        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));

        FluentActions.Invoking(() => reader.Read<ContractUnsupported>()).Should().Throw<MarshallingException>();
        reader.Read<int>().Should().Be(5);
    }

    [Fact]
    public void Message_ReaderAfterDispose_PositionRemainingAndIsAtEndThrowObjectDisposedException()
    {
        var marshaller = CreateMarshaller();
        var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(WriteMessage(marshaller, w => w.Write(1))));
        reader.Read<int>();
        reader.Dispose();

        FluentActions.Invoking(() => reader.Position).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => reader.Remaining).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => reader.IsAtEnd).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Surrogates_ProviderFailures_AreSurrogateFailed_WithTheProvidersExceptionInside()
    {
        var throwing = CreateMarshaller(new FailingSurrogates(FailingSurrogates.Mode.Throw));
        var bytes = Marshal(CreateMarshaller(new ContractSurrogates()), (IContractCallback)new ContractCallback(8));

        var replace = ExceptionOf(() => throwing.Marshal<IContractCallback>(new ContractCallback(1), new ArrayBufferWriter<byte>()));
        replace.Error.Should().Be(MarshallingError.SurrogateFailed);
        replace.InnerException.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("not exported");
        var resolve = ExceptionOf(() => throwing.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(bytes)));
        resolve.Error.Should().Be(MarshallingError.SurrogateFailed);
        resolve.InnerException.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("no proxy");

        ExceptionOf(() =>
        {
            using var writer = throwing.CreateWriter(new ArrayBufferWriter<byte>());
            writer.Write(typeof(IContractCallback), new ContractCallback(1));
        }).Error.Should().Be(MarshallingError.SurrogateFailed);
        ExceptionOf(() =>
        {
            using var reader = throwing.CreateReader(new ReadOnlySequence<byte>(bytes));
            reader.Read<IContractCallback>();
        }).Error.Should().Be(MarshallingError.SurrogateFailed);
    }

    [Fact]
    public void Surrogates_ProviderReturningTheWrongType_IsSurrogateFailed()
    {
        var wrong = CreateMarshaller(new FailingSurrogates(FailingSurrogates.Mode.WrongType));
        var bytes = Marshal(CreateMarshaller(new ContractSurrogates()), (IContractCallback)new ContractCallback(8));

        ExceptionOf(() => wrong.Marshal<IContractCallback>(new ContractCallback(1), new ArrayBufferWriter<byte>())).Error.Should().Be(MarshallingError.SurrogateFailed);
        ExceptionOf(() => wrong.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(bytes))).Error.Should().Be(MarshallingError.SurrogateFailed);
        ExceptionOf(() => wrong.Unmarshal(typeof(IContractCallback), new ReadOnlySequence<byte>(bytes))).Error.Should().Be(MarshallingError.SurrogateFailed);
    }

    [Fact]
    public void Surrogates_ProviderThrowingAMarshallingException_KeepsItsKind()
    {
        var marshaller = CreateMarshaller(new FailingSurrogates(FailingSurrogates.Mode.ThrowMarshalling));
        var bytes = Marshal(CreateMarshaller(new ContractSurrogates()), (IContractCallback)new ContractCallback(8));

        ExceptionOf(() => marshaller.Marshal<IContractCallback>(new ContractCallback(1), new ArrayBufferWriter<byte>())).Error.Should().Be(MarshallingError.UnrepresentableValue);
        ExceptionOf(() => marshaller.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(bytes))).Error.Should().Be(MarshallingError.Incompatible);
    }

    [Fact]
    public void Surrogates_GetSurrogateTypeThrowing_IsUnsupportedTypeOnBothPaths()
    {
        // Building a type's code fails (as IL emission or expression compilation could on a platform without them):
        // the type cannot be carried, whatever the bytes, and the cause is inside.
        var marshaller = CreateMarshaller(new FailingSurrogates(FailingSurrogates.Mode.ThrowOnGetSurrogateType));
        var bytes = Marshal(CreateMarshaller(new ContractSurrogates()), (IContractCallback)new ContractCallback(8));

        var write = ExceptionOf(() => marshaller.Marshal<IContractCallback>(new ContractCallback(1), new ArrayBufferWriter<byte>()));
        write.Error.Should().Be(MarshallingError.UnsupportedType);
        write.InnerException.Should().BeOfType<PlatformNotSupportedException>();
        var read = ExceptionOf(() => marshaller.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(bytes)));
        read.Error.Should().Be(MarshallingError.UnsupportedType);
        read.InnerException.Should().BeOfType<PlatformNotSupportedException>();
        ExceptionOf(() =>
        {
            using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
            reader.Read(typeof(IContractCallback));
        }).Error.Should().Be(MarshallingError.UnsupportedType);
    }

    private static MarshallingException ExceptionOf(Action action) => FluentActions.Invoking(action).Should().Throw<MarshallingException>().Which;

    private sealed class FailingSurrogates(FailingSurrogates.Mode mode) : IMarshallingSurrogateProvider
    {
        public enum Mode
        {
            Throw,
            WrongType,
            ThrowMarshalling,
            ThrowOnGetSurrogateType,
        }

        public Type? GetSurrogateType(Type declaredType) =>
            mode == Mode.ThrowOnGetSurrogateType ? throw new PlatformNotSupportedException("no code here")
            : declaredType == typeof(IContractCallback) ? typeof(ContractReference) : null;

        public object? Replace(object? value, Type declaredType, MarshallingContext? context) => mode switch
        {
            Mode.Throw => throw new InvalidOperationException("not exported"),
            Mode.ThrowMarshalling => throw new MarshallingException(MarshallingError.UnrepresentableValue, "cannot export"),
            _ => 42,
        };

        public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context) => mode switch
        {
            Mode.Throw => throw new InvalidOperationException("no proxy"),
            Mode.ThrowMarshalling => throw new MarshallingException(MarshallingError.Incompatible, "unknown reference"),
            _ => "not a callback",
        };
    }
}

/// <summary>How a layer above installs its own provider over a marshaller someone else configured.</summary>
public abstract partial class MarshallerContractTests
{
    [Fact]
    public void WithSurrogateProvider_KeepsTheFormat_AndConsultsOnlyTheNewProvider()
    {
        var plain = CreateMarshaller();
        var provider = new ContractScalarSurrogates(typeof(long));

        var installed = plain.WithSurrogateProvider(provider);

        installed.Should().NotBeNull().And.NotBeSameAs(plain);
        installed!.SurrogateProvider.Should().BeSameAs(provider);
        installed.Name.Should().Be(plain.Name);
        plain.CanMarshal(typeof(IContractCallback), out _).Should().BeFalse("the original marshaller is unchanged");
        installed.CanMarshal(typeof(IContractCallback), out _).Should().BeTrue();

        // Values nobody substitutes are written byte for byte as before (same format, same byte order).
        var value = new List<string> { "a", "bc" };
        Marshal(installed, value).Should().Equal(Marshal(plain, value));
        Marshal(installed, 0x01020304).Should().Equal(Marshal(plain, 0x01020304));

        var read = installed.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(Marshal(installed, (IContractCallback)new ContractCallback(9))));
        read.Should().BeOfType<ContractProxy>().Which.Id.Should().Be(9);

        var removed = installed.WithSurrogateProvider(null);
        removed!.SurrogateProvider.Should().BeNull();
        removed.CanMarshal(typeof(IContractCallback), out _).Should().BeFalse();
    }
}
