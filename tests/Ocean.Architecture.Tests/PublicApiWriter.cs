using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Ocean.Architecture.Tests;

/// <summary>Writes an assembly's public surface as sorted, C#-like lines: one per type and one per member.</summary>
internal static class PublicApiWriter
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Describe(Assembly assembly)
    {
        var context = new NullabilityInfoContext();
        var builder = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            builder.Append(DescribeType(type)).Append('\n');
            if (typeof(Delegate).IsAssignableFrom(type))
            {
                continue; // the signature line says it all
            }

            var members = new List<string>();
            foreach (var member in type.GetMembers(Declared))
            {
                if (DescribeMember(member, context) is { } line)
                {
                    members.Add(line);
                }
            }

            foreach (var line in members.OrderBy(l => l, StringComparer.Ordinal))
            {
                builder.Append("    ").Append(line).Append('\n');
            }
        }

        return builder.ToString();
    }

    private static string DescribeType(Type type)
    {
        string kind;
        if (type.IsEnum)
        {
            kind = "enum";
        }
        else if (type.IsInterface)
        {
            kind = "interface";
        }
        else if (type.IsValueType)
        {
            kind = (type.IsDefined(typeof(IsReadOnlyAttribute)) ? "readonly " : "") + (type.IsByRefLike ? "ref struct" : "struct");
        }
        else if (typeof(Delegate).IsAssignableFrom(type))
        {
            var invoke = type.GetMethod("Invoke")!;
            return $"public delegate {Name(invoke.ReturnType)} {type.FullName}({Parameters(invoke, new NullabilityInfoContext())})";
        }
        else
        {
            kind = type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";
        }

        var bases = new List<string>();
        if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType) && baseType != typeof(Enum))
        {
            bases.Add(Name(baseType));
        }

        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic).Select(Name).OrderBy(n => n, StringComparer.Ordinal));
        return $"public {kind} {Name(type)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : string.Empty);
    }

    private static string? DescribeMember(MemberInfo member, NullabilityInfoContext context)
    {
        switch (member)
        {
            case ConstructorInfo constructor:
                return $"{Modifiers(constructor)}ctor({Parameters(constructor, context)})";
            case MethodInfo method when !method.IsSpecialName:
                return $"{Modifiers(method)}{Nullable(method.ReturnParameter, context)} {method.Name}{GenericArguments(method)}({Parameters(method, context)})";
            case PropertyInfo property:
                var accessors = string.Join(' ', new[] { property.GetMethod, property.SetMethod }
                    .Where(a => a is { IsPublic: true } or { IsFamily: true })
                    .Select(a => a == property.GetMethod ? "get;" : IsInitOnly(a!) ? "init;" : "set;"));
                var accessor = (property.GetMethod ?? property.SetMethod)!;
                return $"{Modifiers(accessor)}{Nullable(property, context)} {property.Name} {{ {accessors} }}";
            case FieldInfo field when field.DeclaringType!.IsEnum:
                return field.IsSpecialName ? null : $"{field.Name} = {Convert.ToInt64(field.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}";
            case FieldInfo field:
                return $"public {(field.IsLiteral ? "const " : field.IsStatic ? "static " : string.Empty)}{(field.IsInitOnly ? "readonly " : string.Empty)}{Nullable(field, context)} {field.Name}";
            case EventInfo @event:
                return $"public event {Name(@event.EventHandlerType!)} {@event.Name}";
            default:
                return null;
        }
    }

    private static bool IsInitOnly(MethodInfo setter) =>
        setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m == typeof(IsExternalInit));

    private static string Modifiers(MethodBase method)
    {
        var visibility = method.IsPublic ? "public " : method.IsFamily ? "protected " : null;
        if (visibility is null)
        {
            return "internal? ";
        }

        if (method.IsStatic)
        {
            return visibility + "static ";
        }

        if (method.IsAbstract)
        {
            return visibility + "abstract ";
        }

        if (method is MethodInfo info && method.IsVirtual && !method.IsFinal)
        {
            return visibility + (info.GetBaseDefinition() != info ? "override " : "virtual ");
        }

        return visibility;
    }

    private static string Parameters(MethodBase method, NullabilityInfoContext context) =>
        string.Join(", ", method.GetParameters().Select(p =>
        {
            var prefix = p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : string.Empty;
            var text = $"{prefix}{Nullable(p, context)} {p.Name}";
            if (p.HasDefaultValue)
            {
                text += " = " + (p.DefaultValue switch { null => p.ParameterType.IsValueType && System.Nullable.GetUnderlyingType(p.ParameterType) is null ? "default" : "null", string s => $"\"{s}\"", bool b => b ? "true" : "false", var v => v.ToString() });
            }

            return text;
        }));

    private static string GenericArguments(MethodInfo method) =>
        method.IsGenericMethodDefinition ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">" : string.Empty;

    private static string Nullable(ParameterInfo parameter, NullabilityInfoContext context) => Annotate(Name(parameter.ParameterType), context.Create(parameter));

    private static string Nullable(PropertyInfo property, NullabilityInfoContext context) => Annotate(Name(property.PropertyType), context.Create(property));

    private static string Nullable(FieldInfo field, NullabilityInfoContext context) => Annotate(Name(field.FieldType), context.Create(field));

    private static string Annotate(string name, NullabilityInfo info) =>
        !name.EndsWith('?') && (info.ReadState == NullabilityState.Nullable || info.WriteState == NullabilityState.Nullable) && name != "void" ? name + "?" : name;

    private static string Name(Type type)
    {
        if (type.IsByRef)
        {
            return Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (System.Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        if (type == typeof(void))
        {
            return "void";
        }

        var name = type.FullName ?? $"{type.Namespace}.{type.Name}";
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition().FullName!;
            name = definition[..definition.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
        }

        return name.Replace('+', '.');
    }
}
