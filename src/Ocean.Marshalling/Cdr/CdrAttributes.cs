namespace Ocean.Marshalling.Cdr;

/// <summary>Fixes a member's position in the CDR struct. Use it on all members of a type or on none (then declaration order applies).</summary>
/// <param name="order">The position, smallest first.</param>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrOrderAttribute(int order) : Attribute
{
    /// <summary>The position, smallest first.</summary>
    public int Order { get; } = order;
}

/// <summary>Leaves a field or property out of the CDR struct.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrIgnoreAttribute : Attribute
{
}

/// <summary>Marshals a <see cref="string"/> member as <c>wstring</c> (UTF-16) instead of <c>string</c> (ISO-8859-1).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrWideAttribute : Attribute
{
}

/// <summary>Marshals a <see cref="char"/> member as <c>char</c> (one ISO-8859-1 byte) instead of <c>wchar</c>.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrNarrowAttribute : Attribute
{
}

/// <summary>Marshals an array member as a fixed-length CDR array: exactly <paramref name="length"/> elements, no count.</summary>
/// <param name="length">The number of elements, fixed by the IDL.</param>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrFixedLengthAttribute(int length) : Attribute
{
    /// <summary>The number of elements (at least 1).</summary>
    public int Length { get; } = length > 0 ? length : throw new ArgumentOutOfRangeException(nameof(length), length, "A fixed-length array holds at least one element.");
}

/// <summary>
/// CDR has no null: by default a null string, array or list is refused. With this attribute a null member is
/// written as an empty string or sequence (and read back as empty, not null).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrNullAsEmptyAttribute : Attribute
{
}

/// <summary>
/// Declares a class as a CDR union: one member carries <see cref="CdrDiscriminatorAttribute"/>, the others
/// <see cref="CdrCaseAttribute"/> (or <see cref="CdrDefaultCaseAttribute"/>); the discriminator is written,
/// then only the member its value selects.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class CdrUnionAttribute : Attribute
{
}

/// <summary>The discriminator of a <see cref="CdrUnionAttribute"/> union: an integer, bool, char or enum member.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrDiscriminatorAttribute : Attribute
{
}

/// <summary>A union branch, selected when the discriminator equals one of <see cref="Labels"/> (enums and bools by their numeric value).</summary>
/// <param name="labels">The case labels.</param>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrCaseAttribute(params long[] labels) : Attribute
{
    /// <summary>The case labels.</summary>
    public IReadOnlyList<long> Labels { get; } = labels;
}

/// <summary>The union branch selected when no case label matches.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class CdrDefaultCaseAttribute : Attribute
{
}
