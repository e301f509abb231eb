#pragma warning disable CA1030, CA1045, CA1021, CA1003, CS0067 // the signatures below exist to be refused

namespace Ocean.Remoting.Tests.Calls.Refused;

public interface IRefParam
{
    Task Take(ref int value);
}

public sealed class RefParam : IRefParam
{
    public Task Take(ref int value) => Task.CompletedTask;
}

public interface IOutParam
{
    int Take(out int value);
}

public sealed class OutParam : IOutParam
{
    public int Take(out int value) => value = 1;
}

public interface IInParam
{
    Task Take(in int value);
}

public sealed class InParam : IInParam
{
    public Task Take(in int value) => Task.CompletedTask;
}

public unsafe interface IPointerParam
{
    Task Take(int* value);
}

public sealed unsafe class PointerParam : IPointerParam
{
    public Task Take(int* value) => Task.CompletedTask;
}

public interface ISpanParam
{
    int Take(Span<byte> value);
}

public sealed class SpanParam : ISpanParam
{
    public int Take(Span<byte> value) => value.Length;
}

public interface IReadOnlySpanParam
{
    int Take(ReadOnlySpan<char> value);
}

public sealed class ReadOnlySpanParam : IReadOnlySpanParam
{
    public int Take(ReadOnlySpan<char> value) => value.Length;
}

public interface IGenericMethod
{
    Task<T> Take<T>(T value);
}

public sealed class GenericMethod : IGenericMethod
{
    public Task<T> Take<T>(T value) => Task.FromResult(value);
}

public interface IStreaming
{
    IAsyncEnumerable<int> Take();
}

public sealed class Streaming : IStreaming
{
    public async IAsyncEnumerable<int> Take()
    {
        await Task.Yield();
        yield return 1;
    }
}

public interface IEvented
{
    event EventHandler? Changed;

    Task Take();
}

public sealed class Evented : IEvented
{
    public event EventHandler? Changed;

    public Task Take() => Task.CompletedTask;
}

public interface IDelegateParam
{
    Task Take(Action callback);
}

public sealed class DelegateParam : IDelegateParam
{
    public Task Take(Action callback) => Task.CompletedTask;
}

public interface IObjectResult
{
    Task<object> Take();
}

public sealed class ObjectResult : IObjectResult
{
    public Task<object> Take() => Task.FromResult(new object());
}

public interface ICollidingByText
{
    Task<int> Take(int value);

    Task<int> Take(int value, CancellationToken cancellationToken);
}

public sealed class CollidingByText : ICollidingByText
{
    public Task<int> Take(int value) => Task.FromResult(value);

    public Task<int> Take(int value, CancellationToken cancellationToken) => Task.FromResult(value);
}

/// <summary>Fine itself, but it inherits a refused method.</summary>
public interface IInheritsRefused : IRefParam
{
    Task Fine();
}

public sealed class InheritsRefused : IInheritsRefused
{
    public Task Fine() => Task.CompletedTask;

    public Task Take(ref int value) => Task.CompletedTask;
}
