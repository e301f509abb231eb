using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal.Datagrams;

/// <summary>What the reply cache decided about one request.</summary>
internal enum Admission
{
    /// <summary>New: run it (an at-most-once call has an entry, in progress, from now on).</summary>
    Run,

    /// <summary>Finished before: send the cached reply again, do not run.</summary>
    Replay,

    /// <summary>Running now: drop the copy.</summary>
    InProgress,

    /// <summary>Below the client's acknowledgement: a late copy of a finished call; drop it.</summary>
    Stale,

    /// <summary>This client runs its limit of calls: answer busy, do not run.</summary>
    ClientBusy,

    /// <summary>The cache is full (entries, bytes or clients): answer busy, do not run.</summary>
    CacheFull,
}

/// <summary>One at-most-once call of one client: in progress, then finished with its reply (or none, one-way).</summary>
internal sealed class CacheEntry
{
    public bool Done;

    /// <summary>Dropped from the cache (acknowledged, or below an acknowledgement while running): its reply is not kept.</summary>
    public bool Removed;

    public byte[]? Reply;

    public long FinishedAt;
}

/// <summary>What the server remembers of one client (id and incarnation).</summary>
internal sealed class ClientState
{
    public readonly Dictionary<ulong, CacheEntry> Entries = [];

    public ulong AcknowledgedBelow;

    public long LastSeen;

    public int Running;

    /// <summary>What <see cref="RemoteCallContext.ConnectionId"/> says for this client's calls (made once).</summary>
    public string? HostId;

    /// <summary>The source address the client's token was last checked for, and that token (so the HMAC runs once per address).</summary>
    public System.Net.EndPoint? ValidatedSource;

    public TokenBytes ValidatedToken;
}

/// <summary>
/// The at-most-once filter of a UDP server: per client, the calls in progress and the replies of finished ones, until the
/// client acknowledges them or they expire. Bounded in entries, bytes and clients; not thread-safe (its host locks).
/// </summary>
internal sealed class ReplyCache(int maxEntries, long maxBytes, long expiryTimestampTicks)
{
    private readonly Dictionary<ClientKey, ClientState> _clients = [];

    // Set when a finished call's reply did not fit in the byte budget: the cache counts as full (new calls are answered
    // busy) until an acknowledgement or the expiry frees bytes.
    private bool _bytesExhausted;

    public int Entries { get; private set; }

    public long Bytes { get; private set; }

    public int Clients => _clients.Count;

    /// <summary>Calls running now, of every client and semantics: at most the entry limit (idempotent calls have no entry, but run).</summary>
    public int Running { get; private set; }

    /// <summary>Replies not kept because the byte limit was reached (their calls still never run twice).</summary>
    public long RepliesNotKept { get; private set; }

    public Admission Admit(in ClientKey key, ulong requestId, ulong acknowledgedBelow, bool atMostOnce, long now, int maxRunningPerClient, out ClientState? client, out CacheEntry? entry, out byte[]? replay)
    {
        entry = null;
        replay = null;
        if (!_clients.TryGetValue(key, out client))
        {
            if (_clients.Count >= maxEntries)
            {
                Sweep(now);
                if (_clients.Count >= maxEntries)
                {
                    return Admission.CacheFull;
                }
            }

            client = new ClientState();
            _clients.Add(key, client);
        }

        client.LastSeen = now;
        if (acknowledgedBelow > client.AcknowledgedBelow)
        {
            client.AcknowledgedBelow = acknowledgedBelow;
            DropBelow(client, acknowledgedBelow);
        }

        if (requestId < client.AcknowledgedBelow)
        {
            return Admission.Stale;
        }

        if (atMostOnce && client.Entries.TryGetValue(requestId, out entry))
        {
            if (!entry.Done)
            {
                return Admission.InProgress;
            }

            replay = entry.Reply;
            return Admission.Replay;
        }

        if (client.Running >= maxRunningPerClient)
        {
            entry = null;
            return Admission.ClientBusy;
        }

        if (Running >= maxEntries)
        {
            entry = null;
            return Admission.CacheFull;
        }

        if (atMostOnce)
        {
            if (Entries >= maxEntries || Bytes >= maxBytes || _bytesExhausted)
            {
                Sweep(now);
                if (Entries >= maxEntries || Bytes >= maxBytes || _bytesExhausted)
                {
                    entry = null;
                    return Admission.CacheFull;
                }
            }

            entry = new CacheEntry();
            client.Entries.Add(requestId, entry);
            Entries++;
        }

        client.Running++;
        Running++;
        return Admission.Run;
    }

    /// <summary>A call admitted but not run after all (the server is stopping): forget it, so a retransmission is judged afresh.</summary>
    public void Abandon(ClientState client, ulong requestId, CacheEntry? entry)
    {
        client.Running--;
        Running--;
        if (entry is not null && !entry.Removed && client.Entries.Remove(requestId))
        {
            entry.Removed = true;
            Entries--;
        }
    }

    /// <summary>Stores a finished call's reply (<see langword="null"/>: none, a one-way call or a reply that could not be made).</summary>
    public void Complete(CacheEntry entry, byte[]? reply, long now)
    {
        if (entry.Removed || entry.Done)
        {
            return;
        }

        entry.Done = true;
        entry.FinishedAt = now;
        if (reply is not null && Bytes + reply.Length > maxBytes)
        {
            RepliesNotKept++; // the call is still marked finished: a retransmission is dropped, never run again
            reply = null;
            _bytesExhausted = true;
        }

        entry.Reply = reply;
        Bytes += reply?.Length ?? 0;
    }

    public void Finished(ClientState client)
    {
        client.Running--;
        Running--;
    }

    /// <summary>Drops finished replies older than the expiry, and clients idle that long with nothing in the cache.</summary>
    // Dictionary.Remove during enumeration is allowed (it does not invalidate the enumerator): no list per sweep or acknowledgement.
    public void Sweep(long now)
    {
        foreach (var (key, client) in _clients)
        {
            foreach (var (id, entry) in client.Entries)
            {
                if (entry.Done && now - entry.FinishedAt >= expiryTimestampTicks)
                {
                    Remove(client, id);
                }
            }

            if (client.Entries.Count == 0 && client.Running == 0 && now - client.LastSeen >= expiryTimestampTicks)
            {
                _clients.Remove(key);
            }
        }
    }

    /// <summary>The client's state, if the cache has it (for the token check, under the host's lock).</summary>
    public ClientState? Find(in ClientKey key) => _clients.GetValueOrDefault(key);

    private void DropBelow(ClientState client, ulong acknowledgedBelow)
    {
        foreach (var id in client.Entries.Keys)
        {
            if (id < acknowledgedBelow)
            {
                Remove(client, id);
            }
        }
    }

    private void Remove(ClientState client, ulong id)
    {
        if (client.Entries.Remove(id, out var entry))
        {
            entry.Removed = true;
            Entries--;
            if (entry.Reply is { } reply)
            {
                Bytes -= reply.Length;
                _bytesExhausted = false;
                entry.Reply = null;
            }
        }
    }
}
