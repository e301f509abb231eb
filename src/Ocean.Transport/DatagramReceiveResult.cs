using System.Net;

namespace Ocean.Transport;

/// <summary>What <see cref="DatagramSocket.ReceiveAsync(Memory{byte}, CancellationToken)"/> put into the caller's buffer.</summary>
/// <param name="Length">The datagram's length in bytes.</param>
/// <param name="RemoteEndPoint">The sender.</param>
public readonly record struct DatagramReceiveResult(int Length, EndPoint RemoteEndPoint);
