using System.IO.Pipelines;
using Ocean.Testing;
using Ocean.Transport.Internal;

namespace Ocean.Transport.Tests;

/// <summary>The server connection's input wrapper: every way of reading and advancing gives the budget back exactly what was consumed.</summary>
public sealed class BudgetedPipeReaderTests
{
    [Fact]
    public async Task ReadAsync_PartialAndFullConsumption_ReleaseExactlyTheConsumedBytes()
    {
        var (pipe, budget, reader) = Create(limit: 1000);
        await WriteAsync(pipe, reader, 300);

        var read = await reader.ReadAsync().AsTask().WithTimeout();
        reader.AdvanceTo(read.Buffer.GetPosition(100), read.Buffer.End); // consumed 100, examined all
        budget.Used.Should().Be(200);

        var pending = reader.ReadAsync(); // pending: completes through the wrapper once more bytes arrive
        pending.IsCompleted.Should().BeFalse();
        await WriteAsync(pipe, reader, 50);
        read = await pending.AsTask().WithTimeout();
        read.Buffer.Length.Should().Be(250);
        reader.AdvanceTo(read.Buffer.GetPosition(250)); // the one-argument overload
        budget.Used.Should().Be(0);
    }

    [Fact]
    public async Task TryRead_AndReadAtLeastAsync_AreAccountedLikeReadAsync()
    {
        var (pipe, budget, reader) = Create(limit: 1000);
        await WriteAsync(pipe, reader, 40);

        reader.TryRead(out var read).Should().BeTrue();
        reader.AdvanceTo(read.Buffer.GetPosition(10), read.Buffer.GetPosition(10));
        budget.Used.Should().Be(30);

        reader.TryRead(out read).Should().BeTrue();
        reader.AdvanceTo(read.Buffer.End);
        budget.Used.Should().Be(0);

        var atLeast = reader.ReadAtLeastAsync(60);
        atLeast.IsCompleted.Should().BeFalse();
        await WriteAsync(pipe, reader, 60);
        read = await atLeast.AsTask().WithTimeout();
        read.Buffer.Length.Should().Be(60);
        reader.AdvanceTo(read.Buffer.GetPosition(20), read.Buffer.End);
        budget.Used.Should().Be(40);
    }

    [Fact]
    public async Task CancelPendingRead_AndCancelledToken_SurfaceThroughTheWrapper()
    {
        var (pipe, _, reader) = Create(limit: 1000);
        var pending = reader.ReadAsync();
        reader.CancelPendingRead();
        var result = await pending.AsTask().WithTimeout();
        result.IsCanceled.Should().BeTrue();
        reader.AdvanceTo(result.Buffer.Start);

        using var cts = new CancellationTokenSource();
        var cancelled = reader.ReadAsync(cts.Token);
        await cts.CancelAsync();
        await FluentActions.Awaiting(() => cancelled.AsTask().WithTimeout()).Should().ThrowAsync<OperationCanceledException>();
        await pipe.Writer.CompleteAsync();
    }

    [Fact]
    public async Task EndOfBothSides_ReleasesWhatWasNeverConsumed_AndLaterAdvancesDoNotReleaseTwice()
    {
        var (pipe, budget, reader) = Create(limit: 1000);
        await WriteAsync(pipe, reader, 400);
        var read = await reader.ReadAsync().AsTask().WithTimeout();
        reader.AdvanceTo(read.Buffer.GetPosition(100), read.Buffer.End);

        reader.EndReading();
        budget.Used.Should().Be(300, "the receive loop may still be writing: nothing is settled until both sides ended");
        reader.EndWriting();
        budget.Used.Should().Be(0);
        reader.EndReading(); // idempotent
        budget.Used.Should().Be(0);
        await pipe.Writer.CompleteAsync();
    }

    [Fact]
    public void TryReserve_RefusesWhatWouldCrossTheLimit_AndReservesNothingThen()
    {
        var budget = new ReadBudget(100);
        budget.TryReserve(60).Should().BeTrue();
        budget.TryReserve(41).Should().BeFalse();
        budget.Used.Should().Be(60);
        budget.TryReserve(40).Should().BeTrue();
        budget.Used.Should().Be(100);
    }

    private static (Pipe Pipe, ReadBudget Budget, BudgetedPipeReader Reader) Create(long limit)
    {
        var pipe = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        var budget = new ReadBudget(limit);
        return (pipe, budget, new BudgetedPipeReader(pipe.Reader, budget));
    }

    /// <summary>What a receive loop does: reserve, then write and flush.</summary>
    private static async Task WriteAsync(Pipe pipe, BudgetedPipeReader reader, int count)
    {
        reader.TryReserve(count).Should().BeTrue();
        await pipe.Writer.WriteAsync(new byte[count]);
    }
}
