using Ocean.Marshalling;
using Ocean.Remoting.Internal.Datagrams;

namespace Ocean.Remoting.Tests.Semantics;

/// <summary>The per-thread datagram builder: its limit bounds what is written, not the chunks a marshaller asks for.</summary>
public sealed class DatagramWriterTests
{
    [Fact]
    public void AChunkLargerThanTheRoomLeft_IsHandedOut_ButOnlyWhatFitsCanBeCommitted()
    {
        var writer = DatagramWriter.Rent(300);
        try
        {
            writer.Advance(80);
            writer.GetSpan(256).Length.Should().BeGreaterThanOrEqualTo(256, "CDR asks for 256 bytes at a time");
            writer.Advance(220);
            writer.Written.Should().Be(300);
            writer.Invoking(w => w.Advance(1)).Should().Throw<DatagramTooLargeException>().Which.Limit.Should().Be(300);
        }
        finally
        {
            writer.Return();
        }
    }

    [Fact]
    public void ASmallCdrValue_FitsInASmallBudget()
    {
        // 64 + 8 written, then a CDR int: the marshaller's 256-byte chunk passes the 100-byte budget, the value does not.
        var writer = DatagramWriter.Rent(100);
        try
        {
            writer.Advance(72);
            CdrMarshaller.Default.Marshal(42, writer);
            writer.Written.Should().Be(76);
            writer.Invoking(w => CdrMarshaller.Default.Marshal(new byte[100], w)).Should().Throw<Exception>().Where(e => e is DatagramTooLargeException || e.InnerException is DatagramTooLargeException);
        }
        finally
        {
            writer.Return();
        }
    }

    [Fact]
    public void TheLimitIsAtMostTheLargestDatagram()
    {
        var writer = DatagramWriter.Rent(int.MaxValue);
        try
        {
            writer.Invoking(w => w.Advance(Ocean.Transport.DatagramSocket.MaxIPv6DatagramSize + 1)).Should().Throw<DatagramTooLargeException>();
            writer.Advance(Ocean.Transport.DatagramSocket.MaxIPv6DatagramSize);
        }
        finally
        {
            writer.Return();
        }
    }
}
