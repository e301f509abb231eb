namespace Ocean.Marshalling.Internal;

/// <summary>
/// A declared type the surrogate provider substitutes: written as the surrogate the provider replaces it by (with the
/// surrogate's signature), read as whatever the provider resolves the surrogate to. Built only for substituted types.
/// </summary>
/// <remarks>
/// Once per object per stream, as Java's <c>replaceObject</c>/<c>resolveObject</c>: the writer replaces an object it
/// has replaced before in this stream by the same surrogate (a class surrogate then goes out as a back-reference), and
/// the reader resolves a surrogate it has resolved before (the same instance by back-reference, or an equal string or
/// primitive) to the same value.
/// </remarks>
internal sealed class GraphSurrogateCodec<TDeclared, TSurrogate>(byte[] signature, GraphCodec<TSurrogate> inner, IMarshallingSurrogateProvider provider)
    : GraphCodec<TDeclared>(signature)
{
    public override void Write(GraphWriter writer, TDeclared value)
    {
        // A struct has no identity: each occurrence is its own value.
        if (typeof(TDeclared).IsValueType || value is null)
        {
            inner.Write(writer, SurrogateCalls.Replace<TDeclared, TSurrogate>(provider, value, writer.Context));
            return;
        }

        var identity = writer.SurrogateIdentity;
        if (identity.TryGetValue((typeof(TDeclared), value), out var known))
        {
            inner.Write(writer, (TSurrogate)known!);
            return;
        }

        var surrogate = SurrogateCalls.Replace<TDeclared, TSurrogate>(provider, value, writer.Context);
        identity[(typeof(TDeclared), value)] = surrogate;
        inner.Write(writer, surrogate);
    }

    public override TDeclared Read(GraphReader reader)
    {
        var surrogate = inner.Read(reader);
        if (surrogate is null)
        {
            return SurrogateCalls.Resolve<TDeclared, TSurrogate>(provider, surrogate, reader.Context);
        }

        var identity = reader.SurrogateIdentity;
        if (identity.TryGetValue((typeof(TDeclared), surrogate), out var known))
        {
            return (TDeclared)known!;
        }

        var value = SurrogateCalls.Resolve<TDeclared, TSurrogate>(provider, surrogate, reader.Context);
        identity[(typeof(TDeclared), surrogate)] = value;
        return value;
    }
}

/// <summary>
/// Keys of the per-stream surrogate tables: the declared type and an object, the same object for a class (by reference,
/// as handles are), an equal value for a string or a boxed primitive (which the stream carries without a handle).
/// </summary>
internal sealed class GraphSurrogateKeyComparer : IEqualityComparer<(Type Declared, object Value)>
{
    public static readonly GraphSurrogateKeyComparer Instance = new();

    public bool Equals((Type Declared, object Value) x, (Type Declared, object Value) y) =>
        x.Declared == y.Declared && (ByValue(x.Value) ? x.Value.Equals(y.Value) : ReferenceEquals(x.Value, y.Value));

    public int GetHashCode((Type Declared, object Value) key) =>
        HashCode.Combine(key.Declared, ByValue(key.Value) ? key.Value.GetHashCode() : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key.Value));

    private static bool ByValue(object value) => value is string || value.GetType().IsValueType;
}
