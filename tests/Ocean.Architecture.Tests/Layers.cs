using System.Reflection;

namespace Ocean.Architecture.Tests;

/// <summary>The layer chain, bottom first, and where the repository is.</summary>
internal static class Layers
{
    /// <summary>Each layer may reference only the one before it in this list.</summary>
    public static readonly string[] Order = ["Ocean.Transport", "Ocean.Framing", "Ocean.Marshalling", "Ocean.Remoting"];

    /// <summary>
    /// Applications built on the layers, outside the chain: each may reference any layer, and no layer may
    /// reference one. They have no public API.
    /// </summary>
    public static readonly string[] Applications = ["Ocean.Tool"];

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The layers whose project exists in src/ today.</summary>
    public static IEnumerable<string> Present => Order.Where(name => File.Exists(ProjectPath(name)));

    public static string ProjectPath(string layer) => Path.Combine(RepositoryRoot, "src", layer, layer + ".csproj");

    public static Assembly Load(string layer) => Assembly.Load(new AssemblyName(layer));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ocean.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Ocean.sln not found above " + AppContext.BaseDirectory);
    }
}
