using System.Collections.Concurrent;
using System.Linq.Expressions;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Reads a class whose stream descriptor differs from the local type (another version of it): members are matched
/// by wire name; unknown ones are skipped, missing ones keep the type's defaults, and a member whose wire type
/// differs is converted when that is lossless to check (integers and floats, range-checked) or refused up front.
/// Built once per distinct descriptor (cached by the factory), then run with boxed values.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal sealed class GraphSkewPlan
{
    private static readonly ConcurrentDictionary<(byte Code, Type Target), Func<object, object>?> s_converters = new();

    private readonly GraphClass _class;
    private readonly Step[] _steps;
    private readonly int _constructAfter;

    /// <summary>Every member missing: what a class built before its members are read is built from (never written to).</summary>
    private readonly object?[] _allMissing;

    /// <summary>What one read allocates besides the object and the values it carries: the values array, and a struct's box.</summary>
    private readonly int _scratchSize;

    private GraphSkewPlan(GraphClass graphClass, Step[] steps, int constructAfter)
    {
        _class = graphClass;
        _steps = steps;
        _constructAfter = constructAfter;
        _allMissing = new object?[graphClass.Members.Count];
        Array.Fill(_allMissing, GraphClass.Missing);
        var buildsFirst = constructAfter == 0 && !graphClass.IsStruct;
        _scratchSize = (buildsFirst ? 0 : GraphMemory.ArrayOverhead + (IntPtr.Size * graphClass.Members.Count))
            + (graphClass.IsStruct ? GraphMemory.BoxSize(graphClass.Type) : 0);
    }

    /// <summary>Matches the stream's members to the local ones; refuses, naming type and member, what cannot be reconciled.</summary>
    public static GraphSkewPlan Create(GraphClass graphClass, IReadOnlyList<(string Name, byte[] Signature)> wireMembers)
    {
        var steps = new Step[wireMembers.Count];
        var constructAfter = 0;
        for (var i = 0; i < wireMembers.Count; i++)
        {
            var (name, signature) = wireMembers[i];
            var local = graphClass.Find(name);
            if (local is null)
            {
                steps[i] = new Step(signature, null, null);
                continue;
            }

            Func<object, object>? converter = null;
            if (!GraphWire.Equivalent(signature, local.Signature) && (converter = Converter(signature, local.Type)) is null)
            {
                throw new MarshallingException(MarshallingError.Incompatible,
                    $"Member '{name}' of {graphClass.StableName} ({graphClass.Type.Name}) cannot be reconciled with this version: the stream sends {GraphWire.Describe(signature)}, the local member is {local.Type.Name} ({GraphWire.Describe(local.Signature)}).");
            }

            steps[i] = new Step(signature, local, converter);
            if (local.ConstructorIndex >= 0)
            {
                constructAfter = i + 1;
            }
        }

        // A struct is built once every member is read; a class with a parameterless constructor before any is read.
        if (graphClass.IsStruct)
        {
            constructAfter = steps.Length;
        }

        return new GraphSkewPlan(graphClass, steps, graphClass.ConstructorCount == 0 && !graphClass.IsStruct ? 0 : constructAfter);
    }

    public object Read(GraphReader reader, int handle)
    {
        // A descriptor may list none of the local members: each read still allocates, so it is charged like the object.
        reader.Charge(_scratchSize);
        object? result = null;
        object?[]? values = null;
        if (_constructAfter == 0 && !_class.IsStruct)
        {
            result = Construct(reader, handle, _allMissing);
        }
        else
        {
            values = new object?[_class.Members.Count];
            Array.Fill(values, GraphClass.Missing);
        }

        for (var i = 0; i < _steps.Length; i++)
        {
            if (i == _constructAfter && result is null)
            {
                result = Construct(reader, handle, values!);
            }

            var step = _steps[i];
            if (step.Local is null)
            {
                GraphSkipper.Skip(reader, step.Signature);
                continue;
            }

            var value = step.Converter is null ? step.Local.Codec.ReadBoxed(reader) : step.Converter(ReadPrimitive(reader, step.Signature[0]));
            if (result is null)
            {
                values![step.Local.Index] = value;
            }
            else
            {
                _class.SetBoxed(step.Local, result, value);
            }
        }

        return result ?? Construct(reader, handle, values!);
    }

    private object Construct(GraphReader reader, int handle, object?[] values)
    {
        var result = _class.Build(values);
        if (handle >= 0)
        {
            reader.Complete(handle, result);
        }

        return result;
    }

    private static object ReadPrimitive(GraphReader reader, byte code) => code switch
    {
        GraphWire.UInt8 => (object)reader.ReadUInt8(),
        GraphWire.Int8 => reader.ReadInt8(),
        GraphWire.Int16 => reader.ReadInt16(),
        GraphWire.UInt16 => reader.ReadUInt16(),
        GraphWire.Int32 => reader.ReadInt32(),
        GraphWire.UInt32 => reader.ReadUInt32(),
        GraphWire.Int64 => reader.ReadInt64(),
        GraphWire.UInt64 => reader.ReadUInt64(),
        GraphWire.Float32 => reader.ReadSingle(),
        _ => throw new MarshallingException(MarshallingError.Incompatible, $"No conversion from type code 0x{code:X2}."),
    };

    /// <summary>A compiled, range-checked conversion from a wire integer or float32 to a local numeric, enum or nullable member; null when none.</summary>
    private static Func<object, object>? Converter(ReadOnlySpan<byte> signature, Type target)
    {
        if (signature.Length != 1 || !(GraphWire.IsIntegerCode(signature[0]) || signature[0] == GraphWire.Float32))
        {
            return null;
        }

        return s_converters.GetOrAdd((signature[0], target), static key => BuildConverter(key.Code, key.Target));
    }

    private static Func<object, object>? BuildConverter(byte code, Type target)
    {
        var source = code switch
        {
            GraphWire.UInt8 => typeof(byte),
            GraphWire.Int8 => typeof(sbyte),
            GraphWire.Int16 => typeof(short),
            GraphWire.UInt16 => typeof(ushort),
            GraphWire.Int32 => typeof(int),
            GraphWire.UInt32 => typeof(uint),
            GraphWire.Int64 => typeof(long),
            GraphWire.UInt64 => typeof(ulong),
            _ => typeof(float),
        };
        var underlying = Nullable.GetUnderlyingType(target) ?? target;
        var numeric = underlying.IsEnum ? Enum.GetUnderlyingType(underlying) : underlying;
        var targetCode = GraphWire.PrimitiveCode(numeric);
        var allowed = source == typeof(float)
            ? targetCode == GraphWire.Float64 && !underlying.IsEnum
            : GraphWire.IsIntegerCode(targetCode) || (!underlying.IsEnum && targetCode is GraphWire.Float32 or GraphWire.Float64 or GraphWire.Decimal);
        if (!allowed)
        {
            return null;
        }

        var input = Expression.Parameter(typeof(object), "value");
        Expression converted = Expression.ConvertChecked(Expression.Unbox(input, source), numeric);
        if (underlying.IsEnum)
        {
            converted = Expression.Convert(converted, underlying);
        }

        if (underlying != target)
        {
            converted = Expression.Convert(converted, target);
        }

        return Expression.Lambda<Func<object, object>>(Expression.Convert(converted, typeof(object)), input).Compile();
    }

    private sealed record Step(byte[] Signature, GraphMember? Local, Func<object, object>? Converter);
}
