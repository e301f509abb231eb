namespace Ocean.Marshalling.Internal;

/// <summary>
/// A declared type the surrogate provider substitutes: written as the surrogate the provider replaces it by (with the
/// surrogate's signature), read as whatever the provider resolves the surrogate to. Built only for substituted types.
/// </summary>
internal sealed class GraphSurrogateCodec<TDeclared, TSurrogate>(byte[] signature, GraphCodec<TSurrogate> inner, IMarshallingSurrogateProvider provider)
    : GraphCodec<TDeclared>(signature)
{
    public override void Write(GraphWriter writer, TDeclared value)
    {
        var surrogate = provider.Replace(value, typeof(TDeclared), writer.Context);
        inner.Write(writer, BoxedValue.Cast<TSurrogate>(surrogate, $"The surrogate provider's Replace for {typeof(TDeclared).Name}"));
    }

    public override TDeclared Read(GraphReader reader)
    {
        var surrogate = inner.Read(reader);
        return BoxedValue.Cast<TDeclared>(provider.Resolve(surrogate, typeof(TDeclared), reader.Context), $"The surrogate provider's Resolve for {typeof(TDeclared).Name}");
    }
}
