using System.Linq.Expressions;
using System.Reflection;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// Compiles a registered type's reader and writer once, as expression trees: primitives and strings call the
/// <see cref="GraphWriter"/>/<see cref="GraphReader"/> methods directly, other members their typed codec. No
/// reflection and no boxing per value.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal static class GraphClassCompiler
{
    private static readonly MethodInfo s_endPending = typeof(GraphWriter).GetMethod(nameof(GraphWriter.EndPending))!;
    private static readonly MethodInfo s_complete = typeof(GraphReader).GetMethod(nameof(GraphReader.Complete))!;

    public static Action<GraphWriter, T, int> CompileWrite<T>(IReadOnlyList<GraphMember> members, int constructorCount)
    {
        var writer = Expression.Parameter(typeof(GraphWriter), "writer");
        var value = Expression.Parameter(typeof(T), "value");
        var handle = Expression.Parameter(typeof(int), "handle");
        var body = new List<Expression>();
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            body.Add(WriteMember(writer, Expression.MakeMemberAccess(value, member.Member), member));
            if (i == constructorCount - 1 && !typeof(T).IsValueType)
            {
                // The constructor's arguments are written: a reference back to this object can be rebuilt from here on.
                body.Add(Expression.Call(writer, s_endPending, handle));
            }
        }

        body.Add(Expression.Empty());
        return Expression.Lambda<Action<GraphWriter, T, int>>(Expression.Block(body), $"GraphWrite_{typeof(T).Name}", [writer, value, handle]).Compile();
    }

    public static Func<GraphReader, int, T> CompileRead<T>(IReadOnlyList<GraphMember> members, int constructorCount, ConstructorInfo? constructor)
    {
        var reader = Expression.Parameter(typeof(GraphReader), "reader");
        var handle = Expression.Parameter(typeof(int), "handle");
        var result = Expression.Variable(typeof(T), "result");
        var arguments = members.Take(constructorCount).Select(m => Expression.Variable(m.Type, m.WireName)).ToList();
        var body = new List<Expression>();
        for (var i = 0; i < constructorCount; i++)
        {
            body.Add(Expression.Assign(arguments[i], ReadMember(reader, members[i])));
        }

        body.Add(Expression.Assign(result, New<T>(constructor, arguments)));
        if (!typeof(T).IsValueType)
        {
            // Registered before the other members are read, so references back to it (cycles) resolve.
            body.Add(Expression.Call(reader, s_complete, handle, Expression.Convert(result, typeof(object))));
        }

        for (var i = constructorCount; i < members.Count; i++)
        {
            body.Add(Expression.Assign(Expression.MakeMemberAccess(result, members[i].Member), ReadMember(reader, members[i])));
        }

        body.Add(result);
        return Expression.Lambda<Func<GraphReader, int, T>>(Expression.Block([result, .. arguments], body), $"GraphRead_{typeof(T).Name}", [reader, handle]).Compile();
    }

    /// <summary>values => new T(args...) { settable members present in values }, boxed.</summary>
    public static Func<object?[], object> CompileBuild<T>(IReadOnlyList<GraphMember> members, int constructorCount, ConstructorInfo? constructor)
    {
        var values = Expression.Parameter(typeof(object[]), "values");
        var result = Expression.Variable(typeof(T), "result");
        var missing = Expression.Constant(GraphClass.Missing);
        Expression Value(int i) => Expression.ArrayIndex(values, Expression.Constant(i));
        var parameters = constructor?.GetParameters() ?? [];
        var arguments = members.Take(constructorCount)
            .Select((m, i) => (Expression)Expression.Condition(Expression.ReferenceEqual(Value(i), missing), MissingArgument(parameters[i], m.Type), Expression.Convert(Value(i), m.Type)))
            .ToList();
        var body = new List<Expression> { Expression.Assign(result, New<T>(constructor, arguments)) };
        for (var i = constructorCount; i < members.Count; i++)
        {
            var assign = Expression.Assign(Expression.MakeMemberAccess(result, members[i].Member), Expression.Convert(Value(i), members[i].Type));
            body.Add(Expression.IfThen(Expression.ReferenceNotEqual(Value(i), missing), assign));
        }

        body.Add(Expression.Convert(result, typeof(object)));
        return Expression.Lambda<Func<object?[], object>>(Expression.Block([result], body), [values]).Compile();
    }

    /// <summary>What a constructor parameter the stream did not carry is given: its declared default, else default(T).</summary>
    private static Expression MissingArgument(ParameterInfo parameter, Type type)
    {
        if (!parameter.HasDefaultValue || parameter.DefaultValue is not { } value)
        {
            return Expression.Default(type);
        }

        // Metadata stores an enum default as its underlying integer.
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum && value.GetType() != underlying)
        {
            value = Enum.ToObject(underlying, value);
        }

        return Expression.Convert(Expression.Constant(value, value.GetType()), type);
    }

    /// <summary>(target, value) => ((T)target).Member = (TMember)value, for a class's settable member.</summary>
    public static Action<object, object?> CompileSetter<T>(GraphMember member)
    {
        var target = Expression.Parameter(typeof(object), "target");
        var value = Expression.Parameter(typeof(object), "value");
        var assign = Expression.Assign(
            Expression.MakeMemberAccess(Expression.Convert(target, typeof(T)), member.Member),
            Expression.Convert(value, member.Type));
        return Expression.Lambda<Action<object, object?>>(assign, [target, value]).Compile();
    }

    private static NewExpression New<T>(ConstructorInfo? constructor, IReadOnlyList<Expression> arguments) =>
        constructor is null ? Expression.New(typeof(T)) : Expression.New(constructor, arguments);

    private static MethodCallExpression WriteMember(ParameterExpression writer, Expression value, GraphMember member)
    {
        var type = member.Type;
        var underlying = type.IsEnum ? Enum.GetUnderlyingType(type) : type;

        // The fast paths go by the declared type, not the signature: a member substituted by a primitive or string
        // surrogate has that surrogate's signature but must go through its codec (which calls the provider).
        var code = GraphWire.PrimitiveCode(underlying);
        if (code != 0)
        {
            var method = typeof(GraphWriter).GetMethod("Write" + Suffix(code), [underlying])!;
            return Expression.Call(writer, method, type.IsEnum ? Expression.Convert(value, underlying) : value);
        }

        if (type == typeof(string))
        {
            return Expression.Call(writer, typeof(GraphWriter).GetMethod(nameof(GraphWriter.WriteString))!, value);
        }

        var codecType = typeof(GraphCodec<>).MakeGenericType(type);
        return Expression.Call(Expression.Constant(member.Codec, codecType), codecType.GetMethod(nameof(GraphCodec<int>.Write))!, writer, value);
    }

    private static Expression ReadMember(ParameterExpression reader, GraphMember member)
    {
        var type = member.Type;
        var code = GraphWire.PrimitiveCode(type.IsEnum ? Enum.GetUnderlyingType(type) : type);
        if (code != 0)
        {
            var read = Expression.Call(reader, typeof(GraphReader).GetMethod("Read" + Suffix(code), Type.EmptyTypes)!);
            return type.IsEnum ? Expression.Convert(read, type) : read;
        }

        if (type == typeof(string))
        {
            return Expression.Call(reader, typeof(GraphReader).GetMethod(nameof(GraphReader.ReadString))!);
        }

        var codecType = typeof(GraphCodec<>).MakeGenericType(type);
        return Expression.Call(Expression.Constant(member.Codec, codecType), codecType.GetMethod(nameof(GraphCodec<int>.Read))!, reader);
    }

    private static string Suffix(byte code) => code switch
    {
        GraphWire.Bool => "Bool",
        GraphWire.UInt8 => "UInt8",
        GraphWire.Int8 => "Int8",
        GraphWire.Int16 => "Int16",
        GraphWire.UInt16 => "UInt16",
        GraphWire.Int32 => "Int32",
        GraphWire.UInt32 => "UInt32",
        GraphWire.Int64 => "Int64",
        GraphWire.UInt64 => "UInt64",
        GraphWire.Float32 => "Single",
        GraphWire.Float64 => "Double",
        GraphWire.Decimal => "Decimal",
        _ => "Char",
    };
}
