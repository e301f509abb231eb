using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>The untyped face of a codec, for the few places (unions) that work with boxed values.</summary>
internal abstract class CdrCodec
{
    /// <summary>The fewest bytes a value can take on the wire, so sequence counts can be checked before allocating.</summary>
    public virtual int MinimumSize => 1;

    public abstract void WriteBoxed(ref CdrWriter writer, object? value);

    public abstract object? ReadBoxed(ref CdrReader reader);
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
