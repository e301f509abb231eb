using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Ocean.Marshalling;

namespace Ocean.Remoting.Internal;

/// <summary>What a remote method's caller gets back, whatever it awaits.</summary>
internal enum ReturnShape
{
    /// <summary>A synchronous <c>void</c> method: the proxy blocks until the reply.</summary>
    Void,

    /// <summary>A synchronous method with a result: the proxy blocks until the reply.</summary>
    Value,

    Task,
    TaskOfResult,
    ValueTask,
    ValueTaskOfResult,
}

/// <summary>What a caller knows about how many times a call ran (Birrell and Nelson's call semantics).</summary>
internal enum CallSemantics
{
    /// <summary>The default: never run twice (over UDP the server filters duplicates and caches replies).</summary>
    AtMostOnce,

    /// <summary><see cref="IdempotentAttribute"/>: retried while the outcome is unknown; may run more than once.</summary>
    AtLeastOnce,

    /// <summary><see cref="OneWayAttribute"/>: sent once, no reply; runs zero or one times.</summary>
    Maybe,
}

/// <summary>The result type of methods that return nothing (<c>void</c>, <see cref="Task"/>, <see cref="ValueTask"/>): nothing is marshalled.</summary>
internal readonly struct NoResult;

/// <summary>What a proxy needs from the client side: send one call and await its result.</summary>
internal interface IRemoteCaller
{
    /// <summary>Sends a call of <paramref name="method"/> on the object <paramref name="objectKey"/> and awaits the reply.</summary>
    ValueTask<TResult> CallAsync<TResult>(string objectKey, RemoteMethod<TResult> method, object?[] args, CancellationToken cancellationToken);

    /// <summary>Where the calls go, for messages.</summary>
    string Describe();

    /// <summary>Whether this thread is running code on a connection's read loop (so blocking on a call could deadlock).</summary>
    bool IsOnReadLoop() => ReadLoopThread.Current is not null;
}

/// <summary>What a dispatched method needs from its server call: the phase changes it marks, and its token.</summary>
internal interface IServerInvocation
{
    /// <summary>The token the cancel message, the deadline and the server's stop cancel.</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Called once every argument is read, before the method runs: refuses bytes left over.</summary>
    void ArgumentsRead(MarshallingReader reader);
}

/// <summary>
/// One method of a remote interface: its id and canonical text, the types it marshals, the shape of its result,
/// how a proxy turns a call into a request, and (compiled once) how a server reads its arguments and runs it.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal abstract class RemoteMethod
{
    private protected RemoteMethod(MethodInfo method, ulong id, string canonicalText)
    {
        Method = method;
        Id = id;
        CanonicalText = canonicalText;
        DisplayName = $"{method.DeclaringType!.Name}/{method.Name}";
        var parameters = method.GetParameters();
        var types = new List<Type>();
        var indexes = new List<int>();
        CancellationTokenIndex = -1;
        for (var i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].ParameterType == typeof(CancellationToken))
            {
                CancellationTokenIndex = i;
                continue;
            }

            types.Add(parameters[i].ParameterType);
            indexes.Add(i);
        }

        ParameterTypes = [.. types];
        ArgumentIndexes = [.. indexes];
        Shape = ShapeOf(method.ReturnType);
        Deadline = (method.GetCustomAttribute<RemoteDeadlineAttribute>() ?? method.DeclaringType!.GetCustomAttribute<RemoteDeadlineAttribute>())?.Deadline;
        Semantics = method.IsDefined(typeof(OneWayAttribute), inherit: false)
            ? CallSemantics.Maybe
            : method.IsDefined(typeof(IdempotentAttribute), inherit: false) || method.DeclaringType!.IsDefined(typeof(IdempotentAttribute), inherit: false)
                ? CallSemantics.AtLeastOnce
                : CallSemantics.AtMostOnce;
    }

    public MethodInfo Method { get; }

    public ulong Id { get; }

    public string CanonicalText { get; }

    /// <summary><c>Interface/Method</c>: the span name and the method tag of the metrics.</summary>
    public string DisplayName { get; }

    /// <summary>The marshalled parameters' types, in order (the <see cref="CancellationToken"/> excluded).</summary>
    public Type[] ParameterTypes { get; }

    /// <summary>For each marshalled parameter, its index among the method's parameters.</summary>
    public int[] ArgumentIndexes { get; }

    /// <summary>The index of the <see cref="CancellationToken"/> parameter, or -1.</summary>
    public int CancellationTokenIndex { get; }

    public ReturnShape Shape { get; }

    /// <summary>The deadline of <see cref="RemoteDeadlineAttribute"/> on the method or its interface, if any.</summary>
    public TimeSpan? Deadline { get; }

    /// <summary>From <see cref="OneWayAttribute"/> and <see cref="IdempotentAttribute"/>.</summary>
    public CallSemantics Semantics { get; }

    public bool IsOneWay => Semantics == CallSemantics.Maybe;

    public static RemoteMethod Create(MethodInfo method, ulong id, string canonicalText)
    {
        var result = Protocol.MethodSignature.ResultType(method.ReturnType);
        var type = typeof(RemoteMethod<>).MakeGenericType(result == typeof(void) ? typeof(NoResult) : result);
        return (RemoteMethod)Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, null, [method, id, canonicalText], null)!;
    }

    public CancellationToken GetCancellationToken(object?[] args) =>
        CancellationTokenIndex >= 0 ? (CancellationToken)args[CancellationTokenIndex]! : default;

    /// <summary>Writes the call's arguments as one marshalling stream.</summary>
    public void WriteArguments(MarshallingWriter writer, object?[] args)
    {
        var types = ParameterTypes;
        var indexes = ArgumentIndexes;
        for (var i = 0; i < types.Length; i++)
        {
            writer.Write(types[i], args[indexes[i]]);
        }
    }

    /// <summary>Client side: makes the call and returns what the proxied method returns (a task, or the result after blocking).</summary>
    public abstract object? InvokeThroughProxy(IRemoteCaller caller, string objectKey, object?[] args);

    /// <summary>Server side: compiles the invoker now, so an export fails at once if it cannot be built.</summary>
    public abstract void PrepareInvoker();

    /// <summary>Server side: reads the arguments, runs the method and sends its result.</summary>
    public abstract ValueTask DispatchAsync(ServerCall call);

    private static ReturnShape ShapeOf(Type returnType)
    {
        if (returnType == typeof(void))
        {
            return ReturnShape.Void;
        }

        if (returnType == typeof(Task))
        {
            return ReturnShape.Task;
        }

        if (returnType == typeof(ValueTask))
        {
            return ReturnShape.ValueTask;
        }

        if (returnType.IsGenericType)
        {
            var definition = returnType.GetGenericTypeDefinition();
            if (definition == typeof(Task<>))
            {
                return ReturnShape.TaskOfResult;
            }

            if (definition == typeof(ValueTask<>))
            {
                return ReturnShape.ValueTaskOfResult;
            }
        }

        return ReturnShape.Value;
    }
}

/// <summary>A remote method whose reply carries a <typeparamref name="TResult"/> (<see cref="NoResult"/> for none).</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class RemoteMethod<TResult> : RemoteMethod
{
    private Func<object, MarshallingReader, IServerInvocation, ValueTask<TResult>>? _invoker;

    public RemoteMethod(MethodInfo method, ulong id, string canonicalText)
        : base(method, id, canonicalText)
    {
    }

    /// <summary>
    /// Server side: reads the arguments from <paramref name="arguments"/>, marks them read, and runs the method on
    /// <paramref name="target"/>; the returned task completes with its result.
    /// </summary>
    public ValueTask<TResult> Invoke(object target, MarshallingReader arguments, IServerInvocation invocation) =>
        (_invoker ?? Compile())(target, arguments, invocation);

    public override void PrepareInvoker() => _ = _invoker ?? Compile();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask DispatchAsync(ServerCall call)
    {
        ValueTask<TResult> running;
        var reader = call.OpenArguments();
        try
        {
            running = Invoke(call.Target, reader, call);
        }
        finally
        {
            call.CloseArguments(reader);
        }

        var result = await running.ConfigureAwait(false);
        await call.SendResultAsync(result).ConfigureAwait(false);
    }

    public override object? InvokeThroughProxy(IRemoteCaller caller, string objectKey, object?[] args)
    {
        if (Shape is ReturnShape.Value or ReturnShape.Void && caller.IsOnReadLoop())
        {
            throw new InvalidOperationException(
                $"The synchronous remote method {DisplayName} was called from code running on a connection's read loop (a continuation that RemotingClientOptions.InlineContinuations runs there, " +
                "or an async remote method that RemotingServerOptions.InlineDispatch starts there, before its first await): waiting there for the reply would block the loop that reads it. " +
                "Call an async method, or leave InlineContinuations (or InlineDispatch) off.");
        }

        var call = caller.CallAsync(objectKey, this, args, GetCancellationToken(args));
        switch (Shape)
        {
            case ReturnShape.TaskOfResult:
            case ReturnShape.Task:
                return call.AsTask();
            case ReturnShape.ValueTaskOfResult:
                return call;
            case ReturnShape.ValueTask:
                return call.IsCompletedSuccessfully ? default(ValueTask) : new ValueTask(call.AsTask());
            default:
                // The one documented place that blocks a thread: a synchronous remote method.
                var result = call.IsCompleted ? call.GetAwaiter().GetResult() : call.AsTask().GetAwaiter().GetResult();
                return Shape == ReturnShape.Void ? null : result;
        }
    }

    private Func<object, MarshallingReader, IServerInvocation, ValueTask<TResult>> Compile()
    {
        // (target, reader, invocation) => { var a0 = reader.Read<T0>(); ...; invocation.ArgumentsRead(reader);
        //                                    return Adapt(((I)target).M(a0, ..., invocation.CancellationToken)); }
        var target = Expression.Parameter(typeof(object), "target");
        var reader = Expression.Parameter(typeof(MarshallingReader), "reader");
        var invocation = Expression.Parameter(typeof(IServerInvocation), "invocation");
        var parameters = Method.GetParameters();
        var locals = new ParameterExpression[parameters.Length];
        var body = new List<Expression>();
        var read = typeof(MarshallingReader).GetMethod(nameof(MarshallingReader.Read), 1, Type.EmptyTypes)!;
        for (var i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            locals[i] = Expression.Variable(type, "a" + i);
            if (type != typeof(CancellationToken))
            {
                body.Add(Expression.Assign(locals[i], Expression.Call(reader, read.MakeGenericMethod(type))));
            }
        }

        body.Add(Expression.Call(invocation, typeof(IServerInvocation).GetMethod(nameof(IServerInvocation.ArgumentsRead))!, reader));
        var token = Expression.Property(invocation, nameof(IServerInvocation.CancellationToken));
        for (var i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].ParameterType == typeof(CancellationToken))
            {
                body.Add(Expression.Assign(locals[i], token));
            }
        }

        Expression call = Expression.Call(Expression.Convert(target, Method.DeclaringType!), Method, locals);
        body.Add(Shape switch
        {
            ReturnShape.TaskOfResult => Expression.New(typeof(ValueTask<TResult>).GetConstructor([typeof(Task<TResult>)])!, call),
            ReturnShape.ValueTaskOfResult => call,
            ReturnShape.Value => Expression.New(typeof(ValueTask<TResult>).GetConstructor([typeof(TResult)])!, call),
            ReturnShape.Task => Expression.Call(typeof(RemoteMethod<TResult>).GetMethod(nameof(FromTask), BindingFlags.Static | BindingFlags.NonPublic)!, call),
            ReturnShape.ValueTask => Expression.Call(typeof(RemoteMethod<TResult>).GetMethod(nameof(FromValueTask), BindingFlags.Static | BindingFlags.NonPublic)!, call),
            _ => Expression.Block(call, Expression.Default(typeof(ValueTask<TResult>))),
        });

        var lambda = Expression.Lambda<Func<object, MarshallingReader, IServerInvocation, ValueTask<TResult>>>(
            Expression.Block(locals, body), $"Invoke {DisplayName}", [target, reader, invocation]);
        var compiled = lambda.Compile();
        _invoker = compiled;
        return compiled;
    }

    private static ValueTask<TResult> FromTask(Task task)
    {
        ArgumentNullException.ThrowIfNull(task, "the returned task");
        return task.IsCompletedSuccessfully ? default : Await(task);

        static async ValueTask<TResult> Await(Task task)
        {
            await task.ConfigureAwait(false);
            return default!;
        }
    }

    private static ValueTask<TResult> FromValueTask(ValueTask task)
    {
        return task.IsCompletedSuccessfully ? default : Await(task);

        static async ValueTask<TResult> Await(ValueTask task)
        {
            await task.ConfigureAwait(false);
            return default!;
        }
    }
}
