using Ocean.Transport.Internal;

namespace Ocean.Transport.Tests;

public sealed class ReceiveSizerTests
{
    [Fact]
    public void StartsAtHalfASegment_AndWaitsForData()
    {
        var sizer = new ReceiveSizer(1024 * 1024);

        sizer.Hint.Should().Be(SocketConnection.SegmentSize / 2);
        sizer.MoreQueued.Should().BeFalse();
    }

    [Fact]
    public void FullReceives_DoubleTheHint_UpTo64KiB()
    {
        var sizer = new ReceiveSizer(1024 * 1024);
        var hints = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            sizer.Observe(sizer.Hint, sizer.Hint);
            hints.Add(sizer.Hint);
            sizer.MoreQueued.Should().BeTrue("a receive that filled its buffer leaves more queued");
        }

        hints.Should().Equal(4096, 8192, 16384, 32768, 65536, 65536, 65536, 65536);
    }

    [Fact]
    public void GrowthIsCappedAtAQuarterOfMaxReadBufferSize()
    {
        var sizer = new ReceiveSizer(16 * 1024);
        for (var i = 0; i < 8; i++)
        {
            sizer.Observe(sizer.Hint, sizer.Hint);
        }

        sizer.Hint.Should().Be(4096);

        var tiny = new ReceiveSizer(100);
        tiny.Observe(tiny.Hint, tiny.Hint);
        tiny.Hint.Should().Be(ReceiveSizer.MinimumHint, "never below half a segment");
    }

    [Fact]
    public void SmallReceives_HalveTheHint_BackToTheMinimum()
    {
        var sizer = new ReceiveSizer(1024 * 1024);
        for (var i = 0; i < 5; i++)
        {
            sizer.Observe(sizer.Hint, sizer.Hint);
        }

        sizer.Hint.Should().Be(65536);
        var hints = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            sizer.Observe(1, sizer.Hint);
            hints.Add(sizer.Hint);
            sizer.MoreQueued.Should().BeFalse();
        }

        hints.Should().Equal(32768, 16384, 8192, 4096, 2048, 2048, 2048);
    }

    [Fact]
    public void ReceiveOfMoreThanAQuarterButNotFull_KeepsTheHint()
    {
        var sizer = new ReceiveSizer(1024 * 1024);
        sizer.Observe(4096, 4096);
        sizer.Hint.Should().Be(4096);

        sizer.Observe(2000, 4096);

        sizer.Hint.Should().Be(4096);
        sizer.MoreQueued.Should().BeFalse();
    }
}
