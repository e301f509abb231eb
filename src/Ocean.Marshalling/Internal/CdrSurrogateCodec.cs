using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// A declared type the surrogate provider substitutes: written as the surrogate the provider replaces it by, read as
/// whatever the provider resolves the surrogate to. Built only for substituted types, so other types pay nothing.
/// </summary>
/// <remarks>CDR has no references: each occurrence of a value is replaced, and each surrogate read resolved, on its own.</remarks>
internal sealed class CdrSurrogateCodec<TDeclared, TSurrogate>(CdrCodec<TSurrogate> inner, IMarshallingSurrogateProvider provider) : CdrCodec<TDeclared>
{
    public override int MinimumSize => inner.MinimumSize;

    public override int MinimumObjects => inner.MinimumObjects;

    /// <summary>The wire shows only the surrogate: described as the surrogate type.</summary>
    public override string Describe(CdrTypeDescriber describer) => inner.Describe(describer);

    public override void Write(ref CdrWriter writer, TDeclared value) =>
        inner.Write(ref writer, SurrogateCalls.Replace<TDeclared, TSurrogate>(provider, value, writer.Context));

    public override TDeclared Read(ref CdrReader reader) =>
        SurrogateCalls.Resolve<TDeclared, TSurrogate>(provider, inner.Read(ref reader), reader.Context);
}
