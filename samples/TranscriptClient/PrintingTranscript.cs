namespace Ocean.Samples;

/// <summary>
/// A client's own transcript (the demo uses it too): prints each line the server shows on it. The client passes it by
/// reference, so it stays here and the server's calls on it come back over the client's connection, on the thread pool.
/// </summary>
/// <param name="print">Prints one line (<c>sender: text</c>).</param>
public sealed class PrintingTranscript(Action<string> print) : ITranscript
{
    private readonly Lock _lock = new();
    private readonly List<(string Sender, string Text, TaskCompletionSource Shown)> _expected = [];
    private int _count;

    /// <summary>How many lines it has shown.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc/>
    public Task ShowAsync(string sender, string text)
    {
        print($"{sender}: {text}");
        Interlocked.Increment(ref _count);
        lock (_lock)
        {
            var index = _expected.FindIndex(e => e.Sender == sender && e.Text == text);
            if (index >= 0)
            {
                _expected[index].Shown.TrySetResult();
                _expected.RemoveAt(index);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>A task that completes when the line <paramref name="sender"/>: <paramref name="text"/> is shown next; call it before the line is sent.</summary>
    public Task Expect(string sender, string text)
    {
        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _expected.Add((sender, text, shown));
        }

        return shown.Task;
    }
}
