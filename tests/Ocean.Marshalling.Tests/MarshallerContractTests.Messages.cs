using System.Buffers;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// The message seam every marshaller must offer a request-reply protocol: several values in one stream (a header,
/// then arguments), the non-generic overloads a dispatcher needs, and the surrogate hook with a per-message context.
/// </summary>
public abstract partial class MarshallerContractTests
{
    /// <summary>A marshaller with the given surrogate provider (and, for the graph marshaller, the contract's types and <see cref="ContractReference"/> registered).</summary>
    protected abstract IMarshaller CreateMarshaller(IMarshallingSurrogateProvider surrogates);

    [Fact]
    public void Message_MixedTypes_ReadBackInOrder()
    {
        var marshaller = CreateMarshaller();
        var group = new ContractGroup("g", [new Person("Smith", "London", 1934)], 7);

        var bytes = WriteMessage(marshaller, w =>
        {
            w.Write<byte>(3);
            w.Write(12345678901L);
            w.Write("caf\u00E9");
            w.Write(new Person("Jones", "Leeds", -1));
            w.Write(2.5);
            w.Write(new List<int> { 1, 2, 3 });
            w.Write(group);
            w.Write(true);
            w.Write((short)-2);
        });

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
        reader.Read<byte>().Should().Be(3);
        reader.Read<long>().Should().Be(12345678901L);
        reader.Read<string>().Should().Be("caf\u00E9");
        reader.Read<Person>().Should().Be(new Person("Jones", "Leeds", -1));
        reader.Read<double>().Should().Be(2.5);
        reader.Read<List<int>>().Should().Equal(1, 2, 3);
        reader.Read<ContractGroup>().Should().BeEquivalentTo(group, o => o.WithStrictOrdering());
        reader.Read<bool>().Should().BeTrue();
        reader.Read<short>().Should().Be(-2);
        reader.IsAtEnd.Should().BeTrue();
        reader.Position.Should().Be(bytes.Length);
    }

    [Fact]
    public void Message_Position_CountsTheBytesInTheOutput()
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>();
        using var writer = marshaller.CreateWriter(output);

        writer.Position.Should().Be(output.WrittenCount);
        writer.Write(1);
        writer.Position.Should().Be(output.WrittenCount).And.BeGreaterThan(0);
        writer.Write("abc");
        writer.Write(new Person("a", "b", 1));
        writer.Position.Should().Be(output.WrittenCount);

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory));
        reader.Read<int>();
        var afterFirst = reader.Position;
        reader.Remaining.Should().Be(output.WrittenCount - afterFirst);
        reader.Read<string>();
        reader.Read<Person>();
        reader.Remaining.Should().Be(0);
        reader.IsAtEnd.Should().BeTrue();
    }

    [Fact]
    public void Message_OneValue_HasTheBytesOfMarshal()
    {
        var marshaller = CreateMarshaller();
        var person = new Person("Smith", "London", 1934);

        WriteMessage(marshaller, w => w.Write(person)).Should().Equal(Marshal(marshaller, person));
    }

    [Fact]
    public void Message_HeaderThenArgumentsTypedByTheHeader_RoundTrip()
    {
        // A dispatcher reads the header, finds the method, and only then knows the argument types.
        var methods = new Dictionary<string, Type[]>
        {
            ["Add"] = [typeof(int), typeof(int)],
            ["Greet"] = [typeof(Person), typeof(string), typeof(List<int>)],
        };
        var marshaller = CreateMarshaller();
        object?[] sent = [new Person("Smith", "London", 1934), "hello", new List<int> { 4, 5 }];

        var bytes = WriteMessage(marshaller, w =>
        {
            w.Write(42u);         // request id
            w.Write<byte>(0);     // kind: request
            w.Write("Greet");     // method
            var types = methods["Greet"];
            for (var i = 0; i < sent.Length; i++)
            {
                w.Write(types[i], sent[i]);
            }
        });

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
        reader.Read<uint>().Should().Be(42u);
        reader.Read<byte>().Should().Be(0);
        var parameterTypes = methods[reader.Read<string>()];
        var arguments = parameterTypes.Select(reader.Read).ToArray();

        arguments[0].Should().Be(sent[0]);
        arguments[1].Should().Be("hello");
        arguments[2].Should().BeOfType<List<int>>().Which.Should().Equal(4, 5);
        reader.IsAtEnd.Should().BeTrue();
    }

    [Fact]
    public void Message_NonGenericWrite_HasTheBytesOfGenericWrite()
    {
        var marshaller = CreateMarshaller();
        var person = new Person("Smith", "London", 1934);

        var generic = WriteMessage(marshaller, w =>
        {
            w.Write<byte>(1);
            w.Write(7);
            w.Write(person);
            w.Write(3.25);
        });
        var boxed = WriteMessage(marshaller, w =>
        {
            w.Write(typeof(byte), (byte)1);
            w.Write(typeof(int), 7);
            w.Write(typeof(Person), person);
            w.Write(typeof(double), 3.25);
        });

        boxed.Should().Equal(generic);
        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(boxed));
        reader.Read(typeof(byte)).Should().Be((byte)1);
        reader.Read(typeof(int)).Should().Be(7);
        reader.Read(typeof(Person)).Should().Be(person);
        reader.Read(typeof(double)).Should().Be(3.25);
    }

    [Fact]
    public void Marshal_NonGeneric_HasTheBytesOfGenericAndUnmarshalsBoxed()
    {
        var marshaller = CreateMarshaller();
        var group = new ContractGroup("g", [new Person("a", "b", 1)], 2);
        var output = new ArrayBufferWriter<byte>();

        marshaller.Marshal(typeof(ContractGroup), group, output);

        output.WrittenSpan.ToArray().Should().Equal(Marshal(marshaller, group));
        marshaller.Unmarshal(typeof(ContractGroup), new ReadOnlySequence<byte>(output.WrittenMemory)).Should().BeEquivalentTo(group);
        output.ResetWrittenCount();
        marshaller.Marshal(typeof(long), -5L, output);
        marshaller.Unmarshal(typeof(long), new ReadOnlySequence<byte>(output.WrittenMemory)).Should().Be(-5L);
    }

    [Fact]
    public void Marshal_NonGenericMismatches_ThrowArgumentExceptions()
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>();

        FluentActions.Invoking(() => marshaller.Marshal(typeof(int), null, output)).Should().Throw<ArgumentNullException>().WithMessage("*Int32*null*");
        FluentActions.Invoking(() => marshaller.Marshal(typeof(int), "7", output)).Should().Throw<ArgumentException>().WithMessage("*String*Int32*");
        FluentActions.Invoking(() => marshaller.Marshal(typeof(Person), 7L, output)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => marshaller.Marshal(null!, 7, output)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => marshaller.Unmarshal(null!, ReadOnlySequence<byte>.Empty)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => marshaller.Unmarshal(typeof(int), ReadOnlySequence<byte>.Empty)).Should().Throw<MarshallingException>();
        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void Message_NonGenericMismatches_ThrowArgumentExceptionsAndWriteNothing()
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>();
        using var writer = marshaller.CreateWriter(output);
        var before = output.WrittenCount;

        FluentActions.Invoking(() => writer.Write(typeof(double), null)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => writer.Write(typeof(double), 1)).Should().Throw<ArgumentException>().WithMessage("*Int32*Double*");
        FluentActions.Invoking(() => writer.Write(null!, 1)).Should().Throw<ArgumentNullException>();
        output.WrittenCount.Should().Be(before);

        // A refused argument is not a failed write: the message carries on.
        writer.Write(typeof(int), 9);
        marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory)).Read<int>().Should().Be(9);
    }

    [Fact]
    public void Message_EveryTruncation_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var bytes = WriteMessage(marshaller, w =>
        {
            w.Write(1u);
            w.Write(new Person("Smith", "London", 1934));
            w.Write(new ContractGroup("g", [new Person("a", "b", 2)], 3));
            w.Write(4.5);
        });

        for (var length = 0; length < bytes.Length; length++)
        {
            var truncated = new ReadOnlySequence<byte>(bytes, 0, length);
            FluentActions.Invoking(() =>
            {
                using var reader = marshaller.CreateReader(truncated);
                reader.Read<uint>();
                reader.Read<Person>();
                reader.Read<ContractGroup>();
                reader.Read<double>();
            }).Should().Throw<MarshallingException>("{0} of {1} bytes are truncated", length, bytes.Length);
        }
    }

    [Fact]
    public void Message_TruncatedInTheThirdArgument_ReadsTheFirstTwoThenThrows()
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>();
        int beforeThird;
        using (var writer = marshaller.CreateWriter(output))
        {
            writer.Write(7);
            writer.Write("second");
            beforeThird = (int)writer.Position;
            writer.Write(new Person("Smith", "London", 1934));
        }

        var truncated = new ReadOnlySequence<byte>(output.WrittenMemory[..(beforeThird + 6)]);
        using var reader = marshaller.CreateReader(truncated);

        reader.Read<int>().Should().Be(7);
        reader.Read<string>().Should().Be("second");
        FluentActions.Invoking(() => reader.Read<Person>()).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Message_ReadPastTheEnd_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var bytes = WriteMessage(marshaller, w => w.Write(5));

        foreach (var readPastTheEnd in new Action<MarshallingReader>[] { r => r.Read<int>(), r => r.Read<string>(), r => r.Read<Person>(), r => r.Read(typeof(long)) })
        {
            using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
            reader.Read<int>().Should().Be(5);
            reader.IsAtEnd.Should().BeTrue();

            FluentActions.Invoking(() => readPastTheEnd(reader)).Should().Throw<MarshallingException>();
            FluentActions.Invoking(() => readPastTheEnd(reader)).Should().Throw<InvalidOperationException>("a failed read ends the message");
        }
    }

    [Fact]
    public void Message_NoValues_ReadsAsAtEnd()
    {
        var marshaller = CreateMarshaller();
        var bytes = WriteMessage(marshaller, _ => { });

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));

        reader.IsAtEnd.Should().BeTrue();
    }

    [Fact]
    public void Message_SplitAtEveryByte_ReadsTheSameValues()
    {
        var marshaller = CreateMarshaller();
        var bytes = WriteMessage(marshaller, w =>
        {
            w.Write<byte>(9);
            w.Write("across segments");
            w.Write(new Person("Smith", "London", 1934));
            w.Write(1.25);
        });

        for (var at = 1; at < bytes.Length; at++)
        {
            using var reader = marshaller.CreateReader(CdrTest.Split(bytes, at));
            reader.Read<byte>().Should().Be(9);
            reader.Read<string>().Should().Be("across segments");
            reader.Read<Person>().Should().Be(new Person("Smith", "London", 1934));
            reader.Read<double>().Should().Be(1.25);
            reader.IsAtEnd.Should().BeTrue();
        }
    }

    [Fact]
    public void Message_RandomGarbage_ThrowsOnlyMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var random = new Random(7);
        var failures = new List<string>();

        for (var i = 0; i < 1_000; i++)
        {
            var garbage = new byte[random.Next(0, 64)];
            random.NextBytes(garbage);
            try
            {
                using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(garbage));
                reader.Read<int>();
                reader.Read(typeof(ContractGroup));
                reader.Read<string>();
            }
            catch (MarshallingException)
            {
            }
            catch (Exception ex)
            {
                failures.Add($"{Convert.ToHexString(garbage)}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        failures.Should().BeEmpty();
    }

    [Fact]
    public void Message_WriteAfterAFailedWrite_ThrowsInvalidOperationException()
    {
        var marshaller = CreateMarshaller();
        using var writer = marshaller.CreateWriter(new ArrayBufferWriter<byte>());
        writer.Write(1);

        // An unpaired surrogate has no representation in either format; it is found halfway through the value.
        FluentActions.Invoking(() => writer.Write(new Person("Smith", "\uD800", 1))).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => writer.Write(2)).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Message_UnsupportedType_IsRefusedBeforeWritingAndTheMessageCarriesOn()
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>();
        using var writer = marshaller.CreateWriter(output);
        writer.Write(1);
        var before = output.WrittenCount;

        FluentActions.Invoking(() => writer.Write(new ContractUnsupported(1, () => 1))).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => writer.Write(typeof(ContractUnsupported), new ContractUnsupported(1, () => 1))).Should().Throw<MarshallingException>();

        output.WrittenCount.Should().Be(before);
        writer.Write(2);
        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory));
        reader.Read<int>().Should().Be(1);
        reader.Read<int>().Should().Be(2);
    }

    [Fact]
    public void Message_AfterDispose_ThrowsObjectDisposedException()
    {
        var marshaller = CreateMarshaller();
        var writer = marshaller.CreateWriter(new ArrayBufferWriter<byte>());
        writer.Write(1);
        writer.Dispose();
        writer.Dispose();
        var bytes = WriteMessage(marshaller, w => w.Write(1));
        var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
        reader.Dispose();
        reader.Dispose();

        FluentActions.Invoking(() => writer.Write(2)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => reader.Read<int>()).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void CanMarshal_Interface_OnlyWithASurrogate()
    {
        CreateMarshaller().CanMarshal(typeof(IContractCallback), out _).Should().BeFalse();
        CreateMarshaller().CanMarshal(typeof(ContractHolder), out _).Should().BeFalse();

        var marshaller = CreateMarshaller(new ContractSurrogates());

        marshaller.CanMarshal(typeof(IContractCallback), out var reason).Should().BeTrue(reason);
        marshaller.CanMarshal(typeof(ContractHolder), out reason).Should().BeTrue(reason);
        marshaller.CanMarshal(typeof(List<IContractCallback>), out reason).Should().BeTrue(reason);
    }

    [Fact]
    public void Surrogates_ArgumentMemberListAndArrayElements_ArriveResolvedWithTheReadersContext()
    {
        var surrogates = new ContractSurrogates();
        var marshaller = CreateMarshaller(surrogates);
        var sendContext = new MarshallingContext("outgoing connection");
        var receiveContext = new MarshallingContext("incoming connection");
        var holder = new ContractHolder("h", new ContractCallback(2), [new ContractCallback(3), new ContractCallback(4)], [new ContractCallback(5)]);

        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output, sendContext))
        {
            writer.Write<IContractCallback>(new ContractCallback(1));
            writer.Write(holder);
            writer.Write(typeof(IContractCallback), new ContractCallback(6));
        }

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory), receiveContext);
        var first = reader.Read<IContractCallback>();
        var readHolder = reader.Read<ContractHolder>();
        var last = reader.Read(typeof(IContractCallback));

        surrogates.ReplaceContexts.Should().HaveCount(6).And.OnlyContain(c => ReferenceEquals(c, sendContext));
        surrogates.ResolveContexts.Should().HaveCount(6).And.OnlyContain(c => ReferenceEquals(c, receiveContext));
        first.Should().BeOfType<ContractProxy>().Which.Id.Should().Be(1);
        ((ContractProxy)first).Context.Should().BeSameAs(receiveContext);
        readHolder.Name.Should().Be("h");
        readHolder.Callback.Should().BeOfType<ContractProxy>().Which.Id.Should().Be(2);
        readHolder.Others.Select(o => o.Id).Should().Equal(3, 4);
        readHolder.Others.Should().AllBeOfType<ContractProxy>();
        readHolder.More.Should().ContainSingle().Which.Should().BeOfType<ContractProxy>().Which.Context.Should().BeSameAs(receiveContext);
        last.Should().BeOfType<ContractProxy>().Which.Id.Should().Be(6);
    }

    [Fact]
    public void Surrogates_OnTheWire_AreTheSurrogateType()
    {
        // What travels is the reference itself: read as the surrogate type, it is the reference Replace made.
        var marshaller = CreateMarshaller(new ContractSurrogates());
        var bytes = Marshal(marshaller, (IContractCallback)new ContractCallback(8));

        marshaller.Unmarshal<ContractReference>(new ReadOnlySequence<byte>(bytes)).Should().Be(new ContractReference(8, nameof(ContractCallback)));
    }

    [Fact]
    public void Surrogates_SingleValueMarshal_PassesNoContext()
    {
        var surrogates = new ContractSurrogates();
        var marshaller = CreateMarshaller(surrogates);

        var bytes = Marshal(marshaller, (IContractCallback)new ContractCallback(8));
        var read = marshaller.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(bytes));

        read.Should().BeOfType<ContractProxy>().Which.Id.Should().Be(8);
        surrogates.ReplaceContexts.Should().ContainSingle().Which.Should().BeNull();
        surrogates.ResolveContexts.Should().ContainSingle().Which.Should().BeNull();
    }

    [Fact]
    public void Surrogates_AreChosenWhenCodeIsBuilt_NotPerValue()
    {
        var surrogates = new ContractSurrogates();
        var marshaller = CreateMarshaller(surrogates);
        var holder = new ContractHolder("h", new ContractCallback(1), [new ContractCallback(2)], []);
        marshaller.Unmarshal<ContractHolder>(new ReadOnlySequence<byte>(Marshal(marshaller, holder))).Callback.Id.Should().Be(1);
        var asked = surrogates.Asked.Count;

        for (var i = 0; i < 5; i++)
        {
            marshaller.Unmarshal<ContractHolder>(new ReadOnlySequence<byte>(Marshal(marshaller, holder))).Callback.Id.Should().Be(1);
        }

        surrogates.Asked.Should().HaveCount(asked).And.Contain(typeof(IContractCallback)).And.NotContain(typeof(string)).And.NotContain(typeof(int));
        surrogates.Asked.Count(t => t == typeof(IContractCallback)).Should().Be(1);
        surrogates.ReplaceContexts.Should().HaveCount(12);
    }

    [Fact]
    public void Surrogates_ResolveReturningAnotherType_ThrowsMarshallingException()
    {
        var surrogates = new ContractSurrogates { ResolveOverride = "not a callback" };
        var marshaller = CreateMarshaller(surrogates);
        var bytes = Marshal(marshaller, (IContractCallback)new ContractCallback(8));

        FluentActions.Invoking(() => marshaller.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(bytes)))
            .Should().Throw<MarshallingException>().WithMessage("*Resolve*String*IContractCallback*");
        FluentActions.Invoking(() =>
        {
            using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
            reader.Read<IContractCallback>();
        }).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Surrogates_ReplaceReturningAnotherType_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller(new WrongReplace());

        FluentActions.Invoking(() => marshaller.Marshal<IContractCallback>(new ContractCallback(1), new ArrayBufferWriter<byte>()))
            .Should().Throw<MarshallingException>().WithMessage("*Replace*Int32*ContractReference*");
    }

    [Fact]
    public void Surrogates_ResolveThrowing_SurfacesAsMarshallingException()
    {
        var marshaller = CreateMarshaller(new ThrowingSurrogates(onReplace: false));
        var bytes = Marshal(marshaller, (IContractCallback)new ContractCallback(8));

        FluentActions.Invoking(() => marshaller.Unmarshal<IContractCallback>(new ReadOnlySequence<byte>(bytes)))
            .Should().Throw<MarshallingException>().WithInnerException<InvalidOperationException>().WithMessage("no proxy");
        FluentActions.Invoking(() =>
        {
            using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(bytes));
            reader.Read(typeof(IContractCallback));
        }).Should().Throw<MarshallingException>().WithInnerException<InvalidOperationException>();
    }

    [Fact]
    public void Surrogates_ReplaceThrowing_IsWrappedWithTheOriginalInside()
    {
        var marshaller = CreateMarshaller(new ThrowingSurrogates(onReplace: true));
        using var writer = marshaller.CreateWriter(new ArrayBufferWriter<byte>());

        FluentActions.Invoking(() => writer.Write<IContractCallback>(new ContractCallback(1)))
            .Should().Throw<MarshallingException>().WithInnerException<InvalidOperationException>().WithMessage("not exported");
    }

    [Fact]
    public void Message_PerValue_AllocatesNothing()
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>(64 * 1024);

        long Allocated(int values)
        {
            output.ResetWrittenCount();
            var before = GC.GetAllocatedBytesForCurrentThread();
            using (var writer = marshaller.CreateWriter(output))
            {
                for (var i = 0; i < values; i++)
                {
                    writer.Write(i);
                    writer.Write(2.5);
                }
            }

            using (var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory)))
            {
                for (var i = 0; i < values; i++)
                {
                    reader.Read<int>();
                    reader.Read<double>();
                }
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Allocated(10);
        var few = Allocated(10);
        var many = Allocated(1_000);

        // The writer and reader objects are per message; the values themselves allocate nothing (990 more pairs
        // cost under a byte each, and the smallest allocation takes 24).
        few.Should().BeLessThan(1024);
        many.Should().BeLessThan(few + 990);
    }

    [Fact]
    public void Surrogates_WithoutAProvider_OtherTypesMarshalAsBefore()
    {
        var person = new Person("Smith", "London", 1934);

        Marshal(CreateMarshaller(new ContractSurrogates()), person).Should().Equal(Marshal(CreateMarshaller(), person));
    }

    private static byte[] WriteMessage(IMarshaller marshaller, Action<MarshallingWriter> write, MarshallingContext? context = null)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output, context))
        {
            write(writer);
            writer.Position.Should().Be(output.WrittenCount);
        }

        return output.WrittenSpan.ToArray();
    }

    private sealed class ThrowingSurrogates(bool onReplace) : IMarshallingSurrogateProvider
    {
        public Type? GetSurrogateType(Type declaredType) => declaredType == typeof(IContractCallback) ? typeof(ContractReference) : null;

        public object? Replace(object? value, Type declaredType, MarshallingContext? context) =>
            onReplace ? throw new InvalidOperationException("not exported") : new ContractReference(1, "x");

        public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context) => throw new InvalidOperationException("no proxy");
    }

    private sealed class WrongReplace : IMarshallingSurrogateProvider
    {
        public Type? GetSurrogateType(Type declaredType) => declaredType == typeof(IContractCallback) ? typeof(ContractReference) : null;

        public object? Replace(object? value, Type declaredType, MarshallingContext? context) => 42;

        public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context) => surrogate;
    }
}
