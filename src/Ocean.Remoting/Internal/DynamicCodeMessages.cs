namespace Ocean.Remoting.Internal;

/// <summary>The texts of the trimming and AOT warnings on every path that builds proxies or invokers.</summary>
internal static class DynamicCodeMessages
{
    public const string Proxies =
        "Ocean.Remoting builds proxies with DispatchProxy and compiles one invoker per remote method at run time, and its marshallers build codecs by reflection; this needs dynamic code.";

    public const string Unreferenced =
        "Ocean.Remoting reflects over remote interfaces and the types their methods carry; the trimmer cannot see which members that needs.";
}
