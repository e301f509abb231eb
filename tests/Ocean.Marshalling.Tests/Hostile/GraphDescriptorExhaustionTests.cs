using Ocean.Marshalling.Internal;

namespace Ocean.Marshalling.Tests.Hostile;

/// <summary>A registered class that hostile descriptors name.</summary>
public sealed class GraphCacheTarget
{
    public int A { get; set; }
}

/// <summary>
/// Descriptor exhaustion: every stream may carry new (valid, version-skewed) descriptors of a registered class, and
/// the marshaller caches the plans it makes for them. A flood must not grow the cache without bound, in entries or
/// bytes, nor fill it for good so an honest peer's descriptor is never cached again.
/// </summary>
[Trait("Category", "Hostile")]
public sealed class GraphDescriptorExhaustionTests
{
    [Fact]
    public void Unmarshal_FloodOfDistinctDescriptors_CacheStaysBoundedAndStillTakesNewOnes()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<GraphCacheTarget>("test.CacheTarget"));
        var cache = marshaller.Factory.SkewedDescriptors;

        for (var i = 0; i < 3 * cache.MaxEntries; i++)
        {
            // Member A and one the reader does not know: a valid stream from "another version".
            var descriptor = GraphStreamBuilder.Descriptor("test.CacheTarget", ("A", [0x06]), ($"x{i}", [0x06]));
            var stream = GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(descriptor).Int32(i).Int32(-i).ToArray();
            marshaller.Read<GraphCacheTarget>(stream).A.Should().Be(i);
        }

        cache.Count.Should().BeLessThanOrEqualTo(cache.MaxEntries);

        // An honest peer of another version comes after the flood: its descriptor is still cached.
        var honest = GraphStreamBuilder.Descriptor("test.CacheTarget", ("A", [0x06]), ("Added", [0x0E]));
        var honestStream = GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(honest).Int32(7).Raw(0x04).Raw("new"u8.ToArray()).ToArray();
        marshaller.Read<GraphCacheTarget>(honestStream).A.Should().Be(7);
        cache.TryGet(honest, out var entry).Should().BeTrue("a flood must not fill the cache for good");
        entry.Class.Type.Should().Be<GraphCacheTarget>();
    }

    [Fact]
    public void Unmarshal_FloodAfterAnHonestDescriptorInUse_EvictsTheFloodFirst()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<GraphCacheTarget>("test.CacheTarget"));
        var cache = marshaller.Factory.SkewedDescriptors;
        var honest = GraphStreamBuilder.Descriptor("test.CacheTarget", ("A", [0x06]), ("Added", [0x0E]));
        var honestStream = GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(honest).Int32(7).Raw(0x01).ToArray();

        // Cached by the first stream, used by the second.
        marshaller.Read<GraphCacheTarget>(honestStream).A.Should().Be(7);
        marshaller.Read<GraphCacheTarget>(honestStream).A.Should().Be(7);

        // More new descriptors than the cache holds: oldest-first eviction alone would drop the honest one.
        for (var i = 0; i < cache.MaxEntries + 10; i++)
        {
            var descriptor = GraphStreamBuilder.Descriptor("test.CacheTarget", ("A", [0x06]), ($"x{i}", [0x06]));
            marshaller.Read<GraphCacheTarget>(GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(descriptor).Int32(i).Int32(0).ToArray());
        }

        cache.Count.Should().BeLessThanOrEqualTo(cache.MaxEntries);
        cache.TryGet(honest, out _).Should().BeTrue("a descriptor in use is spared before the flood's, which were each used once");
    }

    [Fact]
    public void Unmarshal_FloodOfLargeDescriptors_CacheBytesStayBounded()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<GraphCacheTarget>("test.CacheTarget"));
        var cache = marshaller.Factory.SkewedDescriptors;
        var padding = new string('p', 1000);

        // 200 descriptors of about 40 KB each: 8 MB if all were kept.
        for (var i = 0; i < 200; i++)
        {
            var members = new (string, byte[])[] { ("A", [0x06]) }.Concat(Enumerable.Range(0, 40).Select(m => ($"{i}.{m}.{padding}", new byte[] { 0x01 }))).ToArray();
            var descriptor = GraphStreamBuilder.Descriptor("test.CacheTarget", members);
            var stream = GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(descriptor).Int32(i).Raw(new byte[40]).ToArray();
            marshaller.Read<GraphCacheTarget>(stream).A.Should().Be(i);
        }

        cache.TotalWeight.Should().BeLessThanOrEqualTo(cache.MaxWeight);
        cache.Count.Should().BeLessThan(200);
    }

    [Fact]
    public void Unmarshal_FloodWithSmallConfiguredBounds_CacheStaysWithinThem()
    {
        const int maxEntries = 8;
        const int maxBytes = 3_000;
        var marshaller = new GraphMarshaller(
            new GraphTypeRegistry().Register<GraphCacheTarget>("test.CacheTarget"),
            new GraphMarshallerOptions { MaxCachedDescriptors = maxEntries, MaxCachedDescriptorBytes = maxBytes });
        var cache = marshaller.Factory.SkewedDescriptors;
        var padding = new string('p', 400);

        // Each descriptor weighs about 450 + 3 × 128 bytes: the byte bound holds three, the entry bound eight.
        for (var i = 0; i < 100; i++)
        {
            var descriptor = GraphStreamBuilder.Descriptor("test.CacheTarget", ("A", [0x06]), ($"x{i}{padding}", [0x06]), ($"y{i}", [0x06]));
            var stream = GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(descriptor).Int32(i).Int32(0).Int32(0).ToArray();
            marshaller.Read<GraphCacheTarget>(stream).A.Should().Be(i);
            cache.Count.Should().BeLessThanOrEqualTo(maxEntries);
            cache.TotalWeight.Should().BeLessThanOrEqualTo(maxBytes);
        }

        cache.Count.Should().Be(3, "the byte bound is the tighter one here");

        // Small descriptors (about 40 + 2 × 128 bytes each): the entry bound is the tighter one.
        for (var i = 0; i < 100; i++)
        {
            var descriptor = GraphStreamBuilder.Descriptor("test.CacheTarget", ("A", [0x06]), ($"z{i}", [0x06]));
            marshaller.Read<GraphCacheTarget>(GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(descriptor).Int32(i).Int32(0).ToArray()).A.Should().Be(i);
            cache.Count.Should().BeLessThanOrEqualTo(maxEntries);
        }

        cache.Count.Should().Be(maxEntries);

        // A descriptor heavier than the whole byte bound (but under 64 KiB) is read and not kept.
        var heavy = GraphStreamBuilder.Descriptor("test.CacheTarget", ("A", [0x06]), (new string('h', 1_000), [0x06]), (new string('k', 1_000), [0x06]), (new string('m', 1_000), [0x06]));
        GraphDescriptorCache.Weight(heavy.Length, 4).Should().BeGreaterThan(maxBytes).And.BeLessThan(GraphDescriptorCache.MaxEntryWeight);
        marshaller.Read<GraphCacheTarget>(GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(heavy).Int32(3).Int32(0).Int32(0).Int32(0).ToArray()).A.Should().Be(3);
        cache.TryGet(heavy, out _).Should().BeFalse();
        cache.Count.Should().Be(maxEntries, "refusing the heavy one evicts nothing");
    }

    [Fact]
    public void Options_CachedDescriptorBounds_DefaultsAndValidation()
    {
        var options = new GraphMarshallerOptions();
        options.MaxCachedDescriptors.Should().Be(1024);
        options.MaxCachedDescriptorBytes.Should().Be(4 * 1024 * 1024);
        var cache = new GraphMarshaller(new GraphTypeRegistry(), options).Factory.SkewedDescriptors;
        cache.MaxEntries.Should().Be(1024);
        cache.MaxWeight.Should().Be(4 * 1024 * 1024);

        FluentActions.Invoking(() => new GraphMarshallerOptions { MaxCachedDescriptors = 0 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new GraphMarshallerOptions { MaxCachedDescriptorBytes = -1 }).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Unmarshal_DescriptorTooLargeToKeep_ReadButNotCached()
    {
        var marshaller = new GraphMarshaller(new GraphTypeRegistry().Register<GraphCacheTarget>("test.CacheTarget"));
        var members = new (string, byte[])[] { ("A", [0x06]) }.Concat(Enumerable.Range(0, 100).Select(m => ($"{m}.{new string('q', 1000)}", new byte[] { 0x01 }))).ToArray();
        var descriptor = GraphStreamBuilder.Descriptor("test.CacheTarget", members);
        descriptor.Length.Should().BeGreaterThan(GraphDescriptorCache.MaxEntryWeight);

        marshaller.Read<GraphCacheTarget>(GraphStreamBuilder.Stream(0x10).Raw(0x02, 0x00).Raw(descriptor).Int32(5).Raw(new byte[100]).ToArray()).A.Should().Be(5);

        marshaller.Factory.SkewedDescriptors.TryGet(descriptor, out _).Should().BeFalse();
    }
}
