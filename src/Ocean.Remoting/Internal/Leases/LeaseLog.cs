using Microsoft.Extensions.Logging;

namespace Ocean.Remoting.Internal.Leases;

/// <summary>The distributed garbage collector's log messages (event ids 200 to 299; source-generated).</summary>
internal static partial class LeaseLog
{
    [LoggerMessage(200, LogLevel.Warning, "Leasing {Count} objects at {Owner} failed; next attempt in {Delay}")]
    public static partial void DirtyFailed(ILogger logger, int count, string owner, TimeSpan delay, Exception exception);

    [LoggerMessage(201, LogLevel.Debug, "Releasing {Count} leases at {Owner} failed; next attempt in {Delay}")]
    public static partial void CleanFailed(ILogger logger, int count, string owner, TimeSpan delay, Exception exception);

    [LoggerMessage(202, LogLevel.Debug, "Releasing {Count} leases at {Owner} failed {Attempts} times; giving up (the leases expire on their own)")]
    public static partial void CleanAbandoned(ILogger logger, int count, string owner, int attempts);

    [LoggerMessage(203, LogLevel.Debug, "{Owner} granted no lease on {Count} objects of incarnation {Incarnation}: those references are stale")]
    public static partial void Stale(ILogger logger, string owner, int count, string incarnation);

    [LoggerMessage(204, LogLevel.Debug, "{Owner} is gone: forgetting its {Count} tracked objects")]
    public static partial void OwnerGone(ILogger logger, string owner, int count);

    [LoggerMessage(205, LogLevel.Debug, "Releasing {Count} leases at {Owner} while stopping failed or timed out")]
    public static partial void FinalCleanFailed(ILogger logger, int count, string owner, Exception exception);

    [LoggerMessage(210, LogLevel.Debug, "Object {Number} is released: its last lease ended")]
    public static partial void Released(ILogger logger, ulong number);

    [LoggerMessage(211, LogLevel.Error, "The release callback for object {Number} threw")]
    public static partial void ReleaseCallbackFailed(ILogger logger, ulong number, Exception exception);

    [LoggerMessage(212, LogLevel.Debug, "Dirty from holder '{Holder}' refused: {Reason}")]
    public static partial void DirtyRefused(ILogger logger, string holder, string reason);
}
