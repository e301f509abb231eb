using System.Buffers;
using System.Net;
using System.Runtime.ExceptionServices;
using Ocean.Framing.Internal;
using Ocean.Transport;

namespace Ocean.Framing;

/// <summary>
/// Wraps a <see cref="MessageConnection"/> and drops, duplicates, delays and reorders the messages it carries, in
/// each direction, with the probabilities of <see cref="FaultInjectionOptions"/>: a lossy network on demand, seeded
/// and deterministic, for testing protocols over UDP (retries, duplicate suppression) and for demonstrations.
/// </summary>
/// <remarks>
/// <para>
/// <b>Determinism</b>: each direction draws its decisions from its own <see cref="Random"/> seeded from
/// <see cref="FaultInjectionOptions.Seed"/>, one decision per message, in the order messages reach the wrapper:
/// the same seed and the same sequence of messages give the same faults. With concurrent senders the order of the
/// messages (and so which message gets which decision) is the order their calls reach the wrapper; delays depend on
/// <see cref="FaultInjectionOptions.TimeProvider"/>.
/// </para>
/// <para>
/// <b>Sending</b>: a dropped message completes its send successfully and is not handed to the wrapped connection
/// (a message over the size limit still raises <see cref="FramingException"/>, and a send on a closed connection
/// still fails). A duplicated one is sent twice; a delayed one is copied and sent later by a timer; a reordered one is
/// copied and sent right after the next message that goes out at once, or after <see cref="FaultRates.MaxDelay"/> if
/// none does. A late send that fails is dropped silently. A message that goes out at once, undisturbed, is handed
/// straight to the wrapped connection's same overload: no copy. The overloads with a destination pass it through;
/// the wrapped connection's <see cref="NotSupportedException"/> (a connection with one peer) reaches the caller
/// when the message goes out at once, and is swallowed with a late send (a dropped message is never handed over).
/// </para>
/// <para>
/// <b>Receiving</b> follows <see cref="MessageConnection"/>'s contract: one reader, a message valid until the next
/// read, <see cref="CancelPendingReceive"/>. A dropped message is skipped; a duplicated one is returned again by the
/// next read; a delayed one is returned once due (a read waiting on the wrapped connection wakes for it); a reordered
/// one is returned after the next message (or once <see cref="FaultRates.MaxDelay"/> has passed).
/// <see cref="MessageReceiveResult.RemoteEndPoint"/> is kept. When the wrapped connection ends or fails, held
/// messages are returned first, then the end or the exception.
/// </para>
/// <para>
/// <b>Lifetime</b>: the wrapper owns the wrapped connection: closing, aborting or disposing it does the same to
/// the wrapped one, stops the timers and discards held messages. <see cref="ConnectionClosed"/>, the endpoints and
/// <see cref="MaxMessageSize"/> are the wrapped connection's. With every rate 0 it behaves as the wrapped connection,
/// except that <see cref="IsReliable"/> and <see cref="IsOrdered"/> are always <see langword="false"/>.
/// </para>
/// </remarks>
public sealed class FaultInjectingConnection : MessageConnection
{
    private readonly MessageConnection _inner;
    private readonly TimeProvider _time;
    private readonly Rates _outRates;
    private readonly Rates _inRates;
    private readonly Random _outRandom;
    private readonly Random _inRandom;
    private readonly Lock _outLock = new();
    private readonly Lock _inLock = new();
    private readonly List<Held> _heldOut = []; // delayed and reordered outgoing messages, in arrival order
    private readonly List<Held> _heldIn = []; // delayed and reordered incoming messages, in arrival order
    private readonly Queue<Held> _ready = new(); // incoming copies to return before reading the wrapped connection again
    private ITimer? _outTimer;
    private ITimer? _inTimer;
    private ExceptionDispatchInfo? _innerFailure;
    private bool _innerCompleted;
    private byte[]? _current; // the copy the last read returned: returned to the pool by the next read
    private long _sequence;
    private int _reading;
    private int _cancelRequested;
    private int _closed;
    private long _sent;
    private long _sentDropped;
    private long _sentDuplicated;
    private long _sentDelayed;
    private long _sentReordered;
    private long _received;
    private long _receivedDropped;
    private long _receivedDuplicated;
    private long _receivedDelayed;
    private long _receivedReordered;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The connection to disturb; the wrapper takes ownership of it.</param>
    /// <param name="options">The seed, the rates of each direction and the clock; read once, here.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5394", Justification = "Fault injection must be reproducible from a seed; nothing here is security-sensitive.")]
    public FaultInjectingConnection(MessageConnection inner, FaultInjectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _time = options.TimeProvider;
        _outRates = new Rates(options.Outgoing);
        _inRates = new Rates(options.Incoming);
        _outRandom = new Random(options.Seed);
        _inRandom = new Random(options.Seed ^ 0x5EED);
        Id = "F" + inner.Id;
    }

    /// <summary>What has been done to the messages so far: a snapshot.</summary>
    public FaultInjectionStatistics Statistics => new(
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _sentDropped),
        Interlocked.Read(ref _sentDuplicated),
        Interlocked.Read(ref _sentDelayed),
        Interlocked.Read(ref _sentReordered),
        Interlocked.Read(ref _received),
        Interlocked.Read(ref _receivedDropped),
        Interlocked.Read(ref _receivedDuplicated),
        Interlocked.Read(ref _receivedDelayed),
        Interlocked.Read(ref _receivedReordered));

    /// <summary><c>F</c> followed by the wrapped connection's id.</summary>
    public override string Id { get; }

    /// <summary>The wrapped connection's.</summary>
    public override int MaxMessageSize => _inner.MaxMessageSize;

    /// <summary>Always <see langword="false"/>: messages may be lost.</summary>
    public override bool IsReliable => false;

    /// <summary>Always <see langword="false"/>: messages may be reordered.</summary>
    public override bool IsOrdered => false;

    /// <summary>The wrapped connection's.</summary>
    public override CancellationToken ConnectionClosed => _inner.ConnectionClosed;

    /// <summary>The wrapped connection's.</summary>
    public override EndPoint? LocalEndPoint => _inner.LocalEndPoint;

    /// <summary>The wrapped connection's.</summary>
    public override EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    private bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <inheritdoc/>
    public override ValueTask<MessageReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("Another read is in progress on this message connection.");
        }

        return ReceiveCoreAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public override void CancelPendingReceive()
    {
        Volatile.Write(ref _cancelRequested, 1);
        _inner.CancelPendingReceive(); // wakes a read waiting on the wrapped connection; a stale one is absorbed
    }

    /// <inheritdoc/>
    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        SendMemory(message, null, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, EndPoint destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return SendMemory(message, destination, cancellationToken);
    }

    /// <inheritdoc/>
    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, CancellationToken cancellationToken = default) =>
        SendWritten(state, writeMessage, null, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask SendAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, EndPoint destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return SendWritten(state, writeMessage, destination, cancellationToken);
    }

    /// <inheritdoc/>
    public override ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        Shutdown();
        return _inner.CloseAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public override void Abort(Exception? reason = null)
    {
        Shutdown();
        _inner.Abort(reason);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        Shutdown();
        await _inner.DisposeAsync().ConfigureAwait(false);
        ReleaseCurrent();
    }

    private static Held Copy(ReadOnlySpan<byte> message, EndPoint? endPoint)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(message.Length, 1));
        message.CopyTo(buffer);
        return new Held(buffer, message.Length, endPoint);
    }

    private static Held Copy(in ReadOnlySequence<byte> message, EndPoint? endPoint)
    {
        var length = checked((int)message.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        message.CopyTo(buffer);
        return new Held(buffer, length, endPoint);
    }

    private static void ReturnAll(List<Held>? held)
    {
        if (held is not null)
        {
            foreach (var message in held)
            {
                message.Release();
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5394", Justification = "Fault injection must be reproducible from a seed; nothing here is security-sensitive.")]
    private static Decision Draw(Random random, Rates rates)
    {
        // Always five draws, so the decisions for later messages do not depend on what earlier ones drew.
        var drop = random.NextDouble();
        var duplicate = random.NextDouble();
        var delay = random.NextDouble();
        var reorder = random.NextDouble();
        var amount = random.NextDouble();
        if (drop < rates.Drop)
        {
            return new Decision(Fate.Drop, Duplicate: false, default);
        }

        var twice = duplicate < rates.Duplicate;
        if (delay < rates.Delay)
        {
            // 1 - amount is in (0, 1]: a delay in (0, MaxDelay].
            var ticks = Math.Clamp((long)Math.Ceiling(rates.MaxDelay.Ticks * (1 - amount)), 1, rates.MaxDelay.Ticks);
            return new Decision(Fate.Delay, twice, TimeSpan.FromTicks(ticks));
        }

        return reorder < rates.Reorder ? new Decision(Fate.Reorder, twice, default) : new Decision(Fate.Now, twice, default);
    }

    private long TimestampAfter(TimeSpan delay) =>
        _time.GetTimestamp() + (long)Math.Ceiling(delay.Ticks * (double)_time.TimestampFrequency / TimeSpan.TicksPerSecond);

    /// <summary>
    /// The time from now to <paramref name="timestamp"/>, rounded up, and at least 1 ms: a system timer counts whole
    /// milliseconds, so one set for less might fire before the message is due and spin.
    /// </summary>
    private TimeSpan Until(long timestamp, long now) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (long)Math.Ceiling((timestamp - now) * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency)));

    // ---------------------------------------------------------------- sending

    private ValueTask InnerSend(ReadOnlyMemory<byte> message, EndPoint? destination, CancellationToken cancellationToken) =>
        destination is null ? _inner.SendAsync(message, cancellationToken) : _inner.SendAsync(message, destination, cancellationToken);

    /// <summary>The largest message the wrapped connection takes to <paramref name="destination"/>: a copy must not outgrow it.</summary>
    private int Limit(EndPoint? destination) =>
        destination is IPEndPoint to && _inner.LocalEndPoint is IPEndPoint ? DatagramSocket.MaxDatagramSize(to) : _inner.MaxMessageSize;

    private bool InnerUnusable => IsClosed || _inner.ConnectionClosed.IsCancellationRequested;

    /// <summary>Draws the fate of the next outgoing message; one that goes out now takes the reordered messages held for it.</summary>
    private Decision DecideOutgoing(out List<Held>? release)
    {
        release = null;
        lock (_outLock)
        {
            var decision = Draw(_outRandom, _outRates);
            Interlocked.Increment(ref _sent);
            switch (decision.Fate)
            {
                case Fate.Drop:
                    Interlocked.Increment(ref _sentDropped);
                    return decision;
                case Fate.Delay:
                    Interlocked.Increment(ref _sentDelayed);
                    break;
                case Fate.Reorder:
                    Interlocked.Increment(ref _sentReordered);
                    break;
                default:
                    release = TakeReordered(_heldOut);
                    break;
            }

            if (decision.Duplicate)
            {
                Interlocked.Increment(ref _sentDuplicated);
            }

            return decision;
        }
    }

    private ValueTask SendMemory(ReadOnlyMemory<byte> message, EndPoint? destination, CancellationToken cancellationToken)
    {
        if (InnerUnusable)
        {
            return InnerSend(message, destination, cancellationToken); // raises what the wrapped connection raises
        }

        var decision = DecideOutgoing(out var release);
        switch (decision.Fate)
        {
            case Fate.Drop:
                if (message.Length > Limit(destination))
                {
                    return InnerSend(message, destination, cancellationToken); // too large: the wrapped connection refuses it
                }

                return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken) : ValueTask.CompletedTask;
            case Fate.Now when !decision.Duplicate:
                return release is null ? InnerSend(message, destination, cancellationToken) : SendThenReleaseAsync(InnerSend(message, destination, cancellationToken), release);
            default:
                if (message.Length > Limit(destination))
                {
                    PutBack(release);
                    return InnerSend(message, destination, cancellationToken);
                }

                return Act(decision, Copy(message.Span, destination), release, cancellationToken);
        }
    }

    private ValueTask SendWritten<TState>(TState state, Action<TState, IBufferWriter<byte>> writeMessage, EndPoint? destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeMessage);
        if (InnerUnusable)
        {
            return destination is null ? _inner.SendAsync(state, writeMessage, cancellationToken) : _inner.SendAsync(state, writeMessage, destination, cancellationToken);
        }

        var decision = DecideOutgoing(out var release);
        if (decision.Fate == Fate.Now && !decision.Duplicate)
        {
            // Undisturbed: straight through, no copy.
            var send = destination is null ? _inner.SendAsync(state, writeMessage, cancellationToken) : _inner.SendAsync(state, writeMessage, destination, cancellationToken);
            return release is null ? send : SendThenReleaseAsync(send, release);
        }

        // The bytes are needed (or, when dropped, the writer's errors and the size limit): write them into a pooled buffer.
        Held copy;
        var scratch = PooledBufferWriter.Rent(Limit(destination));
        try
        {
            writeMessage(state, scratch);
            copy = Copy(scratch.WrittenSpan, destination);
        }
        catch
        {
            PutBack(release);
            throw;
        }
        finally
        {
            PooledBufferWriter.Return(scratch);
        }

        if (decision.Fate == Fate.Drop)
        {
            copy.Release();
            return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken) : ValueTask.CompletedTask;
        }

        return Act(decision, copy, release, cancellationToken);
    }

    /// <summary>Sends, holds or delays a copied message according to <paramref name="decision"/>.</summary>
    private ValueTask Act(Decision decision, Held copy, List<Held>? release, CancellationToken cancellationToken)
    {
        copy.Copies = decision.Duplicate ? 2 : 1;
        if (decision.Fate == Fate.Now)
        {
            return SendCopyNowAsync(copy, release, cancellationToken);
        }

        lock (_outLock)
        {
            if (IsClosed)
            {
                copy.Release();
                return ValueTask.CompletedTask;
            }

            Hold(_heldOut, copy, decision, _outRates);
            ArmOutgoing();
        }

        return ValueTask.CompletedTask;
    }

    private void Hold(List<Held> held, Held copy, Decision decision, Rates rates)
    {
        copy.Reorder = decision.Fate == Fate.Reorder;
        copy.Due = TimestampAfter(copy.Reorder ? rates.MaxDelay : decision.Delay);
        copy.Sequence = Interlocked.Increment(ref _sequence);
        held.Add(copy);
    }

    private async ValueTask SendCopyNowAsync(Held copy, List<Held>? release, CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 0; i < copy.Copies; i++)
            {
                await InnerSend(copy.Memory, copy.EndPoint, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            ReturnAll(release);
            throw;
        }
        finally
        {
            copy.Release();
        }

        if (release is not null)
        {
            await SendLateAsync(release).ConfigureAwait(false);
        }
    }

    private async ValueTask SendThenReleaseAsync(ValueTask send, List<Held> release)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch
        {
            ReturnAll(release);
            throw;
        }

        await SendLateAsync(release).ConfigureAwait(false);
    }

    /// <summary>Sends held messages (reordered or delayed), in order; a failure is not the caller's: dropped silently.</summary>
    private async Task SendLateAsync(List<Held> messages)
    {
        foreach (var message in messages)
        {
            try
            {
                for (var i = 0; i < message.Copies && !IsClosed; i++)
                {
                    await InnerSend(message.Memory, message.EndPoint, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A late message that cannot go out is lost, as on a real network; nobody awaits a timer's send to hear of it.
            }
            finally
            {
                message.Release();
            }
        }
    }

    /// <summary>A send that took the reordered messages failed before anything went out: they wait for the next one again.</summary>
    private void PutBack(List<Held>? release)
    {
        if (release is null)
        {
            return;
        }

        lock (_outLock)
        {
            if (IsClosed)
            {
                ReturnAll(release);
                return;
            }

            _heldOut.InsertRange(0, release);
        }
    }

    /// <summary>Takes the reordered (not the delayed) messages, in order.</summary>
    private static List<Held>? TakeReordered(List<Held> held)
    {
        List<Held>? taken = null;
        for (var i = 0; i < held.Count; i++)
        {
            if (held[i].Reorder)
            {
                (taken ??= []).Add(held[i]);
                held.RemoveAt(i--);
            }
        }

        return taken;
    }

    /// <summary>Takes the messages due by <paramref name="now"/>, soonest first.</summary>
    private static List<Held>? TakeDue(List<Held> held, long now)
    {
        List<Held>? taken = null;
        for (var i = 0; i < held.Count; i++)
        {
            if (held[i].Due <= now)
            {
                (taken ??= []).Add(held[i]);
                held.RemoveAt(i--);
            }
        }

        taken?.Sort(static (a, b) => a.Due != b.Due ? a.Due.CompareTo(b.Due) : a.Sequence.CompareTo(b.Sequence));
        return taken;
    }

    private static long EarliestDue(List<Held> held)
    {
        var earliest = long.MaxValue;
        foreach (var message in held)
        {
            earliest = Math.Min(earliest, message.Due);
        }

        return earliest;
    }

    /// <summary>Sets the outgoing timer for the earliest held message. Under <see cref="_outLock"/>.</summary>
    private void ArmOutgoing()
    {
        if (IsClosed)
        {
            return; // the timer is disposed
        }

        var due = EarliestDue(_heldOut);
        if (due == long.MaxValue)
        {
            _outTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        _outTimer ??= _time.CreateTimer(static state => ((FaultInjectingConnection)state!).OnOutgoingTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _outTimer.Change(Until(due, _time.GetTimestamp()), Timeout.InfiniteTimeSpan);
    }

    private void OnOutgoingTimer()
    {
        List<Held>? due;
        lock (_outLock)
        {
            if (IsClosed)
            {
                return;
            }

            due = TakeDue(_heldOut, _time.GetTimestamp());
            ArmOutgoing();
        }

        if (due is not null)
        {
            _ = SendLateAsync(due);
        }
    }

    // ---------------------------------------------------------------- receiving

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageReceiveResult> ReceiveCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            ReleaseCurrent();
            while (true)
            {
                if (IsClosed)
                {
                    return await _inner.ReceiveAsync(cancellationToken).ConfigureAwait(false); // the end, or the abort
                }

                if (Interlocked.Exchange(ref _cancelRequested, 0) != 0)
                {
                    return new MessageReceiveResult(default, isCanceled: true, isCompleted: false, remoteEndPoint: null);
                }

                lock (_inLock)
                {
                    if (_innerCompleted || _innerFailure is not null)
                    {
                        // The wrapped connection ended: what is still held comes first.
                        ReadyAll(TakeDue(_heldIn, long.MaxValue));
                    }
                    else
                    {
                        ReadyAll(TakeDue(_heldIn, _time.GetTimestamp()));
                    }

                    if (_ready.TryDequeue(out var next))
                    {
                        _current = next.Buffer;
                        return new MessageReceiveResult(new ReadOnlySequence<byte>(next.Buffer, 0, next.Length), isCanceled: false, isCompleted: false, next.EndPoint);
                    }

                    _innerFailure?.Throw();
                    if (_innerCompleted)
                    {
                        return new MessageReceiveResult(default, isCanceled: false, isCompleted: true, remoteEndPoint: null);
                    }

                    ArmIncoming();
                }

                MessageReceiveResult result;
                try
                {
                    result = await _inner.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!IsClosed && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    lock (_inLock)
                    {
                        _innerFailure = ExceptionDispatchInfo.Capture(ex);
                    }

                    continue; // held messages first, then the exception
                }

                if (IsClosed)
                {
                    return result;
                }

                if (result.IsCanceled)
                {
                    continue; // CancelPendingReceive (seen at the top of the loop), a held message falling due, or a stale wake
                }

                if (result.IsCompleted)
                {
                    lock (_inLock)
                    {
                        _innerCompleted = true;
                    }

                    continue;
                }

                if (Deliver(result))
                {
                    return result; // the wrapped connection's own buffer: valid until we read it again
                }
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Decides the fate of a message read from the wrapped connection; <see langword="true"/> to return it now.</summary>
    private bool Deliver(in MessageReceiveResult result)
    {
        lock (_inLock)
        {
            if (IsClosed)
            {
                return true; // closed meanwhile: nothing more is held
            }

            var decision = Draw(_inRandom, _inRates);
            Interlocked.Increment(ref _received);
            if (decision.Fate == Fate.Drop)
            {
                Interlocked.Increment(ref _receivedDropped);
                return false;
            }

            if (decision.Duplicate)
            {
                Interlocked.Increment(ref _receivedDuplicated);
            }

            if (decision.Fate != Fate.Now)
            {
                Interlocked.Increment(ref decision.Fate == Fate.Delay ? ref _receivedDelayed : ref _receivedReordered);
                var copy = Copy(result.Message, result.RemoteEndPoint);
                copy.Copies = decision.Duplicate ? 2 : 1;
                Hold(_heldIn, copy, decision, _inRates);
                return false;
            }

            if (decision.Duplicate)
            {
                _ready.Enqueue(Copy(result.Message, result.RemoteEndPoint));
            }

            ReadyAll(TakeReordered(_heldIn));
            return true;
        }
    }

    /// <summary>Queues held messages to be returned, each as many times as it was duplicated. Under <see cref="_inLock"/>.</summary>
    private void ReadyAll(List<Held>? messages)
    {
        if (messages is null)
        {
            return;
        }

        foreach (var message in messages)
        {
            _ready.Enqueue(message);
            if (message.Copies > 1)
            {
                _ready.Enqueue(Copy(message.Memory.Span, message.EndPoint));
            }
        }
    }

    /// <summary>Sets the incoming timer to wake the reader when the earliest held message falls due. Under <see cref="_inLock"/>.</summary>
    private void ArmIncoming()
    {
        if (IsClosed)
        {
            return; // the timer is disposed
        }

        var due = EarliestDue(_heldIn);
        if (due == long.MaxValue)
        {
            _inTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        _inTimer ??= _time.CreateTimer(static state => ((FaultInjectingConnection)state!).OnIncomingTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _inTimer.Change(Until(due, _time.GetTimestamp()), Timeout.InfiniteTimeSpan);
    }

    private void OnIncomingTimer()
    {
        if (!IsClosed)
        {
            _inner.CancelPendingReceive(); // the reader wakes, finds the message due and returns it
        }
    }

    private void ReleaseCurrent()
    {
        byte[]? current;
        lock (_inLock)
        {
            current = _current;
            _current = null;
        }

        if (current is not null)
        {
            ArrayPool<byte>.Shared.Return(current);
        }
    }

    /// <summary>Marks the wrapper closed, stops its timers and discards what it holds.</summary>
    private void Shutdown()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        lock (_outLock)
        {
            _outTimer?.Dispose();
            ReturnAll(_heldOut);
            _heldOut.Clear();
        }

        lock (_inLock)
        {
            _inTimer?.Dispose();
            ReturnAll(_heldIn);
            _heldIn.Clear();
            while (_ready.TryDequeue(out var message))
            {
                message.Release();
            }
        }
    }

    private enum Fate
    {
        Now,
        Drop,
        Delay,
        Reorder,
    }

    private readonly record struct Decision(Fate Fate, bool Duplicate, TimeSpan Delay);

    /// <summary>The rates, copied when the wrapper is made.</summary>
    private sealed class Rates(FaultRates rates)
    {
        public double Drop { get; } = rates.Drop;

        public double Duplicate { get; } = rates.Duplicate;

        public double Delay { get; } = rates.Delay;

        public double Reorder { get; } = rates.Reorder;

        public TimeSpan MaxDelay { get; } = rates.MaxDelay;
    }

    /// <summary>A copied message in a pooled buffer, with its destination (outgoing) or sender (incoming).</summary>
    private sealed class Held(byte[] buffer, int length, EndPoint? endPoint)
    {
        private byte[]? _buffer = buffer;

        public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(Held));

        public int Length { get; } = length;

        public EndPoint? EndPoint { get; } = endPoint;

        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

        public int Copies { get; set; } = 1;

        public bool Reorder { get; set; }

        public long Due { get; set; }

        public long Sequence { get; set; }

        public void Release()
        {
            var buffer = Interlocked.Exchange(ref _buffer, null);
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
