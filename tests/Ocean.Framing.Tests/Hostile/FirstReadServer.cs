using System.Net;

namespace Ocean.Framing.Tests.Hostile;

/// <summary>A stream message server whose handler reads once and reports what that read threw.</summary>
internal static class FirstReadServer
{
    public static async Task<(MessageServer Server, Task<Exception> FirstReadFailure)> StartAsync(FrameCodec codec, MessageServerOptions options)
    {
        var seen = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = MessageServer.ForStream(new IPEndPoint(IPAddress.Loopback, 0), codec, async (connection, stopping) =>
        {
            try
            {
                await connection.ReceiveAsync(stopping);
            }
            catch (Exception ex)
            {
                seen.TrySetResult(ex);
            }
        }, options);
        await server.StartAsync();
        return (server, seen.Task);
    }
}
