using Ocean.Remoting.Internal.Datagrams;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>The server's at-most-once filter on its own: admission, completion, acknowledgement, bounds and expiry.</summary>
public sealed class ReplyCacheTests
{
    private const long Expiry = 1000;
    private static readonly ClientKey s_a = new(1, 1, 1);
    private static readonly ClientKey s_b = new(2, 2, 2);

    private static Admission Admit(ReplyCache cache, ClientKey key, ulong id, ulong ack = 0, bool atMostOnce = true, long now = 0, int maxRunning = 100) =>
        cache.Admit(key, id, ack, atMostOnce, now, maxRunning, out _, out _, out _);

    [Fact]
    public void NewCall_Runs_ACopyWhileRunning_IsInProgress_AfterCompletion_IsReplayed()
    {
        var cache = new ReplyCache(10, 1 << 20, Expiry);
        cache.Admit(s_a, 1, 0, true, 0, 100, out var client, out var entry, out var replay).Should().Be(Admission.Run);
        entry.Should().NotBeNull();
        replay.Should().BeNull();
        cache.Entries.Should().Be(1);
        cache.Clients.Should().Be(1);
        client!.Running.Should().Be(1);

        Admit(cache, s_a, 1).Should().Be(Admission.InProgress);
        Admit(cache, s_b, 1).Should().Be(Admission.Run, "another client's request 1 is another call");

        byte[] reply = [1, 2, 3, 4, 5];
        cache.Complete(entry!, reply, 10);
        cache.Finished(client);
        cache.Bytes.Should().Be(5);
        cache.Admit(s_a, 1, 0, true, 20, 100, out _, out _, out replay).Should().Be(Admission.Replay);
        replay.Should().BeSameAs(reply);
        client.Running.Should().Be(0);
    }

    [Fact]
    public void Complete_IsIgnoredTwice_AndForARemovedEntry()
    {
        var cache = new ReplyCache(10, 1 << 20, Expiry);
        cache.Admit(s_a, 1, 0, true, 0, 100, out var client, out var first, out _);
        cache.Complete(first!, new byte[10], 0);
        cache.Complete(first!, new byte[20], 0);
        cache.Bytes.Should().Be(10, "a second completion changes nothing");

        cache.Admit(s_a, 2, 0, true, 0, 100, out _, out var second, out _);
        Admit(cache, s_a, 3, ack: 3).Should().Be(Admission.Run, "acknowledging 1 and 2 while 2 still runs");
        second!.Removed.Should().BeTrue();
        cache.Complete(second, new byte[100], 0);
        cache.Bytes.Should().Be(0, "the reply of a call acknowledged while it ran is not kept; 1's bytes left with it");
        cache.Entries.Should().Be(1, "only 3");
    }

    [Fact]
    public void Acknowledgement_DropsEntriesBelow_AndMakesLateCopiesStale()
    {
        var cache = new ReplyCache(10, 1 << 20, Expiry);
        for (ulong id = 1; id <= 4; id++)
        {
            cache.Admit(s_a, id, 0, true, 0, 100, out var client, out var entry, out _).Should().Be(Admission.Run);
            cache.Complete(entry!, new byte[8], 0);
            cache.Finished(client!);
        }

        cache.Entries.Should().Be(4);
        cache.Bytes.Should().Be(32);
        Admit(cache, s_a, 5, ack: 3).Should().Be(Admission.Run);
        cache.Entries.Should().Be(3, "3, 4 and 5 are left");
        cache.Bytes.Should().Be(16);
        Admit(cache, s_a, 1).Should().Be(Admission.Stale);
        Admit(cache, s_a, 2, ack: 1).Should().Be(Admission.Stale, "an older acknowledgement never lowers the client's");
        Admit(cache, s_a, 3).Should().Be(Admission.Replay);
        Admit(cache, s_a, 2, atMostOnce: false).Should().Be(Admission.Stale, "stale even for an idempotent method");
    }

    [Fact]
    public void Idempotent_RunsEveryTime_WithoutAnEntry()
    {
        var cache = new ReplyCache(10, 1 << 20, Expiry);
        for (var i = 0; i < 3; i++)
        {
            cache.Admit(s_a, 7, 0, false, 0, 100, out var client, out var entry, out _).Should().Be(Admission.Run);
            entry.Should().BeNull();
            cache.Finished(client!);
        }

        cache.Entries.Should().Be(0);
        cache.Clients.Should().Be(1);
    }

    [Fact]
    public void ARunningLimitPerClient_AnswersClientBusy()
    {
        var cache = new ReplyCache(10, 1 << 20, Expiry);
        Admit(cache, s_a, 1, maxRunning: 2).Should().Be(Admission.Run);
        Admit(cache, s_a, 2, maxRunning: 2, atMostOnce: false).Should().Be(Admission.Run);
        Admit(cache, s_a, 3, maxRunning: 2).Should().Be(Admission.ClientBusy);
        Admit(cache, s_a, 1, maxRunning: 2).Should().Be(Admission.InProgress, "a copy of a running call is still recognised");
        Admit(cache, s_b, 1, maxRunning: 2).Should().Be(Admission.Run, "the limit is per client");
        cache.Entries.Should().Be(2, "the refused call left no entry");
    }

    [Fact]
    public void EntryBound_AnswersCacheFull_UntilExpiryFreesRoom()
    {
        var cache = new ReplyCache(3, 1 << 20, Expiry);
        for (ulong id = 1; id <= 3; id++)
        {
            cache.Admit(s_a, id, 0, true, 0, 100, out var client, out var entry, out _).Should().Be(Admission.Run);
            cache.Complete(entry!, [1], id == 1 ? 0 : 500);
            cache.Finished(client!);
        }

        Admit(cache, s_a, 4, now: 999).Should().Be(Admission.CacheFull);
        Admit(cache, s_a, 4, atMostOnce: false, now: 999).Should().Be(Admission.Run, "an idempotent call needs no entry");
        cache.Entries.Should().Be(3);
        Admit(cache, s_a, 5, now: 1000).Should().Be(Admission.Run, "request 1's reply expired and made room");
        cache.Entries.Should().Be(3);
        Admit(cache, s_a, 6, now: 1499).Should().Be(Admission.CacheFull, "2, 3 and 5 are not old enough");
        Admit(cache, s_a, 1, now: 1500).Should().Be(Admission.Run, "an expired entry is forgotten: the at-most-once window is the expiry");
    }

    [Fact]
    public void ClientBound_AnswersCacheFull_ForANewClient_UntilAnIdleOneExpires()
    {
        var cache = new ReplyCache(2, 1 << 20, Expiry);
        cache.Admit(s_a, 1, 0, false, 0, 100, out var a, out _, out _).Should().Be(Admission.Run);
        Admit(cache, s_b, 1, atMostOnce: false, now: 500).Should().Be(Admission.Run);
        var third = new ClientKey(3, 3, 3);
        Admit(cache, third, 1, now: 600).Should().Be(Admission.CacheFull);
        cache.Clients.Should().Be(2);
        Admit(cache, third, 1, now: 1100).Should().Be(Admission.CacheFull, "the oldest client still runs its call");
        cache.Finished(a!);
        Admit(cache, third, 1, now: 1100).Should().Be(Admission.Run, "a finished, idle past the expiry: swept for the newcomer");
        cache.Clients.Should().Be(2);
    }

    [Fact]
    public void Sweep_DropsExpiredReplies_KeepsRunningCalls_AndIdleClientsGoOnlyWhenEmpty()
    {
        var cache = new ReplyCache(10, 1 << 20, Expiry);
        cache.Admit(s_a, 1, 0, true, 0, 100, out var a, out var done, out _);
        cache.Complete(done!, new byte[16], 0);
        cache.Finished(a!);
        cache.Admit(s_b, 1, 0, true, 0, 100, out var b, out _, out _); // still running
        cache.Sweep(999);
        cache.Entries.Should().Be(2, "nothing is old enough");
        cache.Sweep(1000);
        cache.Entries.Should().Be(1, "the running call stays");
        cache.Bytes.Should().Be(0);
        cache.Clients.Should().Be(1, "a was idle and empty: gone; b runs a call");
        b!.Running.Should().Be(1);
        Admit(cache, s_b, 1, now: 5000).Should().Be(Admission.InProgress, "a running call never expires");
    }

    [Fact]
    public void Complete_OverTheByteBound_KeepsNoReply_ButTheCallNeverRunsAgain()
    {
        var cache = new ReplyCache(10, 100, Expiry);
        cache.Admit(s_a, 1, 0, true, 0, 100, out var client, out var first, out _);
        cache.Complete(first!, new byte[60], 0);
        cache.Admit(s_a, 2, 0, true, 0, 100, out _, out var second, out _);
        cache.Complete(second!, new byte[60], 0);
        cache.Bytes.Should().Be(60, "the second reply would pass the bound");
        cache.RepliesNotKept.Should().Be(1);
        cache.Admit(s_a, 2, 0, true, 0, 100, out _, out _, out var replay).Should().Be(Admission.Replay, "finished: never run again");
        replay.Should().BeNull("nothing to resend");
        cache.Finished(client!);
    }

    [Fact]
    public void ByteBoundReached_AnswersCacheFull()
    {
        var cache = new ReplyCache(10, 100, Expiry);
        cache.Admit(s_a, 1, 0, true, 0, 100, out _, out var entry, out _);
        cache.Complete(entry!, new byte[100], 0);
        cache.Bytes.Should().Be(100);
        Admit(cache, s_a, 2).Should().Be(Admission.CacheFull);
        Admit(cache, s_a, 3, ack: 2).Should().Be(Admission.Run, "acknowledging 1 frees its bytes");
        cache.Bytes.Should().Be(0);
    }

    [Fact]
    public void Abandon_ForgetsTheCall()
    {
        var cache = new ReplyCache(10, 1 << 20, Expiry);
        cache.Admit(s_a, 1, 0, true, 0, 100, out var client, out var entry, out _);
        cache.Abandon(client!, 1, entry);
        cache.Entries.Should().Be(0);
        client!.Running.Should().Be(0);
        Admit(cache, s_a, 1).Should().Be(Admission.Run, "judged afresh");
    }
}
