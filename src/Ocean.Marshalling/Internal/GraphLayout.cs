using System.Reflection;
using Ocean.Marshalling.Graph;

namespace Ocean.Marshalling.Internal;

/// <summary>One member of a registered type as the object-graph format carries it.</summary>
/// <param name="WireName">The name on the wire (<see cref="GraphMemberAttribute"/> or the C# name).</param>
/// <param name="Type">The member's declared type.</param>
/// <param name="Member">The field or property.</param>
/// <param name="ConstructorIndex">The constructor parameter it is passed as, or -1 when it is set after construction.</param>
internal sealed record GraphLayoutMember(string WireName, Type Type, MemberInfo Member, int ConstructorIndex);

/// <summary>
/// How a registered class, struct or record is written and built: its members in wire order (constructor
/// parameters first, in parameter order, then the settable members in declaration order) and the constructor.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.GraphDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.GraphUnreferencedCode)]
internal sealed class GraphLayout
{
    private GraphLayout(IReadOnlyList<GraphLayoutMember> members, ConstructorInfo? constructor, int constructorCount)
    {
        Members = members;
        Constructor = constructor;
        ConstructorCount = constructorCount;
    }

    public IReadOnlyList<GraphLayoutMember> Members { get; }

    /// <summary>The constructor used on read; null for a struct built from <c>default</c>.</summary>
    public ConstructorInfo? Constructor { get; }

    /// <summary>How many leading members are constructor parameters.</summary>
    public int ConstructorCount { get; }

    public static GraphLayout? TryCreate(Type type, out string? problem)
    {
        problem = null;
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public;
        var candidates = new List<(MemberInfo Member, Type Type, bool Settable, bool Required)>();
        foreach (var field in type.GetFields(Instance))
        {
            if (!field.IsDefined(typeof(GraphIgnoreAttribute)))
            {
                candidates.Add((field, field.FieldType, !field.IsInitOnly, true));
            }
        }

        foreach (var property in type.GetProperties(Instance))
        {
            if (property.GetMethod is not { IsPublic: true } || property.GetIndexParameters().Length != 0 || property.IsDefined(typeof(GraphIgnoreAttribute))
                || (property.Name == "EqualityContract" && !property.GetMethod.IsPublic))
            {
                continue;
            }

            // A get-only auto-property holds state and must be carried; a computed property (no backing field) need not.
            var settable = property.SetMethod is { IsPublic: true };
            candidates.Add((property, property.PropertyType, settable, settable || BackingField(property) is not null));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            if (!names.Add(WireName(candidate.Member)))
            {
                problem = $"two members of {type.Name} have the wire name '{WireName(candidate.Member)}'.";
                return null;
            }
        }

        var ordered = candidates.OrderBy(c => Rank(c.Member)).ToList();
        var parameterless = type.IsValueType ? null : type.GetConstructor(Type.EmptyTypes);
        if ((type.IsValueType || parameterless is not null) && ordered.All(c => c.Settable || !c.Required))
        {
            var members = ordered.Where(c => c.Settable).Select(c => new GraphLayoutMember(WireName(c.Member), c.Type, c.Member, -1)).ToList();
            return new GraphLayout(members, parameterless, 0);
        }

        foreach (var constructor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = constructor.GetParameters();
            var matched = new List<(MemberInfo Member, Type Type, bool Settable, bool Required)>();
            foreach (var parameter in parameters)
            {
                var match = ordered.FirstOrDefault(c => string.Equals(c.Member.Name, parameter.Name, StringComparison.OrdinalIgnoreCase) && c.Type == parameter.ParameterType);
                if (match.Member is null || matched.Contains(match))
                {
                    break;
                }

                matched.Add(match);
            }

            if (matched.Count != parameters.Length || !ordered.All(c => c.Settable || !c.Required || matched.Contains(c)))
            {
                continue;
            }

            var members = matched.Select((c, i) => new GraphLayoutMember(WireName(c.Member), c.Type, c.Member, i))
                .Concat(ordered.Where(c => c.Settable && !matched.Contains(c)).Select(c => new GraphLayoutMember(WireName(c.Member), c.Type, c.Member, -1)))
                .ToList();
            return new GraphLayout(members, constructor, matched.Count);
        }

        problem = $"{type.Name} needs a public parameterless constructor with settable members, or a public constructor whose parameters match its read-only members by name and type.";
        return null;
    }

    private static string WireName(MemberInfo member) => member.GetCustomAttribute<GraphMemberAttribute>()?.Name ?? member.Name;

    private static FieldInfo? BackingField(PropertyInfo property) =>
        property.DeclaringType?.GetField($"<{property.Name}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>
    /// Declaration order: base types first, then the order the compiler emitted the fields (an auto-property by its
    /// backing field), computed properties after, so the order never depends on reflection's enumeration order.
    /// </summary>
    private static (int Depth, long Token) Rank(MemberInfo member)
    {
        var depth = 0;
        for (var t = member.DeclaringType?.BaseType; t is not null; t = t.BaseType)
        {
            depth++;
        }

        if (member is PropertyInfo property)
        {
            return BackingField(property) is { } backing ? (depth, backing.MetadataToken & 0x00FFFFFF) : (depth, (1L << 32) + (property.MetadataToken & 0x00FFFFFF));
        }

        return (depth, member.MetadataToken & 0x00FFFFFF);
    }
}
