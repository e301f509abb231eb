using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Ocean.Framing;
using Ocean.Marshalling.Cdr;
using Ocean.Transport;

namespace Ocean.Marshalling.Tests;

/// <summary>
/// The marshallers that generate code at run time say so to a trimmed or native AOT app at build time, and the
/// parts that do not stay unannotated: removing an attribute, or adding one to the AOT-safe surface, fails here.
/// </summary>
public sealed class DynamicCodeAnnotationTests
{
    public static TheoryData<Type> GeneratingCode => [typeof(CdrMarshaller), typeof(GraphMarshaller), typeof(CdrMessageWriter), typeof(CdrMessageReader)];

    public static TheoryData<Type> AotSafe =>
    [
        typeof(IMarshaller), typeof(MessageChannel<>), typeof(CdrWriter), typeof(CdrReader), typeof(GraphTypeRegistry),
        typeof(CdrMarshallerOptions), typeof(GraphMarshallerOptions), typeof(MarshallingException),
        typeof(MarshallingWriter), typeof(MarshallingReader), typeof(MarshallingContext), typeof(IMarshallingSurrogateProvider),
    ];

    [Theory]
    [MemberData(nameof(GeneratingCode))]
    public void Marshaller_GeneratingCode_CarriesBothAttributes(Type type)
    {
        // On the class, the attributes cover its constructors and static members (CdrMarshaller.Default, Write<T>,
        // Read<T>): every way to reach its instance methods passes through one of them.
        var dynamicCode = type.GetCustomAttribute<RequiresDynamicCodeAttribute>();
        var unreferencedCode = type.GetCustomAttribute<RequiresUnreferencedCodeAttribute>();

        dynamicCode.Should().NotBeNull("{0} generates code at run time", type.Name);
        unreferencedCode.Should().NotBeNull("{0} reads members by reflection", type.Name);
        dynamicCode!.Message.Should().NotBeNullOrWhiteSpace();
        unreferencedCode!.Message.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void CdrMarshaller_StaticEntryPoints_AreCoveredByTheClassAttribute()
    {
        // The class-level attribute reaches static members only if they are declared on that class.
        typeof(CdrMarshaller).GetProperty(nameof(CdrMarshaller.Default))!.DeclaringType.Should().Be(typeof(CdrMarshaller));
        typeof(CdrMarshaller).GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Select(m => m.Name).Should().Contain([nameof(CdrMarshaller.Write), nameof(CdrMarshaller.Read)]);
    }

    [Theory]
    [MemberData(nameof(AotSafe))]
    public void AotSafeSurface_CarriesNoAttribute(Type type)
    {
        Annotated(type).Should().BeEmpty("{0} generates no code and needs no reflection", type.Name);
        type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => Annotated(m).Any()).Select(m => m.Name).Should().BeEmpty("no member of {0} generates code", type.Name);
    }

    [Fact]
    public void Assemblies_AreMarkedAotCompatible_SoTheAnalyzersRunOnEveryBuild()
    {
        foreach (var assembly in new[] { typeof(SocketServer).Assembly, typeof(MessageConnection).Assembly, typeof(IMarshaller).Assembly })
        {
            assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Should().Contain(a => a.Key == "IsAotCompatible" && a.Value == "True", "{0} sets IsAotCompatible", assembly.GetName().Name);
        }
    }

    private static IEnumerable<Attribute> Annotated(MemberInfo member) =>
        member.GetCustomAttributes().Where(a => a is RequiresDynamicCodeAttribute or RequiresUnreferencedCodeAttribute);
}
