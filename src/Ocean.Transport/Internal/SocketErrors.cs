using System.Net.Sockets;

namespace Ocean.Transport.Internal;

/// <summary>The one place that decides what an OS socket error means for a connection.</summary>
internal static class SocketErrors
{
    private const int LinuxENOMEM = 12; // .NET has no SocketError for it: it surfaces as SocketError.SocketError

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

    /// <summary>
    /// The OS ran out of a resource (descriptors: EMFILE, ENFILE; buffer memory: ENOBUFS, ENOMEM). Such an error
    /// says nothing about the socket it was raised on: it passes once connections close or memory frees, so a
    /// loop that meets it backs off and goes on instead of giving up.
    /// </summary>
    public static bool IsResourceExhausted(SocketException exception) =>
        IsResourceExhausted(exception.SocketErrorCode) ||
        (exception.SocketErrorCode == SocketError.SocketError && exception.NativeErrorCode == LinuxENOMEM);

    /// <summary>The <see cref="SocketError"/> half of <see cref="IsResourceExhausted(SocketException)"/>.</summary>
    public static bool IsResourceExhausted(SocketError error) => error is
        SocketError.TooManyOpenSockets or      // EMFILE (process limit) and ENFILE (system limit)
        SocketError.NoBufferSpaceAvailable;    // ENOBUFS (and ENOMEM where .NET maps it)

    /// <summary>
    /// The OS does not know or does not allow a socket option: ENOPROTOOPT (the option is newer than the kernel,
    /// as IPV6_MULTICAST_ALL is before Linux 4.20), EINVAL, EOPNOTSUPP. Harmless for a best-effort option.
    /// </summary>
    public static bool IsOptionNotSupported(SocketError error) => error is
        SocketError.ProtocolOption or          // ENOPROTOOPT
        SocketError.InvalidArgument or         // EINVAL
        SocketError.OperationNotSupported or   // ENOTSUP / EOPNOTSUPP
        SocketError.ProtocolNotSupported;      // EPROTONOSUPPORT

    /// <summary>Maps a connect-time error to the reason reported in <see cref="ConnectException"/>.</summary>
    public static TransportError ClassifyConnect(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => TransportError.ConnectionRefused,
        SocketError.AddressNotAvailable => TransportError.ConnectionRefused,
        SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.HostDown => TransportError.HostUnreachable,
        SocketError.TimedOut => TransportError.ConnectTimedOut,
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => TransportError.HostNotFound,
        _ => TransportError.Other,
    };
}
