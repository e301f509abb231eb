namespace Ocean.Remoting;

/// <summary>What a server's UDP side has seen so far (<see cref="RemotingServer.DatagramStatistics"/>): counts since it started, and the reply cache now.</summary>
/// <param name="Received">Datagrams received.</param>
/// <param name="Malformed">Datagrams dropped unanswered: too short, not Ocean's, another version, a bad message, a mismatched marshaller.</param>
/// <param name="Unvalidated">Requests without the token of their source address: answered with a welcome no larger than the request, not run.</param>
/// <param name="Duplicates">Copies of calls running now, or of calls the client has acknowledged: dropped, not run.</param>
/// <param name="Replayed">Copies of finished at-most-once calls: answered from the reply cache, not run.</param>
/// <param name="Busy">Calls refused with <see cref="RemotingStatus.Busy"/> (the client's limit of calls, or the cache full): not run.</param>
/// <param name="Calls">Calls run.</param>
/// <param name="CacheEntries">At-most-once calls in the reply cache now, running or finished.</param>
/// <param name="CacheBytes">Bytes of replies in the cache now.</param>
/// <param name="Clients">Clients the server remembers now.</param>
public readonly record struct DatagramServerStatistics(
    long Received,
    long Malformed,
    long Unvalidated,
    long Duplicates,
    long Replayed,
    long Busy,
    long Calls,
    int CacheEntries,
    long CacheBytes,
    int Clients);
