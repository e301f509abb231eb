using System.Buffers;
using System.Text;
using Ocean.Framing.Tests.Infrastructure;

namespace Ocean.Framing.Tests;

/// <summary>
/// Random corruption of valid streams: every decoder must either find frames or raise
/// <see cref="FramingException"/>, never another exception, never loop, and never return a frame over its maximum.
/// </summary>
public sealed class CodecCorruptionTests
{
    private const int Cases = 2_000;
    private const int FramesPerStream = 20;
    private const int LineMax = 64;
    private const int LengthPrefixedMax = 1024 * 1024;

    public static TheoryData<string> CodecNames =>
    [
        "line-lenient",
        "line-lenient-crlf",
        "line-strict",
        "length-varint",
        "length-one-byte",
        "length-two-bytes-le",
        "length-four-bytes",
        "length-eight-bytes-le",
        "length-four-bytes-small-max",
        "length-two-bytes-header-counted",
        "java-utf",
    ];

    [Theory]
    [MemberData(nameof(CodecNames))]
    public void DecodeAll_RandomlyCorruptedStream_FindsFramesOrThrowsFramingException(string name)
    {
        var (codec, maxFrame, original, originalFrames) = Setup(name);
        var random = new Random(HashCode(name));
        var failures = new List<string>();
        var succeeded = 0;
        var refused = 0;

        for (var i = 0; i < Cases; i++)
        {
            var (corrupted, description) = Corrupt(original, random);
            var chunkSizes = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(1, 48)).ToArray();
            var guarded = new GuardedCodec(codec, maxFrame, maxCalls: (2 * corrupted.Length) + 8);
            try
            {
                var (frames, _) = Sequences.DecodeAll(guarded, corrupted, chunkSizes);
                if (codec is JavaUtfCodec)
                {
                    ReadStrings(frames);
                }
                else if (codec is LineCodec line)
                {
                    frames.ForEach(f => line.GetString(new ReadOnlySequence<byte>(f)));
                }

                if (corrupted.AsSpan().SequenceEqual(original) && !SameFrames(frames, originalFrames))
                {
                    failures.Add($"case {i} ({description}): an unchanged stream decoded differently");
                }

                succeeded++;
            }
            catch (FramingException)
            {
                refused++;
            }
            catch (Exception ex)
            {
                failures.Add($"case {i} ({description}, chunks {string.Join(",", chunkSizes)}, stream {Convert.ToHexString(corrupted)}): {ex.GetType().Name}: {ex.Message}");
            }
        }

        failures.Should().BeEmpty("corrupt input may only raise FramingException; first failures:\n{0}", string.Join("\n", failures.Take(5)));
        (succeeded + refused).Should().Be(Cases);
        succeeded.Should().BePositive("some corruptions still decode (for example a truncated stream)");
    }

    [Theory]
    [MemberData(nameof(CodecNames))]
    public void DecodeAll_UncorruptedStreamInRandomChunks_FindsAllFrames(string name)
    {
        var (codec, maxFrame, original, originalFrames) = Setup(name);
        var random = new Random(HashCode(name) + 1);

        for (var i = 0; i < 50; i++)
        {
            var chunkSizes = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(1, 48)).ToArray();

            var (frames, leftover) = Sequences.DecodeAll(new GuardedCodec(codec, maxFrame, (2 * original.Length) + 8), original, chunkSizes);

            leftover.Should().Be(0);
            SameFrames(frames, originalFrames).Should().BeTrue("chunks {0}", string.Join(",", chunkSizes));
        }

        originalFrames.Should().HaveCount(FramesPerStream);
    }

    // ---- codecs and streams -------------------------------------------------------------------------------

    private static (FrameCodec Codec, long MaxFrame, byte[] Stream, List<byte[]> Frames) Setup(string name)
    {
        var random = new Random(HashCode(name) ^ 0x5EED);
        switch (name)
        {
            case "line-lenient":
            case "line-lenient-crlf":
            case "line-strict":
            {
                var line = new LineCodec(new LineCodecOptions
                {
                    MaxLineLength = LineMax,
                    StrictCrLf = name == "line-strict",
                    Terminator = name == "line-lenient" ? LineTerminator.Lf : LineTerminator.CrLf,
                });
                var output = new ArrayBufferWriter<byte>();
                var frames = new List<byte[]>();
                for (var i = 0; i < FramesPerStream; i++)
                {
                    var text = RandomText(random, random.Next(0, 20), allowNul: false);
                    line.WriteLine(text, output);
                    frames.Add(Encoding.UTF8.GetBytes(text));
                }

                return (line, LineMax, output.WrittenSpan.ToArray(), frames);
            }

            case "java-utf":
            {
                var output = new ArrayBufferWriter<byte>();
                var frames = new List<byte[]>();
                for (var i = 0; i < FramesPerStream; i++)
                {
                    var before = output.WrittenCount;
                    JavaUtfCodec.WriteString(RandomText(random, random.Next(0, 12), allowNul: true), output);
                    frames.Add(output.WrittenSpan[(before + 2)..].ToArray());
                }

                return (JavaUtfCodec.Instance, JavaUtfCodec.MaxEncodedLength, output.WrittenSpan.ToArray(), frames);
            }

            default:
            {
                var options = name switch
                {
                    "length-varint" => new LengthPrefixedCodecOptions { Prefix = LengthPrefix.Varint },
                    "length-one-byte" => new LengthPrefixedCodecOptions { Prefix = LengthPrefix.OneByte },
                    "length-two-bytes-le" => new LengthPrefixedCodecOptions { Prefix = LengthPrefix.TwoBytes, ByteOrder = ByteOrder.LittleEndian },
                    "length-four-bytes" => new LengthPrefixedCodecOptions { Prefix = LengthPrefix.FourBytes },
                    "length-eight-bytes-le" => new LengthPrefixedCodecOptions { Prefix = LengthPrefix.EightBytes, ByteOrder = ByteOrder.LittleEndian },
                    "length-four-bytes-small-max" => new LengthPrefixedCodecOptions { Prefix = LengthPrefix.FourBytes, MaxFrameLength = 24 },
                    "length-two-bytes-header-counted" => new LengthPrefixedCodecOptions { Prefix = LengthPrefix.TwoBytes, LengthAdjustment = -2, InitialBytesToStrip = 0 },
                    _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
                };
                if (options.MaxFrameLength == 16 * 1024 * 1024)
                {
                    options.MaxFrameLength = LengthPrefixedMax;
                }

                var lengthPrefixed = new LengthPrefixedCodec(options);
                var output = new ArrayBufferWriter<byte>();
                var frames = new List<byte[]>();
                for (var i = 0; i < FramesPerStream; i++)
                {
                    var payload = new byte[random.Next(0, 20)];
                    random.NextBytes(payload);
                    var before = output.WrittenCount;
                    lengthPrefixed.WriteFrame(payload, output);
                    frames.Add(options.InitialBytesToStrip == 0 ? output.WrittenSpan[before..].ToArray() : payload);
                }

                return (lengthPrefixed, options.MaxFrameLength, output.WrittenSpan.ToArray(), frames);
            }
        }
    }

    private static string RandomText(Random random, int length, bool allowNul)
    {
        string[] alphabet = ["a", "Z", "0", " ", "~", "é", "ß", "日", "本", "😀", "\t", allowNul ? "\0" : "-", "\uFFFF", "\u0080"];
        var builder = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            builder.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return builder.ToString();
    }

    // ---- corruption ---------------------------------------------------------------------------------------

    private static (byte[] Bytes, string Description) Corrupt(byte[] original, Random random)
    {
        var bytes = original.ToList();
        var descriptions = new List<string>();
        var operations = random.Next(10) == 0 ? 2 : 1;
        for (var op = 0; op < operations; op++)
        {
            var count = random.Next(1, 4);
            switch (random.Next(5))
            {
                case 0:
                    for (var i = 0; i < count && bytes.Count > 0; i++)
                    {
                        var at = random.Next(bytes.Count);
                        bytes[at] ^= (byte)random.Next(1, 256);
                        descriptions.Add($"flip@{at}");
                    }

                    break;
                case 1:
                    for (var i = 0; i < count && bytes.Count > 0; i++)
                    {
                        var at = random.Next(bytes.Count);
                        bytes[at] = Interesting(random);
                        descriptions.Add($"replace@{at}");
                    }

                    break;
                case 2:
                {
                    var at = random.Next(bytes.Count + 1);
                    bytes.RemoveRange(at, bytes.Count - at);
                    descriptions.Add($"truncate@{at}");
                    break;
                }

                case 3:
                {
                    var at = random.Next(bytes.Count + 1);
                    for (var i = 0; i < count; i++)
                    {
                        bytes.Insert(at, Interesting(random));
                    }

                    descriptions.Add($"insert{count}@{at}");
                    break;
                }

                default:
                {
                    var at = random.Next(bytes.Count + 1);
                    var remove = Math.Min(count, bytes.Count - at);
                    bytes.RemoveRange(at, remove);
                    descriptions.Add($"delete{remove}@{at}");
                    break;
                }
            }
        }

        return ([.. bytes], string.Join(" ", descriptions));
    }

    /// <summary>A random byte, biased towards the ones framing cares about.</summary>
    private static byte Interesting(Random random) => random.Next(8) switch
    {
        0 => (byte)'\n',
        1 => (byte)'\r',
        2 => 0x00,
        3 => 0xFF,
        4 => 0x80,
        5 => 0x7F,
        _ => (byte)random.Next(256),
    };

    // ---- helpers ------------------------------------------------------------------------------------------

    /// <summary>How far <paramref name="position"/> is from the start of <paramref name="sequence"/> (GetOffset counts from the first segment's origin, not the slice's start).</summary>
    private static long Offset(in ReadOnlySequence<byte> sequence, SequencePosition position) => sequence.Slice(sequence.Start, position).Length;

    private static void ReadStrings(List<byte[]> frames)
    {
        foreach (var frame in frames)
        {
            try
            {
                JavaUtfCodec.ReadString(frame.AsSpan());
                JavaUtfCodec.ReadString(frame.Length > 1 ? Sequences.SplitAt(frame, frame.Length / 2) : new ReadOnlySequence<byte>(frame));
            }
            catch (FramingException ex) when (ex.Error == FramingError.MalformedText)
            {
                // Java's readUTF refuses these too.
            }
        }
    }

    private static bool SameFrames(List<byte[]> actual, List<byte[]> expected) =>
        actual.Count == expected.Count && actual.Zip(expected).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    /// <summary>A stable seed per codec name (string.GetHashCode is randomized per process).</summary>
    private static int HashCode(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }

    /// <summary>Wraps a codec so its decoders fail loudly (with a non-framing exception) instead of looping or over-reading.</summary>
    private sealed class GuardedCodec(FrameCodec inner, long maxFrame, int maxCalls) : FrameCodec
    {
        public override int MaxPayloadLength => inner.MaxPayloadLength;

        public override IFrameDecoder CreateDecoder() => new GuardedDecoder(inner.CreateDecoder(), maxFrame, maxCalls);

        public override void WriteFrame(ReadOnlySpan<byte> payload, IBufferWriter<byte> output) => inner.WriteFrame(payload, output);
    }

    private sealed class GuardedDecoder(IFrameDecoder inner, long maxFrame, int maxCalls) : IFrameDecoder
    {
        private int _calls;

        public void Reset()
        {
            _calls = 0;
            inner.Reset();
        }

        public bool TryReadFrame(in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame, out SequencePosition consumed, out SequencePosition examined)
        {
            if (++_calls > maxCalls)
            {
                throw new InvalidOperationException($"The decoder was called {_calls} times: it is not making progress.");
            }

            var found = inner.TryReadFrame(input, out frame, out consumed, out examined);
            var consumedOffset = Offset(input, consumed);
            var examinedOffset = Offset(input, examined);
            if (consumedOffset < 0 || consumedOffset > examinedOffset || examinedOffset > input.Length)
            {
                throw new InvalidOperationException($"Bad positions: consumed {consumedOffset}, examined {examinedOffset}, input {input.Length}.");
            }

            if (found && consumedOffset == 0)
            {
                throw new InvalidOperationException("A frame was found without consuming anything.");
            }

            if (found && frame.Length > maxFrame)
            {
                throw new InvalidOperationException($"A frame of {frame.Length} bytes is over the maximum of {maxFrame}.");
            }

            return found;
        }
    }
}
