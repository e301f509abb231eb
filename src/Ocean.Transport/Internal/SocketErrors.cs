using System.Net.Sockets;

namespace Ocean.Transport.Internal;

/// <summary>The one place that decides what an OS socket error means for a connection.</summary>
internal static class SocketErrors
{
    /// <summary>
    /// The peer went away (reset, aborted, broken pipe) or we closed the socket ourselves: the connection
    /// ends quietly, as if the peer had closed.
    /// </summary>
    public static bool IsConnectionGone(SocketError error) => error is
        SocketError.ConnectionReset or      // ECONNRESET: peer sent RST
        SocketError.ConnectionAborted or    // ECONNABORTED
        SocketError.Shutdown or             // EPIPE: broken pipe, or writing after shutdown
        SocketError.OperationAborted or     // our own Dispose/Abort cancelled the operation
        SocketError.Interrupted or          // EINTR surfaced on close
        SocketError.NotConnected or         // ENOTCONN: already torn down
        SocketError.TimedOut or             // keep-alive gave up on the peer
        SocketError.NetworkReset;           // ENETRESET

    /// <summary>Maps a connect-time error to the reason reported in <see cref="ConnectException"/>.</summary>
    public static ConnectFailure ClassifyConnect(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => ConnectFailure.Refused,
        SocketError.AddressNotAvailable => ConnectFailure.Refused,
        SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.HostDown => ConnectFailure.Unreachable,
        SocketError.TimedOut => ConnectFailure.TimedOut,
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => ConnectFailure.HostNotFound,
        _ => ConnectFailure.Other,
    };
}
