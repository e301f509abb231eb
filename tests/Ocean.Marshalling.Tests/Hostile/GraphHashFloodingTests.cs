namespace Ocean.Marshalling.Tests.Hostile;

/// <summary>An enum over long, so its keys can be chosen to collide as longs do.</summary>
public enum GraphWideKey : long
{
    None = 0,
}

/// <summary>A registered key type whose hash is the same for every value (as a peer can arrange for a record's), counting its Equals calls.</summary>
public sealed record GraphCollidingKey(long Value)
{
    private static long s_equalsCalls;

    public static long EqualsCalls => Interlocked.Read(ref s_equalsCalls);

    public bool Equals(GraphCollidingKey? other)
    {
        Interlocked.Increment(ref s_equalsCalls);
        return other is not null && Value == other.Value;
    }

    public override int GetHashCode() => 0;
}

/// <summary>A registered record key with the compiler's value-based hash.</summary>
public sealed record GraphPointKey(int X, int Y);

/// <summary>
/// A registered struct key with the default struct hash, which for a struct holding a reference hashes only its first
/// non-null field: every key of one category shares a hash. Honest, and common.
/// </summary>
public struct GraphCategoryKey
{
    public string Category;
    public int Id;
}

/// <summary>A registered record key whose (honest but poor) hash takes only 10 values.</summary>
public sealed record GraphTenHashKey(int Id)
{
    public override int GetHashCode() => Id % 10;
}

/// <summary>
/// Hash flooding: a peer picks dictionary keys whose default hash codes collide (or land in one bucket), which would
/// make reading a dictionary quadratic. Work is counted (hash spread, Equals calls), never timed.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class GraphHashFloodingTests
{
    private const int Keys = 10_000;

    /// <summary>The number of buckets .NET gives a dictionary of <see cref="Keys"/> entries (a prime from its table).</summary>
    private const int Buckets = 10_103;

    private static readonly GraphMarshaller s_marshaller = new(Registry());

    public static TheoryData<string> KeyKinds => ["long", "double", "decimal", "int", "enum"];

    [Theory]
    [MemberData(nameof(KeyKinds))]
    public void Unmarshal_KeysThatCollideUnderTheDefaultHash_AreSpreadOverBuckets(string kind)
    {
        switch (kind)
        {
            case "long":
                // (x << 32) | x hashes to 0 for every long.
                Check(Enumerable.Range(1, Keys).Select(x => ((long)x << 32) | (uint)x));
                break;
            case "double":
                Check(Enumerable.Range(1, Keys).Select(x => BitConverter.Int64BitsToDouble(((long)x << 32) | (uint)x)));
                break;
            case "decimal":
                // Hashed as flags ^ hi ^ mid ^ lo: 0 whenever lo == mid.
                Check(Enumerable.Range(1, Keys).Select(x => new decimal(x, x, 0, false, 0)));
                break;
            case "int":
                // Distinct hashes, but all in bucket 0.
                Check(Enumerable.Range(0, Keys).Select(x => x * Buckets));
                break;
            default:
                Check(Enumerable.Range(1, Keys).Select(x => (GraphWideKey)(((long)x << 32) | (uint)x)));
                break;
        }
    }

    [Fact]
    public void Unmarshal_StructKeysWithTheDefaultHashOverThreeCategories_ReadBack()
    {
        var source = Enumerable.Range(0, 1_000).ToDictionary(i => new GraphCategoryKey { Category = "cat" + (i % 3), Id = i }, i => i);
        source.Keys.Select(k => k.GetHashCode()).Distinct().Should().HaveCount(3, "the default struct hash covers only the first field");

        // About 1,000² / 6 = 167,000 comparisons: honest, and refused by a per-dictionary budget of 16 per entry.
        var read = s_marshaller.RoundTrip(source);

        read.Should().HaveCount(1_000);
        read[new GraphCategoryKey { Category = "cat1", Id = 511 }].Should().Be(511);
        read.ContainsKey(new GraphCategoryKey { Category = "cat2", Id = 511 }).Should().BeFalse();
    }

    [Fact]
    public void Unmarshal_RecordKeysWithTenDistinctHashes_ReadBack()
    {
        var source = Enumerable.Range(0, 5_000).ToDictionary(i => new GraphTenHashKey(i), i => -i);

        // About 5,000² / 20 = 1.25 million comparisons.
        var read = s_marshaller.RoundTrip(source);

        read.Should().HaveCount(5_000);
        read[new GraphTenHashKey(4_321)].Should().Be(-4_321);
    }

    [Fact]
    public void Unmarshal_DictionaryOfRecordKeysWithOneHashCode_RefusedAfterTheStreamBudget()
    {
        // Reading all 6,000 would compare each key with every one before it: 18 million calls.
        const int count = 6_000;
        var source = Enumerable.Range(0, count).ToDictionary(i => new GraphCollidingKey(i), i => i);
        var bytes = s_marshaller.Bytes(source);
        var budget = new GraphMarshallerOptions().MaxKeyComparisons;
        var before = GraphCollidingKey.EqualsCalls;

        FluentActions.Invoking(() => s_marshaller.Read<Dictionary<GraphCollidingKey, int>>(bytes))
            .Should().Throw<MarshallingException>().WithMessage("*hash codes*MaxKeyComparisons*").Which.Error.Should().Be(MarshallingError.LimitExceeded);

        (GraphCollidingKey.EqualsCalls - before).Should().BeLessThanOrEqualTo(budget + count + 1);
    }

    [Fact]
    public void Unmarshal_ManyMediumDictionariesOfCollidingKeys_RefusedOnceTheirTotalExceedsTheStreamBudget()
    {
        // 64 colliding keys cost 2,016 comparisons; 40 such dictionaries 80,640, past a budget of 50,000 + 1 per entry.
        const int budget = 50_000;
        const int dictionaries = 40;
        const int count = 64;
        var marshaller = new GraphMarshaller(Registry(), new GraphMarshallerOptions { MaxKeyComparisons = budget });
        var one = Enumerable.Range(0, count).ToDictionary(i => new GraphCollidingKey(i), i => i);
        var many = Enumerable.Range(0, dictionaries).Select(d => Enumerable.Range(0, count).ToDictionary(i => new GraphCollidingKey((d * count) + i), i => i)).ToList();
        var bytes = marshaller.Bytes(many);

        // Each alone is well within the budget.
        marshaller.RoundTrip(one).Should().HaveCount(count);
        marshaller.RoundTrip(many.Take(10).ToList()).Should().HaveCount(10);

        var before = GraphCollidingKey.EqualsCalls;
        FluentActions.Invoking(() => marshaller.Read<List<Dictionary<GraphCollidingKey, int>>>(bytes))
            .Should().Throw<MarshallingException>().WithMessage("*MaxKeyComparisons*").Which.Error.Should().Be(MarshallingError.LimitExceeded);

        (GraphCollidingKey.EqualsCalls - before).Should().BeLessThanOrEqualTo(budget + (dictionaries * count) + 1);
    }

    [Fact]
    public void Unmarshal_CollidingKeysWithinTheBudget_LookupsAfterTheReadAreNotCharged()
    {
        // Three colliding keys take 0 + 1 + 2 comparisons, within 1 + one per entry; lookups afterwards cost nothing.
        var marshaller = new GraphMarshaller(Registry(), new GraphMarshallerOptions { MaxKeyComparisons = 1 });
        var read = marshaller.RoundTrip(Enumerable.Range(0, 3).ToDictionary(i => new GraphCollidingKey(i), i => i));

        for (var i = 0; i < 100; i++)
        {
            read[new GraphCollidingKey(i % 3)].Should().Be(i % 3);
        }

        // Keys hashed by value never spend the budget, however their default hashes collide.
        var longs = Enumerable.Range(1, 10_000).ToDictionary(x => ((long)x << 32) | (uint)x, x => x);
        marshaller.RoundTrip(longs).Should().HaveCount(10_000);
    }

    [Fact]
    public void MaxKeyComparisons_DefaultAndValidation()
    {
        new GraphMarshallerOptions().MaxKeyComparisons.Should().Be(2_000_000);
        FluentActions.Invoking(() => new GraphMarshallerOptions { MaxKeyComparisons = 0 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new GraphMarshallerOptions { MaxKeyComparisons = -1 }).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void MaxKeyComparisons_HonestPoorHashUnderALowerLimit_RefusedNamingTheOption()
    {
        var bytes = s_marshaller.Bytes(Enumerable.Range(0, 5_000).ToDictionary(i => new GraphTenHashKey(i), i => i));
        var strict = new GraphMarshaller(Registry(), new GraphMarshallerOptions { MaxKeyComparisons = 100_000 });

        FluentActions.Invoking(() => strict.Read<Dictionary<GraphTenHashKey, int>>(bytes))
            .Should().Throw<MarshallingException>().WithMessage("*100000 key comparisons*MaxKeyComparisons*").Which.Error.Should().Be(MarshallingError.LimitExceeded);
    }

    [Fact]
    public void Unmarshal_SmallDictionaryOfCollidingKeys_ReadWithinItsBoundedWork()
    {
        const int count = 64;
        var source = Enumerable.Range(0, count).ToDictionary(i => new GraphCollidingKey(i), i => i);
        var bytes = s_marshaller.Bytes(source);
        var before = GraphCollidingKey.EqualsCalls;

        var read = s_marshaller.Read<Dictionary<GraphCollidingKey, int>>(bytes);

        read.Should().HaveCount(count);
        (GraphCollidingKey.EqualsCalls - before).Should().BeLessThanOrEqualTo(count * (count - 1) / 2);
    }

    [Fact]
    public void Unmarshal_RecordKeys_ReadBackAndFoundByValue()
    {
        var source = Enumerable.Range(0, Keys).ToDictionary(i => new GraphPointKey(i, -i), i => i);

        var read = s_marshaller.RoundTrip(source);

        read.Should().HaveCount(Keys);
        read[new GraphPointKey(1234, -1234)].Should().Be(1234);
        read.ContainsKey(new GraphPointKey(1234, 1234)).Should().BeFalse();
    }

    [Fact]
    public void Unmarshal_FloatingPointKeys_EqualValuesStillMatch()
    {
        var otherNaN = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0001);
        var doubles = s_marshaller.RoundTrip(new Dictionary<double, int> { [0.0] = 1, [double.NaN] = 2, [1.5] = 3 });
        doubles[-0.0].Should().Be(1);
        doubles[otherNaN].Should().Be(2);
        doubles[1.5].Should().Be(3);

        var floats = s_marshaller.RoundTrip(new Dictionary<float, int> { [-0.0f] = 1, [float.NaN] = 2 });
        floats[0.0f].Should().Be(1);
        floats[BitConverter.Int32BitsToSingle(0x7FC0_0001)].Should().Be(2);

        var decimals = s_marshaller.RoundTrip(new Dictionary<decimal, int> { [1.0m] = 1, [0m] = 2, [-2.50m] = 3 });
        decimals[1m].Should().Be(1);
        decimals[1.000m].Should().Be(1);
        decimals[new decimal(0, 0, 0, true, 3)].Should().Be(2, "-0.000 equals 0");
        decimals[-2.5m].Should().Be(3);
        decimals.ContainsKey(2.5m).Should().BeFalse();
    }

    [Fact]
    public void Unmarshal_StringAndEnumKeys_KeepTheirEquality()
    {
        var strings = s_marshaller.RoundTrip(new Dictionary<string, int> { ["a"] = 1, ["B"] = 2 });
        strings["a"].Should().Be(1);
        strings.ContainsKey("b").Should().BeFalse();

        var colors = s_marshaller.RoundTrip(new Dictionary<GraphColor, string> { [GraphColor.Red] = "r", [GraphColor.Green] = "g" });
        colors[GraphColor.Green].Should().Be("g");
    }

    private static GraphTypeRegistry Registry() => new GraphTypeRegistry()
        .Register<GraphCollidingKey>("test.CollidingKey")
        .Register<GraphPointKey>("test.PointKey")
        .Register<GraphCategoryKey>("test.CategoryKey")
        .Register<GraphTenHashKey>("test.TenHashKey");

    private static void Check<TKey>(IEnumerable<TKey> keys)
        where TKey : notnull
    {
        var source = keys.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i);
        source.Should().HaveCount(Keys, "the keys are distinct");

        var read = s_marshaller.RoundTrip(source);

        read.Should().HaveCount(Keys);
        foreach (var (key, value) in source)
        {
            read[key].Should().Be(value);
        }

        // With the default hash every key lands in one bucket; a keyed hash spreads them as chance does (~63%).
        var comparer = read.Comparer;
        var buckets = source.Keys.Select(k => (uint)comparer.GetHashCode(k) % Buckets).Distinct().Count();
        buckets.Should().BeGreaterThan(Keys / 2, "a peer must not be able to choose keys that share a bucket");
    }
}
