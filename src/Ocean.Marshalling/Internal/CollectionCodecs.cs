using System.Runtime.InteropServices;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>An array as a sequence (count, then elements), or as a fixed-length array (elements only).</summary>
internal sealed class ArrayCodec<TElement>(CdrCodec<TElement> element, int fixedLength, bool nullAsEmpty) : CdrCodec<TElement[]>, IArrayCodec
{
    public CdrCodec Element => element;

    public int FixedLength => fixedLength;

    /// <summary>A sequence; a fixed-length array is described by the struct member it belongs to (<c>T name[n];</c>).</summary>
    public override string Describe(CdrTypeDescriber describer) => fixedLength > 0
        ? throw new MarshallingException(MarshallingError.UnsupportedType, $"A fixed-length array ({typeof(TElement).Name}[{fixedLength}]) is described only as a struct member.")
        : $"sequence<{element.Describe(describer)}>";

    public override int MinimumSize => fixedLength > 0 ? SaturatingMultiply(fixedLength, element.MinimumSize) : 4;

    public override int MinimumObjects => fixedLength > 0 ? SaturatingAdd(1, SaturatingMultiply(fixedLength, element.MinimumObjects)) : 1;

    public override bool IsFlat => element.IsFlat;

    public override void Write(ref CdrWriter writer, TElement[] value)
    {
        writer.CountObject();
        if (value is null)
        {
            if (!nullAsEmpty || fixedLength > 0)
            {
                throw new MarshallingException(MarshallingError.UnrepresentableValue, "CDR has no null sequence; mark the member [CdrNullAsEmpty] to send null as empty.");
            }

            value = [];
        }

        if (fixedLength > 0)
        {
            if (value.Length != fixedLength)
            {
                throw new MarshallingException(MarshallingError.UnrepresentableValue, $"A fixed-length CDR array holds exactly {fixedLength} elements, not {value.Length}.");
            }
        }
        else
        {
            writer.WriteULong((uint)value.Length);
        }

        if (typeof(TElement) == typeof(byte))
        {
            writer.WriteOctets((byte[])(object)value);
            return;
        }

        foreach (var item in value)
        {
            element.Write(ref writer, item);
        }
    }

    public override TElement[] Read(ref CdrReader reader)
    {
        int count;
        if (fixedLength > 0)
        {
            // The type declares the length, but the input must still be able to hold it before it is allocated.
            if ((long)fixedLength * element.MinimumSize > reader.Remaining)
            {
                throw new MarshallingException(MarshallingError.Truncated, $"A fixed-length array of {fixedLength} elements needs more than the {reader.Remaining} remaining bytes.");
            }

            reader.CheckObjectClaim(fixedLength, element.MinimumObjects);
            count = fixedLength;
        }
        else
        {
            count = reader.ReadSequenceLength(element.MinimumSize, element.MinimumObjects);
        }

        reader.CountObject();
        if (count == 0)
        {
            return [];
        }

        var result = new TElement[count];
        if (typeof(TElement) == typeof(byte))
        {
            reader.ReadOctets((byte[])(object)result);
            return result;
        }

        // Through a span: no covariant store check per element.
        var items = result.AsSpan();
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = element.Read(ref reader);
        }

        return result;
    }
}

/// <summary>A list as a sequence.</summary>
internal sealed class ListCodec<TElement>(CdrCodec<TElement> element, bool nullAsEmpty) : CdrCodec<List<TElement>>
{
    public override string Describe(CdrTypeDescriber describer) => $"sequence<{element.Describe(describer)}>";

    public override int MinimumSize => 4;

    public override int MinimumObjects => 1;

    public override bool IsFlat => element.IsFlat;

    public override void Write(ref CdrWriter writer, List<TElement> value)
    {
        writer.CountObject();
        if (value is null)
        {
            if (!nullAsEmpty)
            {
                throw new MarshallingException(MarshallingError.UnrepresentableValue, "CDR has no null sequence; mark the member [CdrNullAsEmpty] to send null as empty.");
            }

            writer.WriteULong(0);
            return;
        }

        var items = CollectionsMarshal.AsSpan(value);
        writer.WriteULong((uint)items.Length);
        foreach (var item in items)
        {
            element.Write(ref writer, item);
        }
    }

    public override List<TElement> Read(ref CdrReader reader)
    {
        var count = reader.ReadSequenceLength(element.MinimumSize, element.MinimumObjects);
        reader.CountObject();
        // Presized (the count was checked against the remaining bytes and the object limit), then filled in place.
        var result = new List<TElement>(count);
        CollectionsMarshal.SetCount(result, count);
        var items = CollectionsMarshal.AsSpan(result);
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = element.Read(ref reader);
        }

        return result;
    }
}

/// <summary>An array codec's element codec and fixed length (0 for a sequence), whatever its type argument.</summary>
internal interface IArrayCodec
{
    CdrCodec Element { get; }

    int FixedLength { get; }
}
