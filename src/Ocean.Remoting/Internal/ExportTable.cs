using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Ocean.Remoting.Internal;

/// <summary>
/// One exported object: the name it is reached by (its wire key: the export name, or <c>~INCARNATION/NUMBER</c> for an
/// object exported implicitly), its number, interface and target; whether it is leased, and the connection it is bound
/// to (an implicit export of a side without an endpoint).
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed record ExportedObject(string Name, RemoteInterface Interface, object Target, ulong Number = 0, bool Leased = false, RemotingConnection? BoundTo = null);

/// <summary>
/// The objects a side exports by name. Looked up by the request's UTF-8 key bytes without creating a string;
/// read without a lock (copy on write), since exports change rarely and lookups happen on every call.
/// </summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class ExportTable
{
    private readonly Lock _lock = new();
    private Dictionary<string, ExportedObject> _objects = new(StringComparer.Ordinal);

    public int Count => _objects.Count;

    public void Add(ExportedObject exported)
    {
        lock (_lock)
        {
            if (_objects.ContainsKey(exported.Name))
            {
                throw new InvalidOperationException($"An object is already exported under the name '{exported.Name}'; unexport it first.");
            }

            _objects = new Dictionary<string, ExportedObject>(_objects, StringComparer.Ordinal) { [exported.Name] = exported };
        }
    }

    public ExportedObject? Remove(string name)
    {
        lock (_lock)
        {
            if (!_objects.TryGetValue(name, out var removed))
            {
                return null;
            }

            var copy = new Dictionary<string, ExportedObject>(_objects, StringComparer.Ordinal);
            copy.Remove(name);
            _objects = copy;
            return removed;
        }
    }

    public bool TryGet(string name, [NotNullWhen(true)] out ExportedObject? exported) => _objects.TryGetValue(name, out exported);

    /// <summary>The objects exported by name now.</summary>
    public ExportedObject[] Snapshot() => [.. _objects.Values];

    public bool TryGet(ReadOnlySpan<byte> utf8Key, [NotNullWhen(true)] out ExportedObject? exported)
    {
        Span<char> chars = stackalloc char[256];
        if (!Encoding.UTF8.TryGetChars(utf8Key, chars, out var written))
        {
            exported = null;
            return false;
        }

        return _objects.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..written], out exported);
    }
}
