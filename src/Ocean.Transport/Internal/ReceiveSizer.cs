namespace Ocean.Transport.Internal;

/// <summary>
/// How much to ask the input pipe for before each receive: starts small and doubles while receives fill their
/// buffer, so a sender of large or many messages is read in few system calls; halves once receives come in well
/// under it again.
/// </summary>
/// <remarks>
/// <para>
/// The hint starts at half a pipe segment: the pipe hands out the rest of its current segment while at least the
/// hint is left, so small receives share one segment instead of each taking a new one. A peer that drips single
/// bytes of a frame it never finishes therefore pins about a segment per half-segment it sent, not a segment
/// per byte.
/// </para>
/// <para>
/// Growing needs receives that filled their buffer: a peer can make a connection hold a larger buffer only by
/// sending that many bytes, and a receive that comes in small shrinks the hint again, so what a connection holds
/// stays within a small multiple of what it was sent (and of the server's budget of unconsumed bytes).
/// </para>
/// </remarks>
internal struct ReceiveSizer
{
    /// <summary>The smallest hint: half a pipe segment.</summary>
    public const int MinimumHint = SocketConnection.SegmentSize / 2;

    /// <summary>The largest hint: 64 KiB, a loopback TCP segment and the most one receive usually returns.</summary>
    public const int MaximumHint = 64 * 1024;

    private readonly int _maximum;

    /// <param name="maxReadBufferSize">
    /// The connection's read bound: receives grow to a quarter of it at most (but never below the minimum), so the
    /// receive in flight when the pipe pauses adds little to what the bound lets a connection hold.
    /// </param>
    public ReceiveSizer(int maxReadBufferSize)
    {
        _maximum = Math.Clamp(maxReadBufferSize / 4, MinimumHint, MaximumHint);
        Hint = MinimumHint;
    }

    /// <summary>The size to ask the pipe for before the next receive.</summary>
    public int Hint { get; private set; }

    /// <summary>
    /// Whether the last receive filled its buffer, so more is probably queued in the socket: the next receive need not
    /// wait for readability first. A peer that stops right after filling a buffer makes the connection hold one buffer
    /// of at most twice what it just sent while it waits.
    /// </summary>
    public bool MoreQueued { get; private set; }

    /// <summary>Adapts the hint to a receive of <paramref name="received"/> bytes into a buffer of <paramref name="bufferLength"/>.</summary>
    public void Observe(int received, int bufferLength)
    {
        MoreQueued = received >= bufferLength;
        if (MoreQueued)
        {
            // The socket had at least as much as the buffer held: more is probably queued behind it.
            Hint = Math.Min(_maximum, Hint * 2);
        }
        else if (received < Hint / 4 && Hint > MinimumHint)
        {
            Hint = Math.Max(MinimumHint, Hint / 2);
        }
    }
}
