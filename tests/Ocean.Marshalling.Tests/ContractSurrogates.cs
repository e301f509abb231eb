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
