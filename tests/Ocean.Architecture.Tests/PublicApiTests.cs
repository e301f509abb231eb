namespace Ocean.Architecture.Tests;

/// <summary>
/// Approval test of each layer's public surface: a change to it must show up as a change to the checked-in
/// file under PublicApi/. To accept a deliberate change, run the tests with OCEAN_ACCEPT_API=1 and commit
/// the updated file.
/// </summary>
public sealed class PublicApiTests
{
    [Theory]
    [MemberData(nameof(LayeringTests.PresentLayers), MemberType = typeof(LayeringTests))]
    public void PublicApi_MatchesTheApprovedListing(string layer)
    {
        var actual = PublicApiWriter.Describe(Layers.Load(layer));
        var approvedPath = Path.Combine(Layers.RepositoryRoot, "tests", "Ocean.Architecture.Tests", "PublicApi", layer + ".txt");
        var receivedPath = Path.ChangeExtension(approvedPath, ".received.txt");

        if (Environment.GetEnvironmentVariable("OCEAN_ACCEPT_API") == "1")
        {
            File.WriteAllText(approvedPath, actual);
        }

        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (approved != actual)
        {
            File.WriteAllText(receivedPath, actual);
            var approvedLines = approved.Split('\n').ToHashSet();
            var actualLines = actual.Split('\n').ToHashSet();
            var added = actualLines.Except(approvedLines).Select(l => "+ " + l);
            var removed = approvedLines.Except(actualLines).Select(l => "- " + l);
            Assert.Fail($"The public API of {layer} changed. If deliberate, rerun with OCEAN_ACCEPT_API=1 and commit {approvedPath}.\n"
                + string.Join('\n', removed.Concat(added)));
        }
        else if (File.Exists(receivedPath))
        {
            File.Delete(receivedPath);
        }
    }

    [Theory]
    [MemberData(nameof(LayeringTests.ApplicationNames), MemberType = typeof(LayeringTests))]
    public void Application_HasNoPublicApi(string application)
    {
        // An application (such as the ocean tool) is not a library: nothing in it is public, so it needs no approval file.
        PublicApiWriter.Describe(Layers.Load(application)).Trim().Should().BeEmpty($"{application} is an application, with no public API");
    }

    [Fact]
    public void Describe_ListsMembersWithNullability()
    {
        var listing = PublicApiWriter.Describe(typeof(Ocean.Transport.Connection).Assembly);

        listing.Should().Contain("public abstract class Ocean.Transport.Connection : System.IAsyncDisposable");
        listing.Should().Contain("public abstract void Abort(System.Exception? reason = null)");
        listing.Should().NotContain("Ocean.Transport.Internal", "internal types are not part of the public surface");
    }
}
