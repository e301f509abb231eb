using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal;

/// <summary>The preamble's marshaller byte for a marshaller instance.</summary>
internal static class MarshallerIdentity
{
    /// <exception cref="ArgumentException">A marshaller the protocol has no id for.</exception>
    public static MarshallerId Of(IMarshaller marshaller) => marshaller switch
    {
        GraphMarshaller => MarshallerId.Graph,
#pragma warning disable IL2026, IL3050 // only a type test: no CDR codec is built here
        CdrMarshaller cdr => cdr.ByteOrder == ByteOrder.LittleEndian ? MarshallerId.CdrLittleEndian : MarshallerId.CdrBigEndian,
#pragma warning restore IL2026, IL3050
        _ => throw new ArgumentException($"Ocean remoting carries calls with CdrMarshaller or GraphMarshaller; {marshaller.GetType()} has no protocol id.", nameof(marshaller)),
    };
}
