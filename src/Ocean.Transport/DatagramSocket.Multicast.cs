using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Ocean.Transport.Internal;

namespace Ocean.Transport;

public sealed partial class DatagramSocket
{
    private const int LinuxIPLevel = 0;            // IPPROTO_IP
    private const int LinuxIPMulticastAll = 49;    // IP_MULTICAST_ALL
    private const int LinuxIPv6Level = 41;         // IPPROTO_IPV6
    private const int LinuxIPv6MulticastAll = 29;  // IPV6_MULTICAST_ALL (Linux 4.20+)

    /// <summary>
    /// Joins the multicast group <paramref name="group"/> on <see cref="DatagramOptions.MulticastInterface"/>
    /// (or the interface the OS picks when none is named): datagrams sent to the group and this socket's port
    /// arrive here from then on.
    /// </summary>
    /// <param name="group">An IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address of this socket's family.</param>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a multicast address of the socket's family.</exception>
    /// <exception cref="SocketException">The OS refused the membership.</exception>
    public void JoinMulticastGroup(IPAddress group) => SetMembership(group, join: true);

    /// <summary>Leaves a group joined with <see cref="JoinMulticastGroup"/>: nothing more sent to it arrives here.</summary>
    /// <param name="group">The group to leave.</param>
    /// <exception cref="SocketException">The socket was not a member.</exception>
    public void LeaveMulticastGroup(IPAddress group) => SetMembership(group, join: false);

    private void SetMembership(IPAddress group, bool join)
    {
        ArgumentNullException.ThrowIfNull(group);
        var isMulticast = group.AddressFamily == AddressFamily.InterNetworkV6
            ? group.IsIPv6Multicast
            : group.AddressFamily == AddressFamily.InterNetwork && (group.GetAddressBytes()[0] & 0xF0) == 0xE0;
        if (!isMulticast || (group.AddressFamily != _socket.AddressFamily && !_socket.DualMode))
        {
            throw new ArgumentException($"{group} is not a multicast address this {_socket.AddressFamily} socket can join.", nameof(group));
        }

        var membership = join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership;
        var nic = FindInterface(_options.MulticastInterface);
        if (group.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var index = nic?.GetIPProperties().GetIPv6Properties().Index ?? 0;
            _socket.SetSocketOption(SocketOptionLevel.IPv6, membership, new IPv6MulticastOption(group, index));
        }
        else
        {
            var option = nic is null ? new MulticastOption(group) : new MulticastOption(group, nic.GetIPProperties().GetIPv4Properties().Index);
            _socket.SetSocketOption(SocketOptionLevel.IP, membership, option);
        }

        if (join)
        {
            Log.JoinedGroup(_logger, group, _options.MulticastInterface ?? "(default)");
        }
        else
        {
            Log.LeftGroup(_logger, group, _options.MulticastInterface ?? "(default)");
        }
    }

    /// <summary>Applies the multicast options: outgoing interface, TTL / hop limit, loopback, and strict membership.</summary>
    private static void ConfigureMulticast(Socket socket, DatagramOptions options)
    {
        var nic = FindInterface(options.MulticastInterface);
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, options.MulticastTimeToLive);
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, options.MulticastLoopback);
            if (nic is not null)
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, nic.GetIPProperties().GetIPv6Properties().Index);
            }
        }
        else
        {
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, options.MulticastTimeToLive);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, options.MulticastLoopback);
            if (nic is not null)
            {
                // IP_MULTICAST_IF takes the interface's IPv4 address.
                var address = nic.GetIPProperties().UnicastAddresses
                    .Select(a => a.Address)
                    .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                    ?? throw new ArgumentException($"Interface '{nic.Name}' has no IPv4 address to send IPv4 multicast from.", nameof(options));
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, address.GetAddressBytes());
            }
        }
    }

    /// <summary>
    /// Restricts multicast delivery to this socket's own memberships (<c>IP_MULTICAST_ALL</c> /
    /// <c>IPV6_MULTICAST_ALL</c> = 0), on Linux. Without it Linux delivers a group's datagrams to every socket bound
    /// to the group's port once any socket on the host joined the group, unicast receivers included; so it is set
    /// on every bound socket, not only on those that join. Best effort: a kernel that does not know the option
    /// (IPV6_MULTICAST_ALL arrived in Linux 4.20) keeps the old delivery, which is logged, not fatal.
    /// </summary>
    private static void RestrictMulticastDelivery(Socket socket, ILogger logger)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var (level, name) = socket.AddressFamily == AddressFamily.InterNetworkV6 ? (LinuxIPv6Level, LinuxIPv6MulticastAll) : (LinuxIPLevel, LinuxIPMulticastAll);
        if (!TrySetBestEffortOption(socket, level, name, 0, out var error))
        {
            Log.MulticastAllNotSupported(logger, socket.AddressFamily, error);
        }
    }

    /// <summary>Sets an integer socket option the socket can do without; false (with the error) when the OS does not support it.</summary>
    /// <exception cref="SocketException">The OS refused the option for any other reason.</exception>
    internal static bool TrySetBestEffortOption(Socket socket, int level, int name, int value, out SocketError error)
    {
        try
        {
            socket.SetRawSocketOption(level, name, BitConverter.GetBytes(value));
            error = SocketError.Success;
            return true;
        }
        catch (SocketException ex) when (SocketErrors.IsOptionNotSupported(ex.SocketErrorCode))
        {
            error = ex.SocketErrorCode;
            return false;
        }
    }

    private static NetworkInterface? FindInterface(string? name)
    {
        if (name is null)
        {
            return null;
        }

        return NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
            ?? throw new ArgumentException($"There is no network interface named '{name}'.", nameof(name));
    }
}
