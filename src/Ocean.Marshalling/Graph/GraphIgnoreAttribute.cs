namespace Ocean.Marshalling.Graph;

/// <summary>
/// Leaves a public field or property out of the object-graph format (<see cref="GraphMarshaller"/>): it is not
/// written, and a reader leaves it at whatever the type's constructor gives it.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class GraphIgnoreAttribute : Attribute
{
}
