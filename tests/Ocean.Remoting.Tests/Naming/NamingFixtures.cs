namespace Ocean.Remoting.Tests.Naming;

internal static class NamingFixtures
{
    public static readonly ServerIncarnation Incarnation =
        new(Guid.ParseExact("5f0c1d2e3f405162738495a6b7c8d9e1", "N"), DateTimeOffset.FromUnixTimeMilliseconds(1_764_460_800_123));

    public static RemoteReference Reference(ulong number, string host = "127.0.0.1", int port = 7000) =>
        new(host, port, Incarnation, number, "Ocean.Remoting.Tests.Naming.IGreeter");
}

/// <summary>A resolver that answers from a fixed table and records what it was asked.</summary>
internal sealed class TableResolver(params (string Name, RemoteReference Reference)[] entries) : INameResolver
{
    private readonly Dictionary<string, RemoteReference> _entries = entries.ToDictionary(e => e.Name, e => e.Reference, StringComparer.Ordinal);
    private readonly List<string> _asked = [];

    public IReadOnlyList<string> Asked
    {
        get
        {
            lock (_asked)
            {
                return [.. _asked];
            }
        }
    }

    public ValueTask<RemoteReference?> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        lock (_asked)
        {
            _asked.Add(name);
        }

        return new(_entries.TryGetValue(name, out var reference) ? reference : null);
    }
}
