using System.Diagnostics.Metrics;

namespace Ocean.Remoting.Internal.Leases;

/// <summary>
/// The distributed garbage collector's instruments on <see cref="RemotingTelemetry.Meter"/>:
/// <c>ocean.remoting.objects.exported</c> (objects this process exports now, by name or implicitly by reference) and
/// <c>ocean.remoting.leases</c> (leases other sides hold on this process's objects, provisional ones included).
/// Both are up-down counters: each export adds one and each un-export subtracts one, so the sum is the current count.
/// </summary>
internal static class LeaseTelemetry
{
    /// <summary>Objects exported and not yet un-exported (fed by <see cref="ObjectExported"/> and <see cref="ObjectUnexported"/>).</summary>
    public static readonly UpDownCounter<long> ExportedObjects = RemotingTelemetry.Meter.CreateUpDownCounter<long>(
        "ocean.remoting.objects.exported", "{object}", "Objects exported (by name or implicitly by reference) and not yet un-exported.");

    /// <summary>Leases alive in every <see cref="LeaseTable"/> of the process (each table reports its changes).</summary>
    public static readonly UpDownCounter<long> Leases = RemotingTelemetry.Meter.CreateUpDownCounter<long>(
        "ocean.remoting.leases", "{lease}", "Leases other sides hold on this process's objects (one per object and holder, provisional leases included).");

    /// <summary>An object was exported (by name or implicitly): call once per export, and <see cref="ObjectUnexported"/> once when it ends.</summary>
    public static void ObjectExported() => ExportedObjects.Add(1);

    /// <summary>An export ended (un-exported by name, released by the lease table, or its side stopped).</summary>
    public static void ObjectUnexported() => ExportedObjects.Add(-1);

    /// <summary>Objects exported or un-exported in bulk (a side stopping with <paramref name="delta"/> = minus its exports).</summary>
    /// <param name="delta">The change in the number of exported objects.</param>
    public static void ObjectsExported(long delta)
    {
        if (delta != 0)
        {
            ExportedObjects.Add(delta);
        }
    }

    /// <summary>A lease table's count of leases changed by <paramref name="delta"/>.</summary>
    /// <param name="delta">Leases added (positive) or ended (negative).</param>
    internal static void LeasesChanged(long delta)
    {
        if (delta != 0)
        {
            Leases.Add(delta);
        }
    }
}
