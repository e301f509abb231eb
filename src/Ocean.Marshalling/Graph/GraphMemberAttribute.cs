namespace Ocean.Marshalling.Graph;

/// <summary>
/// Gives a public field or property a wire name other than its C# name in the object-graph format
/// (<see cref="GraphMarshaller"/>), so a member can be renamed in code and still be read from older streams
/// (and by older readers).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class GraphMemberAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The member's name on the wire (not empty).</param>
    public GraphMemberAttribute(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The member's name on the wire.</summary>
    public string Name { get; }
}
