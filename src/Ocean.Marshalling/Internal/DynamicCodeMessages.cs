namespace Ocean.Marshalling.Internal;

/// <summary>
/// The messages of the <c>RequiresDynamicCode</c> and <c>RequiresUnreferencedCode</c> warnings a trimmed or native
/// AOT app sees where it creates or calls a marshaller that generates code at run time.
/// </summary>
internal static class DynamicCodeMessages
{
    public const string CdrDynamicCode =
        "The CDR marshaller emits a reader and a writer per type as IL (DynamicMethod) and closes generic codecs over run-time types; native AOT cannot run them. Hand-written CDR through CdrWriter and CdrReader needs neither.";

    public const string CdrUnreferencedCode =
        "The CDR marshaller finds a type's fields, properties and constructors by reflection; trimming may remove them.";

    public const string GraphDynamicCode =
        "The object-graph marshaller compiles per-type readers, writers and constructors with System.Linq.Expressions and closes generic codecs over run-time types; native AOT interprets the expressions at best and may lack the generic code.";

    public const string GraphUnreferencedCode =
        "The object-graph marshaller finds a registered type's fields, properties and constructors by reflection; trimming may remove them.";
}
