using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Ocean.Framing;

namespace Ocean.Marshalling.Tests;

/// <summary>One level of a chain of nested structs; <typeparamref name="TTag"/> only makes each chain a fresh type.</summary>
public sealed record Layer<TInner, TTag>(TInner Inner, int A, long B, string C, double D);

/// <summary>A type argument that makes fresh generic types at run time.</summary>
public sealed class Tag<T>;

/// <summary>
/// Codecs are built once per type, lazily, while other threads may already be marshalling: a thread that
/// asks for a type while another is still building it must get a finished codec (or wait), never a half-built one.
/// </summary>
public sealed class CdrConcurrencyTests
{
    private const int Trials = 6;
    private const int ChainDepth = 8;
    private static readonly int[] s_racerDelaysMicroseconds = [0, 25, 50, 100, 200, 400, 800, 1600];

    [Fact]
    public async Task Marshal_TypeBeingBuiltByAnotherThread_NeverSeesAHalfBuiltCodec()
    {
        var failures = new ConcurrentBag<string>();
        Type tag = typeof(int);
        for (var trial = 0; trial < Trials; trial++)
        {
            var attempt = trial;
            tag = typeof(Tag<>).MakeGenericType(tag);
            var (type, value) = Chain(tag);
            var marshal = typeof(CdrConcurrencyTests).GetMethod(nameof(MarshalBoxed), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(type).CreateDelegate<Func<object, byte[]>>();
            CdrMarshaller.Default.CanMarshal(type, out _).Should().BeTrue();

            var started = 0;
            var builder = new Thread(() =>
            {
                Volatile.Write(ref started, 1);
                try
                {
                    marshal(value);
                }
                catch (Exception ex)
                {
                    // A racer may have started the build first, so the builder can be the one that sees it half-done.
                    failures.Add($"trial {attempt}, builder: {ex.GetType().Name}: {ex.Message}");
                }
            });
            var racers = s_racerDelaysMicroseconds.Select(delay => new Thread(() =>
            {
                while (Volatile.Read(ref started) == 0)
                {
                    Thread.SpinWait(1);
                }

                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalMicroseconds < delay)
                {
                    Thread.SpinWait(1);
                }

                try
                {
                    marshal(value);
                }
                catch (Exception ex)
                {
                    failures.Add($"trial {attempt}, racer after {delay} us: {ex.GetType().Name}: {ex.Message}");
                }
            })).ToList();

            racers.ForEach(r => r.Start());
            builder.Start();
            await Task.Run(() =>
            {
                builder.Join();
                racers.ForEach(r => r.Join());
            }).WithTimeout();
        }

        failures.Should().BeEmpty();
    }

    [Fact]
    public async Task Unmarshal_TypeBeingBuiltByAnotherThread_ReadsValidInput()
    {
        var failures = new ConcurrentBag<string>();
        Type tag = typeof(long);
        for (var trial = 0; trial < Trials; trial++)
        {
            var attempt = trial;
            tag = typeof(Tag<>).MakeGenericType(tag);
            var (type, value) = Chain(tag);
            var unmarshal = typeof(CdrConcurrencyTests).GetMethod(nameof(UnmarshalBoxed), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(type).CreateDelegate<Func<byte[], object>>();

            // The bytes come from an identical chain of another (already built) tag, so this type is still unbuilt.
            var (twinType, twinValue) = Chain(typeof(Tag<>).MakeGenericType(typeof(List<>).MakeGenericType(tag)));
            var bytes = (byte[])typeof(CdrConcurrencyTests).GetMethod(nameof(MarshalBoxed), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(twinType).Invoke(null, [twinValue])!;

            var started = 0;
            var builder = new Thread(() =>
            {
                Volatile.Write(ref started, 1);
                try
                {
                    unmarshal(bytes);
                }
                catch (Exception ex)
                {
                    // A racer may have started the build first, so the builder can be the one that sees it half-done.
                    failures.Add($"trial {attempt}, builder: {ex.GetType().Name}: {ex.Message}");
                }
            });
            var racers = s_racerDelaysMicroseconds.Select(delay => new Thread(() =>
            {
                while (Volatile.Read(ref started) == 0)
                {
                    Thread.SpinWait(1);
                }

                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalMicroseconds < delay)
                {
                    Thread.SpinWait(1);
                }

                try
                {
                    unmarshal(bytes);
                }
                catch (Exception ex)
                {
                    failures.Add($"trial {attempt}, racer after {delay} us: {ex.GetType().Name}: {ex.Message}");
                }
            })).ToList();

            racers.ForEach(r => r.Start());
            builder.Start();
            await Task.Run(() =>
            {
                builder.Join();
                racers.ForEach(r => r.Join());
            }).WithTimeout();
        }

        failures.Should().BeEmpty();
    }

    private static byte[] MarshalBoxed<T>(object value) => CdrTest.Marshal((T)value, ByteOrder.BigEndian);

    private static object UnmarshalBoxed<T>(byte[] bytes) => CdrTest.Unmarshal<T>(bytes, ByteOrder.BigEndian)!;

    /// <summary>A fresh chain Layer&lt;Layer&lt;…Layer&lt;int, tag&gt;…, tag&gt;, tag&gt; and a value of it.</summary>
    private static (Type Type, object Value) Chain(Type tag)
    {
        Type type = typeof(int);
        object value = 7;
        for (var level = 0; level < ChainDepth; level++)
        {
            type = typeof(Layer<,>).MakeGenericType(type, tag);
            value = Activator.CreateInstance(type, value, level, (long)level << 40, $"level {level}", level / 2.0)!;
        }

        return (type, value);
    }
}
