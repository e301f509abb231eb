using System.Reflection;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>One marshalled member of a struct or union.</summary>
internal sealed record LayoutMember(string Name, Type Type, MemberInfo Member, MemberOptions Options, bool Settable, IReadOnlyList<long>? CaseLabels = null, bool IsDefaultCase = false);

/// <summary>
/// How a class, struct or record maps to a CDR struct (or union): its members in a fixed order, and how an
/// instance is built when reading. Member order is declaration order (from metadata, not reflection's
/// enumeration order) unless every member carries <see cref="CdrOrderAttribute"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.CdrUnreferencedCode)]
internal sealed class StructLayout
{
    private StructLayout(Type type, IReadOnlyList<LayoutMember> members, ConstructorInfo? constructor, IReadOnlyList<LayoutMember> constructorArguments, LayoutMember? discriminator)
    {
        Type = type;
        Members = members;
        Constructor = constructor;
        ConstructorArguments = constructorArguments;
        Discriminator = discriminator;
    }

    public Type Type { get; }

    /// <summary>The members in wire order (for a union: its branches).</summary>
    public IReadOnlyList<LayoutMember> Members { get; }

    /// <summary>The constructor used when reading; null for a struct built with <c>default</c>.</summary>
    public ConstructorInfo? Constructor { get; }

    /// <summary>The members passed to <see cref="Constructor"/>, in parameter order.</summary>
    public IReadOnlyList<LayoutMember> ConstructorArguments { get; }

    public LayoutMember? Discriminator { get; }

    public bool IsUnion => Discriminator is not null;

    public IEnumerable<LayoutMember> AllMembers => Discriminator is null ? Members : Members.Prepend(Discriminator);

    public static StructLayout? TryCreate(Type type, out string? problem)
    {
        problem = null;
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public;
        var candidates = new List<(MemberInfo Member, Type Type, bool Settable)>();
        foreach (var field in type.GetFields(Instance))
        {
            if (!field.IsDefined(typeof(CdrIgnoreAttribute)))
            {
                candidates.Add((field, field.FieldType, !field.IsInitOnly));
            }
        }

        foreach (var property in type.GetProperties(Instance))
        {
            if (property.GetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0 && !property.IsDefined(typeof(CdrIgnoreAttribute))
                && !(property.Name == "EqualityContract" && property.GetMethod.IsFamily))
            {
                candidates.Add((property, property.PropertyType, property.SetMethod is { IsPublic: true }));
            }
        }

        var ordered = candidates.Where(c => c.Member.IsDefined(typeof(CdrOrderAttribute))).ToList();
        if (ordered.Count != 0 && ordered.Count != candidates.Count)
        {
            problem = "[CdrOrder] must be on every member or on none.";
            return null;
        }

        var sorted = ordered.Count != 0
            ? candidates.OrderBy(c => c.Member.GetCustomAttribute<CdrOrderAttribute>()!.Order).ToList()
            : candidates.OrderBy(c => DeclarationRank(type, c.Member)).ToList();

        var members = new List<LayoutMember>();
        LayoutMember? discriminator = null;
        var isUnion = type.IsDefined(typeof(CdrUnionAttribute));
        foreach (var (member, memberType, settable) in sorted)
        {
            var options = new MemberOptions(
                Wide: member.IsDefined(typeof(CdrWideAttribute)),
                Narrow: member.IsDefined(typeof(CdrNarrowAttribute)),
                NullAsEmpty: member.IsDefined(typeof(CdrNullAsEmptyAttribute)),
                FixedLength: member.GetCustomAttribute<CdrFixedLengthAttribute>()?.Length ?? 0);
            if (options.FixedLength > 0 && !memberType.IsArray)
            {
                problem = $"[CdrFixedLength] on {member.Name} needs an array.";
                return null;
            }

            var layoutMember = new LayoutMember(member.Name, memberType, member, options, settable,
                member.GetCustomAttribute<CdrCaseAttribute>()?.Labels, member.IsDefined(typeof(CdrDefaultCaseAttribute)));
            if (isUnion && member.IsDefined(typeof(CdrDiscriminatorAttribute)))
            {
                discriminator = layoutMember;
            }
            else if (!isUnion || layoutMember.CaseLabels is not null || layoutMember.IsDefaultCase)
            {
                members.Add(layoutMember);
            }
        }

        if (isUnion)
        {
            if (discriminator is null || !(IsIntegral(discriminator.Type) || discriminator.Type.IsEnum))
            {
                problem = "a [CdrUnion] needs one [CdrDiscriminator] member of an integer, bool, char or enum type.";
                return null;
            }

            if (type.IsValueType || type.GetConstructor(Type.EmptyTypes) is null || !members.Append(discriminator).All(m => m.Settable))
            {
                problem = "a [CdrUnion] is a class with a parameterless constructor and settable members.";
                return null;
            }

            return new StructLayout(type, members, type.GetConstructor(Type.EmptyTypes), [], discriminator);
        }

        if (members.Count == 0)
        {
            problem = $"{type.Name} has no public fields or properties to marshal.";
            return null;
        }

        // Construction: a parameterless constructor when every member is settable, else a constructor whose
        // parameters match members by name and type (records, immutable classes), the rest set after it.
        var parameterless = type.IsValueType ? null : type.GetConstructor(Type.EmptyTypes);
        if ((type.IsValueType || parameterless is not null) && members.All(m => m.Settable))
        {
            return new StructLayout(type, members, parameterless, [], null);
        }

        foreach (var constructor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = constructor.GetParameters();
            var arguments = new List<LayoutMember>();
            foreach (var parameter in parameters)
            {
                var match = members.FirstOrDefault(m => string.Equals(m.Name, parameter.Name, StringComparison.OrdinalIgnoreCase) && m.Type == parameter.ParameterType);
                if (match is null)
                {
                    break;
                }

                arguments.Add(match);
            }

            if (arguments.Count == parameters.Length && members.All(m => m.Settable || arguments.Contains(m)))
            {
                return new StructLayout(type, members, constructor, arguments, null);
            }
        }

        problem = $"{type.Name} needs a parameterless constructor with settable members, or a constructor whose parameters match its read-only members by name.";
        return null;
    }

    /// <summary>
    /// Declaration order: the compiler emits fields, auto-property backing fields included, in declaration
    /// order, so a field's metadata token (or its backing field's) ranks it. Properties without a backing
    /// field (computed ones) come after, in their own declaration order.
    /// </summary>
    private static long DeclarationRank(Type type, MemberInfo member)
    {
        // Base class members first: rank by how deep the declaring type sits, then by declaration within it.
        var depth = 0L;
        for (var declaring = member.DeclaringType; declaring?.BaseType is not null; declaring = declaring.BaseType)
        {
            depth++;
        }

        if (member is PropertyInfo property)
        {
            var backing = property.DeclaringType!.GetField($"<{property.Name}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            return (depth << 40) + (backing is not null ? backing.MetadataToken & 0x00FFFFFF : (1L << 32) + (property.MetadataToken & 0x00FFFFFF));
        }

        return (depth << 40) + (member.MetadataToken & 0x00FFFFFF);
    }

    private static bool IsIntegral(Type type) =>
        type == typeof(bool) || type == typeof(char) || type == typeof(short) || type == typeof(ushort) || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong);
}
