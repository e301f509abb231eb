using Ocean.Remoting;

namespace Ocean.Samples;

/// <summary>
/// The remote Transcript of the Pharo OCEAN lecture: somewhere to show lines. A client passes its own transcript to the
/// server (<see cref="ITranscriptServer.RegisterAsync"/>); being <see cref="RemoteAttribute">[Remote]</see>, it travels
/// by reference: the object stays in the client and the server gets a proxy whose calls come back to the client over
/// the connection the client opened (calls in both directions on one connection).
/// </summary>
/// <remarks>
/// Compiled by the samples that use Ocean.Remoting (TranscriptServer, TranscriptClient, the demo), not by every sample
/// as <c>samples/Common/*.cs</c> is: the attribute comes from Ocean.Remoting. Callbacks are asynchronous on purpose: a
/// synchronous remote call from code running on a connection's read loop is refused.
/// </remarks>
[Remote]
public interface ITranscript
{
    /// <summary>Shows <paramref name="text"/>, which <paramref name="sender"/> sent.</summary>
    Task ShowAsync(string sender, string text);
}

/// <summary>
/// The transcript server: keeps the transcripts clients register and shows every line any client sends on each of
/// them, in the order the server received the lines. Exported by TranscriptServer under <see cref="ExportName"/>.
/// </summary>
public interface ITranscriptServer
{
    /// <summary>The name TranscriptServer exports it under.</summary>
    const string ExportName = "transcript";

    /// <summary>
    /// Registers <paramref name="transcript"/> (the caller's own object, passed by reference) under
    /// <paramref name="name"/>: from now on every line sent is shown on it. Several transcripts may share a name.
    /// </summary>
    /// <returns>The registration's number, for <see cref="UnregisterAsync"/>.</returns>
    /// <exception cref="ArgumentException">The name is empty, longer than 64 characters, or holds control characters.</exception>
    Task<int> RegisterAsync(string name, ITranscript transcript);

    /// <summary>
    /// Records the line <c>name: text</c> and queues it for every registered transcript (the sender's own too); returns
    /// once queued, without waiting for the transcripts to show it.
    /// </summary>
    /// <exception cref="ArgumentException">The name is invalid, or the text is longer than 1,000 characters or holds control characters.</exception>
    Task SendAsync(string name, string text);

    /// <summary>The lines every client sent so far, oldest first, as <c>name: text</c> (the server keeps the last 1,000).</summary>
    Task<string[]> LinesAsync();

    /// <summary>Stops showing lines on the transcript registered as <paramref name="registration"/>.</summary>
    /// <returns><see langword="false"/> if it was not registered (any more: the server drops a transcript whose calls fail).</returns>
    Task<bool> UnregisterAsync(int registration);
}
