using System.Collections.Concurrent;

namespace Ocean.Marshalling.Tests;

/// <summary>An interface passed "by reference" in the contract's surrogate tests.</summary>
public interface IContractCallback
{
    int Id { get; }
}

/// <summary>The local object behind a callback (what the sender holds).</summary>
public sealed class ContractCallback(int id) : IContractCallback
{
    public int Id { get; } = id;
}

/// <summary>What a callback travels as: a fake remote reference.</summary>
public sealed record ContractReference(int Id, string Kind);

/// <summary>What a callback arrives as: a fake proxy bound to the context (connection) it arrived on.</summary>
public sealed class ContractProxy(int id, MarshallingContext? context) : IContractCallback
{
    public int Id { get; } = id;

    public MarshallingContext? Context { get; } = context;
}

/// <summary>A record with callbacks in a member, a list and an array.</summary>
public sealed record ContractHolder(string Name, IContractCallback Callback, List<IContractCallback> Others, IContractCallback[] More);

/// <summary>
/// Substitutes <see cref="IContractCallback"/> by <see cref="ContractReference"/> and back, recording the contexts and
/// declared types it is given, as Remoting's provider would.
/// </summary>
public sealed class ContractSurrogates : IMarshallingSurrogateProvider
{
    public ConcurrentQueue<Type> Asked { get; } = new();

    public ConcurrentQueue<MarshallingContext?> ReplaceContexts { get; } = new();

    public ConcurrentQueue<MarshallingContext?> ResolveContexts { get; } = new();

    /// <summary>When set, Resolve returns this instead of a proxy (to test the type check).</summary>
    public object? ResolveOverride { get; set; }

    public Type? GetSurrogateType(Type declaredType)
    {
        Asked.Enqueue(declaredType);
        return declaredType == typeof(IContractCallback) ? typeof(ContractReference) : null;
    }

    public object? Replace(object? value, Type declaredType, MarshallingContext? context)
    {
        declaredType.Should().Be(typeof(IContractCallback));
        ReplaceContexts.Enqueue(context);
        return value is IContractCallback callback ? new ContractReference(callback.Id, callback.GetType().Name) : null;
    }

    public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context)
    {
        declaredType.Should().Be(typeof(IContractCallback));
        ResolveContexts.Enqueue(context);
        if (ResolveOverride is { } replacement)
        {
            return replacement;
        }

        return surrogate is ContractReference reference ? new ContractProxy(reference.Id, context) : null;
    }
}

/// <summary>
/// Substitutes <see cref="IContractCallback"/> by a primitive or a string (its id, or "ref:id"), null by 0 or null:
/// a surrogate the graph format writes inline, without a class or handle.
/// </summary>
public sealed class ContractScalarSurrogates(Type surrogateType) : IMarshallingSurrogateProvider
{
    public int Replaced => _replaced;

    public int Resolved => _resolved;

    private int _replaced;
    private int _resolved;

    public Type? GetSurrogateType(Type declaredType) => declaredType == typeof(IContractCallback) ? surrogateType : null;

    public object? Replace(object? value, Type declaredType, MarshallingContext? context)
    {
        Interlocked.Increment(ref _replaced);
        var callback = (IContractCallback?)value;
        return surrogateType == typeof(long) ? (object)(long)(callback?.Id ?? 0) : callback is null ? null : $"ref:{callback.Id}";
    }

    public object? Resolve(object? surrogate, Type declaredType, MarshallingContext? context)
    {
        Interlocked.Increment(ref _resolved);
        return surrogate switch
        {
            long id => id == 0 ? null : new ContractProxy(checked((int)id), context),
            string text => new ContractProxy(int.Parse(text["ref:".Length..], System.Globalization.CultureInfo.InvariantCulture), context),
            _ => null,
        };
    }
}
