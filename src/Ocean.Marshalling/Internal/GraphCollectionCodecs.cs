using System.Runtime.CompilerServices;

namespace Ocean.Marshalling.Internal;

/// <summary>An array: tag, then (when new) a varint count and the elements. Arrays have identity (handles).</summary>
internal sealed class GraphArrayCodec<T>(byte[] signature, GraphCodec<T> element) : GraphCodec<T[]?>(signature)
{
    public override void Write(GraphWriter writer, T[]? value)
    {
        if (value is null)
        {
            writer.WriteByte(GraphWire.Null);
            return;
        }

        if (writer.TryWriteReference(value, out _))
        {
            return;
        }

        writer.WriteByte(GraphWire.New);
        writer.WriteCount(value.Length);
        writer.Enter();
        if (typeof(T) == typeof(byte))
        {
            writer.WriteBytes((byte[])(object)value);
        }
        else
        {
            foreach (var item in value)
            {
                element.Write(writer, item);
            }
        }

        writer.Exit();
    }

    public override T[]? Read(GraphReader reader)
    {
        switch (reader.ReadByte())
        {
            case GraphWire.Null:
                return null;
            case GraphWire.Ref:
                return reader.GetReference() as T[] ?? throw new MarshallingException(MarshallingError.Incompatible, $"A reference where {typeof(T).Name}[] is declared names another type.");
            case GraphWire.New:
                var count = reader.ReadCount(element.MinimumSize);
                reader.Charge(GraphMemory.Array(count, Unsafe.SizeOf<T>()));
                var array = new T[count];
                reader.AddHandle(array);
                reader.Enter();
                if (typeof(T) == typeof(byte))
                {
                    reader.ReadSpan(count).CopyTo((byte[])(object)array);
                }
                else
                {
                    for (var i = 0; i < array.Length; i++)
                    {
                        array[i] = element.Read(reader);
                    }
                }

                reader.Exit();
                return array;
            case var tag:
                throw new MarshallingException(MarshallingError.Malformed, $"Tag {tag} is not null, reference or new.");
        }
    }
}

/// <summary>A <see cref="List{T}"/>: laid out as an array. Lists have identity (handles).</summary>
internal sealed class GraphListCodec<T>(byte[] signature, GraphCodec<T> element) : GraphCodec<List<T>?>(signature)
{
    public override void Write(GraphWriter writer, List<T>? value)
    {
        if (value is null)
        {
            writer.WriteByte(GraphWire.Null);
            return;
        }

        if (value.GetType() != typeof(List<T>))
        {
            throw new MarshallingException(MarshallingError.UnsupportedType, $"{value.GetType()} derives from List<{typeof(T).Name}>; only the list itself can be carried.");
        }

        if (writer.TryWriteReference(value, out _))
        {
            return;
        }

        writer.WriteByte(GraphWire.New);
        writer.WriteCount(value.Count);
        writer.Enter();
        foreach (var item in value)
        {
            element.Write(writer, item);
        }

        writer.Exit();
    }

    public override List<T>? Read(GraphReader reader)
    {
        switch (reader.ReadByte())
        {
            case GraphWire.Null:
                return null;
            case GraphWire.Ref:
                return reader.GetReference() as List<T> ?? throw new MarshallingException(MarshallingError.Incompatible, $"A reference where List<{typeof(T).Name}> is declared names another type.");
            case GraphWire.New:
                var count = reader.ReadCount(element.MinimumSize);
                reader.Charge(GraphMemory.List(count, Unsafe.SizeOf<T>()));
                var list = new List<T>(count);
                reader.AddHandle(list);
                reader.Enter();
                for (var i = 0; i < count; i++)
                {
                    list.Add(element.Read(reader));
                }

                reader.Exit();
                return list;
            case var tag:
                throw new MarshallingException(MarshallingError.Malformed, $"Tag {tag} is not null, reference or new.");
        }
    }
}

/// <summary>
/// A <see cref="Dictionary{TKey, TValue}"/>: tag, count, then key and value alternately. Read back with a comparer
/// that has the default's equality but hashes keys so a peer cannot choose colliding ones, and charges the stream for
/// the comparisons keys of other types cost when their own hashes collide (<see cref="GraphKeyComparer{T}"/>).
/// </summary>
internal sealed class GraphDictionaryCodec<TKey, TValue>(byte[] signature, GraphCodec<TKey> key, GraphCodec<TValue> value) : GraphCodec<Dictionary<TKey, TValue>?>(signature)
    where TKey : notnull
{
    public override void Write(GraphWriter writer, Dictionary<TKey, TValue>? dictionary)
    {
        if (dictionary is null)
        {
            writer.WriteByte(GraphWire.Null);
            return;
        }

        if (dictionary.GetType() != typeof(Dictionary<TKey, TValue>))
        {
            throw new MarshallingException(MarshallingError.UnsupportedType, $"{dictionary.GetType()} derives from Dictionary<,>; only the dictionary itself can be carried.");
        }

        if (writer.TryWriteReference(dictionary, out _))
        {
            return;
        }

        writer.WriteByte(GraphWire.New);
        writer.WriteCount(dictionary.Count);
        writer.Enter();
        foreach (var (k, v) in dictionary)
        {
            key.Write(writer, k);
            value.Write(writer, v);
        }

        writer.Exit();
    }

    public override Dictionary<TKey, TValue>? Read(GraphReader reader)
    {
        switch (reader.ReadByte())
        {
            case GraphWire.Null:
                return null;
            case GraphWire.Ref:
                return reader.GetReference() as Dictionary<TKey, TValue> ?? throw new MarshallingException(MarshallingError.Incompatible, "A reference where a dictionary is declared names another type.");
            case GraphWire.New:
                var count = reader.ReadCount(key.MinimumSize + value.MinimumSize);
                reader.Charge(GraphMemory.Dictionary(count, Unsafe.SizeOf<KeyValuePair<TKey, TValue>>()));
                var comparer = GraphKeyComparer<TKey>.ForRead(reader, count);
                var dictionary = new Dictionary<TKey, TValue>(count, comparer);
                reader.AddHandle(dictionary);
                reader.Enter();
                for (var i = 0; i < count; i++)
                {
                    var k = key.Read(reader) ?? throw new MarshallingException(MarshallingError.Malformed, "A dictionary key is null.");
                    if (!dictionary.TryAdd(k, value.Read(reader)))
                    {
                        throw new MarshallingException(MarshallingError.Malformed, "A dictionary holds the same key twice.");
                    }
                }

                comparer?.EndRead();
                reader.Exit();
                return dictionary;
            case var tag:
                throw new MarshallingException(MarshallingError.Malformed, $"Tag {tag} is not null, reference or new.");
        }
    }
}
