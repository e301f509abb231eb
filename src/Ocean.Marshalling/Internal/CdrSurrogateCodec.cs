using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// A declared type the surrogate provider substitutes: written as the surrogate the provider replaces it by, read as
/// whatever the provider resolves the surrogate to. Built only for substituted types, so other types pay nothing.
/// </summary>
internal sealed class CdrSurrogateCodec<TDeclared, TSurrogate>(CdrCodec<TSurrogate> inner, IMarshallingSurrogateProvider provider) : CdrCodec<TDeclared>
{
    public override int MinimumSize => inner.MinimumSize;

    public override int MinimumObjects => inner.MinimumObjects;

    public override void Write(ref CdrWriter writer, TDeclared value)
    {
        var surrogate = provider.Replace(value, typeof(TDeclared), writer.Context);
        inner.Write(ref writer, BoxedValue.Cast<TSurrogate>(surrogate, $"The surrogate provider's Replace for {typeof(TDeclared).Name}"));
    }

    public override TDeclared Read(ref CdrReader reader)
    {
        var surrogate = inner.Read(ref reader);
        return BoxedValue.Cast<TDeclared>(provider.Resolve(surrogate, typeof(TDeclared), reader.Context), $"The surrogate provider's Resolve for {typeof(TDeclared).Name}");
    }
}
