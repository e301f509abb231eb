namespace Ocean.Transport.Internal;

/// <summary>
/// Told when the receive loop has handed one receive's bytes to the connection's reader and the reader has run as
/// far as it could on them (Netty's "read complete"). A layer above that holds back replies for a batch of
/// pipelined messages sends them here if the reader went off to wait for something else meanwhile.
/// </summary>
internal interface IInputBurstObserver
{
    /// <summary>Runs on the receive loop, after each delivery; must not block and must not throw.</summary>
    void OnInputBurstDelivered();
}
