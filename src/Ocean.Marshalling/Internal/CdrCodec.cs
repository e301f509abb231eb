using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>The untyped face of a codec, for the few places (unions) that work with boxed values.</summary>
internal abstract class CdrCodec
{
    /// <summary>The fewest bytes a value can take on the wire, so sequence counts can be checked before allocating.</summary>
    public virtual int MinimumSize => 1;

    /// <summary>
    /// The fewest objects reading a value creates (see <see cref="CdrReader.MaxObjects"/>), so a sequence whose
    /// elements could never fit the object limit is refused before its array is allocated.
    /// </summary>
    public virtual int MinimumObjects => 0;

    /// <summary>
    /// True when writing or reading a value never reaches a struct, union or surrogate codec (primitives, strings,
    /// enums, and arrays or lists of those): a struct whose members are all flat cannot nest any further, which its
    /// codec decides once when it is built.
    /// </summary>
    public virtual bool IsFlat => false;

    /// <summary>Adds sizes or counts, saturating at <see cref="int.MaxValue"/> (they are lower bounds).</summary>
    public static int SaturatingAdd(int a, int b) => (int)Math.Min(int.MaxValue, (long)a + b);

    /// <summary>Multiplies sizes or counts, saturating at <see cref="int.MaxValue"/>.</summary>
    public static int SaturatingMultiply(int a, int b) => (int)Math.Min(int.MaxValue, (long)a * b);

    public abstract void WriteBoxed(ref CdrWriter writer, object? value);

    public abstract object? ReadBoxed(ref CdrReader reader);

    /// <summary>
    /// The CDR type this codec writes, as a type expression of the notation <see cref="CdrMarshaller.DescribeType"/>
    /// returns; the struct, enum and union definitions it needs go to <paramref name="describer"/>. Each codec describes
    /// what it writes, so the description follows the codecs themselves.
    /// </summary>
    public abstract string Describe(CdrTypeDescriber describer);
}

/// <summary>Writes and reads one C# type as CDR. Built once per type (and member options), then shared.</summary>
internal abstract class CdrCodec<T> : CdrCodec
{
    public abstract void Write(ref CdrWriter writer, T value);

    public abstract T Read(ref CdrReader reader);

    public sealed override void WriteBoxed(ref CdrWriter writer, object? value) => Write(ref writer, (T)value!);

    public sealed override object? ReadBoxed(ref CdrReader reader) => Read(ref reader);
}

/// <summary>What a member's attributes change about how its type is marshalled.</summary>
internal readonly record struct MemberOptions(bool Wide = false, bool Narrow = false, bool NullAsEmpty = false, int FixedLength = 0);
