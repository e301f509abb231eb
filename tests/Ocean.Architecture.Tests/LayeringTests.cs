using System.Xml.Linq;

namespace Ocean.Architecture.Tests;

public sealed class LayeringTests
{
    public static TheoryData<string> PresentLayers()
    {
        var data = new TheoryData<string>();
        foreach (var layer in Layers.Present)
        {
            data.Add(layer);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PresentLayers))]
    public void ProjectFile_ReferencesOnlyTheLayerDirectlyBelow(string layer)
    {
        var index = Array.IndexOf(Layers.Order, layer);
        var expected = index == 0 ? [] : new[] { Layers.Order[index - 1] };

        var references = XDocument.Load(Layers.ProjectPath(layer))
            .Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToArray();

        references.Should().BeEquivalentTo(expected, $"{layer} may reference only the layer directly below it");
    }

    [Theory]
    [MemberData(nameof(PresentLayers))]
    public void CompiledAssembly_ReferencesNoLayerAtOrAboveItself(string layer)
    {
        var index = Array.IndexOf(Layers.Order, layer);
        var forbidden = Layers.Order.Skip(index).ToHashSet();

        var oceanReferences = Layers.Load(layer).GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(name => name.StartsWith("Ocean.", StringComparison.Ordinal))
            .ToArray();

        oceanReferences.Should().NotContain(forbidden, $"{layer} must not depend on itself or any layer above it");
        oceanReferences.Except(Layers.Order).Should().BeEmpty("layers depend on no Ocean application project such as Ocean.Tool");
    }

    [Theory]
    [MemberData(nameof(PresentLayers))]
    public void LayerProject_IsReferencedByTheGuardTests(string layer)
    {
        // If this fails, add a ProjectReference to the new layer in Ocean.Architecture.Tests.csproj.
        var act = () => Layers.Load(layer);

        act.Should().NotThrow($"{layer} exists in src/ and must join the architecture and API tests");
    }

    [Fact]
    public void LayerChain_HasNoGaps()
    {
        var present = Layers.Present.ToArray();

        present.Should().Equal(Layers.Order.Take(present.Length), "a layer is built only on the ones below it");
        present.Should().NotBeEmpty();
    }

    public static TheoryData<string> ApplicationNames()
    {
        var data = new TheoryData<string>();
        foreach (var application in Layers.Applications)
        {
            data.Add(application);
        }

        return data;
    }

    [Fact]
    public void EverySourceProject_IsALayerOrAKnownApplication()
    {
        var projects = Directory.GetDirectories(Path.Combine(Layers.RepositoryRoot, "src"))
            .Where(directory => Directory.EnumerateFiles(directory, "*.csproj").Any())
            .Select(Path.GetFileName)
            .ToArray();

        projects.Should().OnlyContain(
            name => Layers.Order.Contains(name) || Layers.Applications.Contains(name),
            "a project in src/ is either a layer (Layers.Order) or an application on top of them (Layers.Applications)");
        projects.Should().Contain(Layers.Applications);
    }

    [Theory]
    [MemberData(nameof(ApplicationNames))]
    public void ApplicationProject_ReferencesOnlyLayers(string application)
    {
        var references = XDocument.Load(Layers.ProjectPath(application))
            .Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToArray();

        references.Should().NotBeEmpty().And.OnlyContain(name => Layers.Order.Contains(name), $"{application} is built on the layers and on nothing else in src/");
    }

    [Theory]
    [MemberData(nameof(ApplicationNames))]
    public void NoLayerProject_ReferencesAnApplication(string application)
    {
        foreach (var layer in Layers.Present)
        {
            var references = XDocument.Load(Layers.ProjectPath(layer))
                .Descendants("ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')));

            references.Should().NotContain(application, $"{layer} is a layer and must not depend on the application {application}");
        }
    }
}
