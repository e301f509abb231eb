namespace Ocean.Marshalling.Internal;

/// <summary>
/// Moves past a value of a member this reader does not know, guided by the signature the stream gives it. Objects
/// inside are still read (a later reference may name them); collections are parsed and their handles marked.
/// </summary>
internal static class GraphSkipper
{
    /// <summary>Skips one value; returns the length of the signature consumed.</summary>
    public static int Skip(GraphReader reader, ReadOnlySpan<byte> signature)
    {
        var code = signature[0];
        switch (code)
        {
            case GraphWire.String:
                reader.SkipString();
                return 1;
            case GraphWire.Bool:
                reader.ReadBool();
                return 1;
            case GraphWire.Decimal:
                reader.ReadDecimal();
                return 1;
            case >= GraphWire.UInt8 and <= GraphWire.Char:
                reader.Skip(GraphWire.MinimumSize(code));
                return 1;
            case GraphWire.Object:
                SkipObject(reader);
                return 1;
            case GraphWire.Struct:
                SkipStruct(reader);
                return 1;
            case GraphWire.Nullable:
                switch (reader.ReadByte())
                {
                    case 0:
                        break;
                    case 1:
                        Skip(reader, signature[1..]);
                        break;
                    default:
                        throw new MarshallingException(MarshallingError.Malformed, "A nullable's presence byte is neither 0 nor 1.");
                }

                return 2;
            case GraphWire.Array or GraphWire.List or GraphWire.Dictionary:
                return SkipCollection(reader, signature);
            default:
                throw new MarshallingException(MarshallingError.Malformed, $"Type code 0x{code:X2} is not known.");
        }
    }

    private static void SkipObject(GraphReader reader)
    {
        switch (reader.ReadByte())
        {
            case GraphWire.Null:
                return;
            case GraphWire.Ref:
                reader.SkipReference();
                return;
            case GraphWire.New:
                var entry = reader.ReadClassRef();
                if (entry.Class.IsStruct)
                {
                    throw new MarshallingException(MarshallingError.Incompatible, $"The stream sends the struct {entry.Class.StableName} as an object.");
                }

                entry.ReadObject(reader);
                return;
            case var tag:
                throw new MarshallingException(MarshallingError.Malformed, $"Tag {tag} is not null, reference or new.");
        }
    }

    private static void SkipStruct(GraphReader reader)
    {
        var entry = reader.ReadClassRef();
        if (!entry.Class.IsStruct)
        {
            throw new MarshallingException(MarshallingError.Incompatible, $"The stream sends the class {entry.Class.StableName} as a struct.");
        }

        reader.Enter();
        foreach (var signature in entry.WireSignatures)
        {
            Skip(reader, signature);
        }

        reader.Exit();
    }

    private static int SkipCollection(GraphReader reader, ReadOnlySpan<byte> signature)
    {
        var length = GraphWire.Measure(signature);
        var element = signature[1..];
        var elementLength = GraphWire.Measure(element);
        var second = signature[0] == GraphWire.Dictionary ? element[elementLength..] : default;
        switch (reader.ReadByte())
        {
            case GraphWire.Null:
                return length;
            case GraphWire.Ref:
                reader.SkipReference();
                return length;
            case GraphWire.New:
                break;
            case var tag:
                throw new MarshallingException(MarshallingError.Malformed, $"Tag {tag} is not null, reference or new.");
        }

        var minimum = GraphWire.MinimumSize(element[0]) + (second.IsEmpty ? 0 : GraphWire.MinimumSize(second[0]));
        var count = reader.ReadCount(minimum);
        reader.AddSkippedHandle();
        reader.Enter();
        if (second.IsEmpty && element[0] == GraphWire.UInt8)
        {
            reader.Skip(count);
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                Skip(reader, element);
                if (!second.IsEmpty)
                {
                    Skip(reader, second);
                }
            }
        }

        reader.Exit();
        return length;
    }
}
