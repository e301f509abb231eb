using System.Buffers;
using Ocean.Framing;

namespace Ocean.Marshalling.Tests;

/// <summary>A record with a list, used by the contract tests.</summary>
public sealed record ContractGroup(string Title, List<Person> People, int Revision);

/// <summary>A record used only by the contract's concurrency test, so its code is built under contention.</summary>
public sealed record ContractConcurrencyItem(int Id, string Text, List<int> Numbers, Person Owner, double Weight);

/// <summary>A type no marshaller can carry: it holds code, not data.</summary>
public sealed record ContractUnsupported(int Id, Func<int> Callback);

/// <summary>
/// What every <see cref="IMarshaller"/> must do, whatever its wire format. Each marshaller gets a subclass that
/// only says how to create it; the tests stay neutral about the bytes.
/// </summary>
public abstract partial class MarshallerContractTests
{
    protected abstract IMarshaller CreateMarshaller();

    [Fact]
    public void Name_IsNotEmpty()
    {
        CreateMarshaller().Name.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void RoundTrip_Person_IsEqual()
    {
        var person = new Person("Smith", "London", 1934);

        RoundTrip(person).Should().Be(person);
    }

    [Fact]
    public void RoundTrip_RecordWithList_IsEquivalent()
    {
        var group = new ContractGroup("Founders", [new Person("Smith", "London", 1934), new Person("Jones", "Leeds", -1)], 3);

        RoundTrip(group).Should().BeEquivalentTo(group, o => o.WithStrictOrdering());
    }

    [Fact]
    public void RoundTrip_RecordWithEmptyList_KeepsAnEmptyList()
    {
        var group = new ContractGroup(string.Empty, [], 0);

        var read = RoundTrip(group);

        read.People.Should().NotBeNull().And.BeEmpty();
        read.Title.Should().BeEmpty();
    }

    [Fact]
    public void RoundTrip_EmptyList_IsEmpty()
    {
        RoundTrip(new List<Person>()).Should().NotBeNull().And.BeEmpty();
    }

    [Fact]
    public void RoundTrip_Latin1String_IsEqual()
    {
        var text = "Zo\u00EB \u00C6r\u00F8 \u00E0 A\u00E7a\u00ED \u00BFqu\u00E9? \u00FF";

        RoundTrip(text).Should().Be(text);
        RoundTrip(new Person(text, text, 0)).Should().Be(new Person(text, text, 0));
    }

    [Fact]
    public void RoundTrip_ExtremeIntegers_AreEqual()
    {
        RoundTrip(int.MinValue).Should().Be(int.MinValue);
        RoundTrip(long.MaxValue).Should().Be(long.MaxValue);
        RoundTrip(ulong.MaxValue).Should().Be(ulong.MaxValue);
        RoundTrip(double.NegativeInfinity).Should().Be(double.NegativeInfinity);
    }

    [Fact]
    public void Unmarshal_EmptyInput_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller();

        FluentActions.Invoking(() => marshaller.Unmarshal<Person>(ReadOnlySequence<byte>.Empty)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => marshaller.Unmarshal<ContractGroup>(ReadOnlySequence<byte>.Empty)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => marshaller.Unmarshal<int>(ReadOnlySequence<byte>.Empty)).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Unmarshal_AllOnes_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var garbage = new ReadOnlySequence<byte>(Enumerable.Repeat((byte)0xFF, 64).ToArray());

        FluentActions.Invoking(() => marshaller.Unmarshal<Person>(garbage)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => marshaller.Unmarshal<ContractGroup>(garbage)).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Unmarshal_RandomGarbage_ThrowsOnlyMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var random = new Random(42);
        var failures = new List<string>();

        for (var i = 0; i < 2_000; i++)
        {
            var garbage = new byte[random.Next(1, 80)];
            random.NextBytes(garbage);
            try
            {
                marshaller.Unmarshal<ContractGroup>(new ReadOnlySequence<byte>(garbage));
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
    public void Unmarshal_TrailingBytes_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var bytes = Marshal(marshaller, new Person("Smith", "London", 1934));

        FluentActions.Invoking(() => marshaller.Unmarshal<Person>(new ReadOnlySequence<byte>([.. bytes, 0, 0, 0, 0, 0, 0, 0, 0])))
            .Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Unmarshal_EveryTruncation_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var bytes = Marshal(marshaller, new ContractGroup("g", [new Person("Smith", "London", 1934)], 1));

        for (var length = 0; length < bytes.Length; length++)
        {
            FluentActions.Invoking(() => marshaller.Unmarshal<ContractGroup>(new ReadOnlySequence<byte>(bytes, 0, length)))
                .Should().Throw<MarshallingException>("{0} of {1} bytes are truncated", length, bytes.Length);
        }
    }

    [Fact]
    public void CanMarshal_UnsupportedType_IsFalseWithReason()
    {
        var marshaller = CreateMarshaller();

        marshaller.CanMarshal(typeof(ContractUnsupported), out var reason).Should().BeFalse();
        reason.Should().NotBeNullOrWhiteSpace();
        marshaller.CanMarshal(typeof(Func<int>), out reason).Should().BeFalse();
        reason.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void CanMarshal_SupportedTypes_IsTrue()
    {
        var marshaller = CreateMarshaller();

        marshaller.CanMarshal(typeof(Person), out var reason).Should().BeTrue(reason);
        marshaller.CanMarshal(typeof(ContractGroup), out reason).Should().BeTrue(reason);
        marshaller.CanMarshal(typeof(string), out reason).Should().BeTrue(reason);
        marshaller.CanMarshal(typeof(List<int>), out reason).Should().BeTrue(reason);
    }

    [Fact]
    public void Marshal_UnsupportedType_ThrowsMarshallingException()
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>();

        FluentActions.Invoking(() => marshaller.Marshal(new ContractUnsupported(1, () => 1), output)).Should().Throw<MarshallingException>();
        FluentActions.Invoking(() => marshaller.Unmarshal<ContractUnsupported>(new ReadOnlySequence<byte>(new byte[16]))).Should().Throw<MarshallingException>();
    }

    [Fact]
    public void Marshal_NullOutput_ThrowsArgumentNullException()
    {
        FluentActions.Invoking(() => CreateMarshaller().Marshal(1, null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task MarshalAndUnmarshal_EightParallelTasks_AreThreadSafe()
    {
        var marshaller = CreateMarshaller();
        const int Tasks = 8;
        const int PerTask = 1_000;
        using var start = new Barrier(Tasks);

        var tasks = Enumerable.Range(0, Tasks).Select(t => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(TestTimeouts.Operation);
                var output = new ArrayBufferWriter<byte>();
                for (var i = 0; i < PerTask; i++)
                {
                    var item = new ContractConcurrencyItem(
                        (t * PerTask) + i,
                        $"task {t} item {i} \u00E9",
                        [.. Enumerable.Range(0, i % 7)],
                        new Person($"p{i}", $"t{t}", i),
                        i / 3.0);
                    output.ResetWrittenCount();
                    marshaller.Marshal(item, output);
                    var read = marshaller.Unmarshal<ContractConcurrencyItem>(new ReadOnlySequence<byte>(output.WrittenMemory));

                    read.Id.Should().Be(item.Id);
                    read.Text.Should().Be(item.Text);
                    read.Numbers.Should().Equal(item.Numbers);
                    read.Owner.Should().Be(item.Owner);
                    read.Weight.Should().Be(item.Weight);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default));

        await Task.WhenAll(tasks).WithTimeout(TestTimeouts.Load);
    }

    private static byte[] Marshal<T>(IMarshaller marshaller, T value)
    {
        var output = new ArrayBufferWriter<byte>();
        marshaller.Marshal(value, output);
        return output.WrittenSpan.ToArray();
    }

    private T RoundTrip<T>(T value)
    {
        var marshaller = CreateMarshaller();
        var output = new ArrayBufferWriter<byte>();
        marshaller.Marshal(value, output);
        return marshaller.Unmarshal<T>(new ReadOnlySequence<byte>(output.WrittenMemory));
    }
}

/// <summary>The contract for the CDR marshaller, big-endian (the default).</summary>
public sealed class CdrMarshallerContractTests : MarshallerContractTests
{
    [Fact]
    public void Surrogates_SameObjectTwiceInAMessage_IsReplacedAndResolvedPerOccurrence()
    {
        // CDR has no references: each occurrence travels as its own surrogate (documented in the README).
        var surrogates = new ContractSurrogates();
        var marshaller = CreateMarshaller(surrogates);
        var callback = new ContractCallback(1);
        var output = new ArrayBufferWriter<byte>();
        using (var writer = marshaller.CreateWriter(output))
        {
            writer.Write<IContractCallback>(callback);
            writer.Write<IContractCallback>(callback);
        }

        using var reader = marshaller.CreateReader(new ReadOnlySequence<byte>(output.WrittenMemory));
        reader.Read<IContractCallback>().Should().NotBeSameAs(reader.Read<IContractCallback>());
        surrogates.ReplaceContexts.Should().HaveCount(2);
        surrogates.ResolveContexts.Should().HaveCount(2);
    }

    [Fact]
    public void Options_ChangedAfterConstruction_DoNotTakeEffect()
    {
        var options = new CdrMarshallerOptions { MaxDepth = 64 };
        var marshaller = new CdrMarshaller(options);
        options.ByteOrder = ByteOrder.LittleEndian;
        options.MaxObjects = 1;

        var output = new ArrayBufferWriter<byte>();
        marshaller.Marshal(1, output);
        output.WrittenSpan.ToArray().Should().Equal(0, 0, 0, 1);
        var group = new ContractGroup("g", [new Person("a", "b", 1)], 1);
        output.Clear();
        marshaller.Marshal(group, output);
        marshaller.Unmarshal<ContractGroup>(new ReadOnlySequence<byte>(output.WrittenMemory)).People.Should().ContainSingle();
    }

    protected override IMarshaller CreateMarshaller() => CdrMarshaller.Default;

    protected override IMarshaller CreateMarshaller(IMarshallingSurrogateProvider surrogates) => new CdrMarshaller(new CdrMarshallerOptions { SurrogateProvider = surrogates });
}

/// <summary>The contract for the CDR marshaller, little-endian.</summary>
public sealed class CdrLittleEndianMarshallerContractTests : MarshallerContractTests
{
    protected override IMarshaller CreateMarshaller() => new CdrMarshaller(new CdrMarshallerOptions { ByteOrder = ByteOrder.LittleEndian });

    protected override IMarshaller CreateMarshaller(IMarshallingSurrogateProvider surrogates) =>
        new CdrMarshaller(new CdrMarshallerOptions { ByteOrder = ByteOrder.LittleEndian, SurrogateProvider = surrogates });
}
